#!/usr/bin/env bash
# Checks the PrometheusRule with promtool: syntax of every expression and
# the unit test beside it. promtool comes from Debian's `prometheus`
# package, unpacked (not installed: no service is started).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
promtool="$(command -v promtool || true)"
if [ -z "$promtool" ]; then
  (cd "$work" && apt-get -o APT::Sandbox::User=root download prometheus >/dev/null && dpkg -x prometheus_*.deb root)
  promtool="$work/root/usr/bin/promtool"
fi
# promtool reads plain rule files: take the groups out of the resource.
python3 - "$here/../k8s/base/slo-rules.yaml" "$work/slo-rules.groups.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["kind"] == "PrometheusRule", doc["kind"]
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w"))
PY
cp "$here/slo-rules.test.yaml" "$work/"
"$promtool" check rules "$work/slo-rules.groups.yaml"
(cd "$work" && "$promtool" test rules slo-rules.test.yaml)

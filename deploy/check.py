#!/usr/bin/env python3
"""Checks PromptSales' deployment files without a cluster.

1. Renders deploy/k8s/base and every overlay (the kustomize features the
   kustomizations use: resources, namespace, labels, images, strategic-merge
   and JSON 6902 patches with targets; any other field is refused, so this
   renderer and `kubectl kustomize` cannot silently disagree).
2. Validates every built-in resource with kubernetes-validate --strict for
   one Kubernetes version (KUBERNETES_VERSION, default the newest it knows).
   Custom resources (CloudNativePG, cert-manager, Prometheus Operator) have
   no schema there: they get the structural checks below instead.
3. Checks the project's invariants: every Deployment has readiness and
   liveness probes, CPU and memory requests and limits, a non-root
   restricted security context, an HPA and a PDB that target it and a
   NetworkPolicy that selects it; no Secret holds a value and every Secret
   used is documented in deploy/k8s/secrets.example.env; every ConfigMap
   key and Service a resource names exists; every environment variable a
   manifest sets is one the Rust code reads.
4. Checks dist/: each server.json against the MCP Registry schema
   (2025-12-11) and each MCPB manifest against the manifest 0.3 schema (when
   the schemas can be read: MCP_SERVER_SCHEMA / MCPB_MANIFEST_SCHEMA files or
   the pinned URLs), plus the registry's own rules and the project's; with
   --bundles DIR, the bundles scripts/build-mcpb.sh wrote.

Usage: deploy/check.py [--bundles DIR] [--require-schemas]
Exits 1 listing every problem found.
"""

import argparse
import copy
import glob
import hashlib
import json
import os
import re
import sys
import urllib.request
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "k8s")
DIST = os.path.join(ROOT, "dist")

# Pinned copies of the two published schemas: the content must hash to these.
SERVER_SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
SERVER_SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
MCPB_SCHEMA_URL = ("https://raw.githubusercontent.com/modelcontextprotocol/mcpb/"
                   "27083dcf93c4d1c589af6b539ec746e50d6068e7/schemas/mcpb-manifest-v0.3.schema.json")
MCPB_SCHEMA_SHA256 = "3a0ac9d845711a1b9b17dfa5a52f8b60628239d6a86a9db417206a9efc78592d"

# Kinds with no schema in kubernetes-validate (custom resources).
CUSTOM_KINDS = {"Cluster", "Issuer", "Certificate", "ServiceMonitor", "PrometheusRule"}
CLUSTER_SCOPED = {"Namespace", "ClusterIssuer"}
KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "namespace", "labels", "resources", "images", "patches"}
# Variables the manifests set that no binary reads: inputs of $(VAR)
# expansion and of the backup Job's shell.
K8S_ONLY_VARS = {"REDIS_PASSWORD", "RETENTION_DAYS"}
# Variables the code builds with format!: the name -> the literal it is made from.
COMPOSED_VARS = {re.compile(r"PROMPTSALES_(CONTENT|ADS|CRM|ANALYTICS)_URL"): "PROMPTSALES_{upper}_URL",
                 re.compile(r"PROMPTSALES_(CONTENT|ADS|CRM|ANALYTICS)_TOKEN"): "PROMPTSALES_{upper}_TOKEN"}
# Interfaces of issue 16 being built on other branches (TLS, traces): a
# warning until they are merged, then checked like any other name.
PENDING_VARS = {"PROMPTSALES_TLS_CERT", "PROMPTSALES_TLS_KEY", "PROMPTSALES_TLS_CA", "OTEL_EXPORTER_OTLP_ENDPOINT"}
SERVERS = ["mcp-content", "mcp-ads", "mcp-crm", "mcp-analytics"]

problems = []
warned = set()


def problem(where, what):
    problems.append(f"{where}: {what}")


# --------------------------------------------------------------------------
# Loading and rendering

def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def kn(obj):
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def merge(base, patch):
    """Strategic merge, as far as these manifests need it: maps merge, null
    deletes, lists of maps with `name` merge by name, other lists replace."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and isinstance(out.get(k), list) and v and all(
                isinstance(i, dict) and "name" in i for i in v + out[k]):
            items = out[k]
            for item in v:
                match = next((i for i, x in enumerate(items) if x["name"] == item["name"]), None)
                if match is None:
                    items.append(copy.deepcopy(item))
                else:
                    items[match] = merge(items[match], item)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def pointer(path):
    return [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]


def json6902(obj, ops, where):
    obj = copy.deepcopy(obj)
    for op in ops:
        parts = pointer(op["path"])
        parent = obj
        try:
            for p in parts[:-1]:
                parent = parent[int(p)] if isinstance(parent, list) else parent[p]
            last = parts[-1]
            key = int(last) if isinstance(parent, list) else last
            if op["op"] == "replace":
                if isinstance(parent, dict) and key not in parent:
                    raise KeyError(last)
                parent[key] = copy.deepcopy(op["value"])
            elif op["op"] == "add":
                if isinstance(parent, list):
                    parent.insert(len(parent) if last == "-" else key, copy.deepcopy(op["value"]))
                else:
                    parent[key] = copy.deepcopy(op["value"])
            elif op["op"] == "remove":
                del parent[key]
            else:
                problem(where, f"unsupported JSON patch op {op['op']}")
        except (KeyError, IndexError, ValueError, TypeError):
            problem(where, f"path {op['path']} does not exist in {kn(obj)}")
    return obj


def selected(obj, target):
    if "kind" in target and obj.get("kind") != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], obj["metadata"]["name"]):
        return False
    if "labelSelector" in target:
        labels = obj["metadata"].get("labels", {})
        for term in target["labelSelector"].split(","):
            k, v = term.split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
    return True


def render(directory):
    kpath = os.path.join(directory, "kustomization.yaml")
    k = load_docs(kpath)[0]
    where = os.path.relpath(kpath, ROOT)
    for field in set(k) - KUSTOMIZATION_FIELDS:
        problem(where, f"field {field!r} is not understood by deploy/check.py (extend it first)")
    objs = []
    for res in k.get("resources", []):
        path = os.path.normpath(os.path.join(directory, res))
        objs += render(path) if os.path.isdir(path) else load_docs(path)
    for p in k.get("patches", []):
        ppath = os.path.join(directory, p["path"])
        pwhere = os.path.relpath(ppath, ROOT)
        body = load_docs(ppath)[0]
        hits = 0
        for i, obj in enumerate(objs):
            if isinstance(body, list):
                if selected(obj, p.get("target", {})):
                    objs[i] = json6902(obj, body, pwhere)
                    hits += 1
            elif (obj["kind"], obj["metadata"]["name"]) == (body["kind"], body["metadata"]["name"]):
                objs[i] = merge(obj, body)
                hits += 1
        if hits == 0:
            problem(pwhere, "patches nothing")
    ns = k.get("namespace")
    for obj in objs:
        md = obj.setdefault("metadata", {})
        if ns and obj["kind"] not in CLUSTER_SCOPED:
            md["namespace"] = ns
        for lab in k.get("labels", []):
            if lab.get("includeSelectors"):
                problem(where, "labels with includeSelectors are not rendered here")
            md.setdefault("labels", {}).update(lab["pairs"])
    for img in k.get("images", []):
        hits = 0
        for obj in objs:
            for c in containers(obj):
                if c["image"] == img["name"] or c["image"].startswith(img["name"] + ":"):
                    c["image"] = f"{img.get('newName', img['name'])}:{img['newTag']}"
                    hits += 1
        if hits == 0:
            problem(where, f"image {img['name']} matches no container (kustomize matches the name as rendered so far)")
    return objs


def pod_spec(obj):
    kind = obj.get("kind")
    if kind in ("Deployment", "Job", "StatefulSet"):
        return obj["spec"]["template"]["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def pod_labels(obj):
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels", {})
    return obj["spec"]["template"]["metadata"].get("labels", {})


def containers(obj):
    spec = pod_spec(obj)
    return (spec.get("initContainers", []) + spec.get("containers", [])) if spec else []


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()) \
        and not selector.get("matchExpressions")


# --------------------------------------------------------------------------
# Kubernetes checks

def validate_schemas(env, objs, version):
    import kubernetes_validate
    for obj in objs:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = "/".join(str(p) for p in e.path)
            problem(f"{env} {kn(obj)}", f"kubernetes-validate {version} --strict: {e.message} (at {path})")
        except kubernetes_validate.SchemaNotFoundError:
            problem(f"{env} {kn(obj)}", f"no schema for {obj['apiVersion']} {obj['kind']} in Kubernetes {version}")


def check_workload_security(where, obj):
    spec = pod_spec(obj)
    psc = spec.get("securityContext", {})
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problem(where, "pod seccompProfile is not RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        problem(where, "mounts a service account token it does not need")
    for c in containers(obj):
        cw = f"{where} container {c['name']}"
        sc = c.get("securityContext", {})
        if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
            problem(cw, "may run as root (runAsNonRoot)")
        if sc.get("readOnlyRootFilesystem") is not True:
            problem(cw, "root filesystem is writable")
        if sc.get("allowPrivilegeEscalation") is not False:
            problem(cw, "allowPrivilegeEscalation is not false")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            problem(cw, "does not drop ALL capabilities")
        res = c.get("resources", {})
        for part in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in res.get(part, {}):
                    problem(cw, f"no {r} {part}")
        if ":" not in c.get("image", "") or c["image"].endswith(":latest"):
            problem(cw, f"image {c.get('image')!r} is not a pinned name:tag")


def check_deployment(where, d, objs):
    labels = pod_labels(d)
    serves_http = any(c.get("ports") for c in containers(d))
    for c in containers(d):
        cw = f"{where} container {c['name']}"
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in c:
                problem(cw, f"no {probe}")
        if serves_http:
            ready = c.get("readinessProbe", {}).get("httpGet", {}).get("path")
            live = c.get("livenessProbe", {}).get("httpGet", {}).get("path")
            if (ready, live) != ("/readyz", "/healthz"):
                problem(cw, f"HTTP probes are {ready}/{live}, expected /readyz and /healthz")
    if serves_http:
        check_shutdown_budget(where, d, objs)
    name = d["metadata"]["name"]
    hpas = [o for o in objs if o["kind"] == "HorizontalPodAutoscaler"
            and o["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}]
    if len(hpas) != 1:
        problem(where, f"{len(hpas)} HorizontalPodAutoscalers target it, expected 1")
    else:
        resources = {m["resource"]["name"] for m in hpas[0]["spec"]["metrics"] if m["type"] == "Resource"}
        if resources != {"cpu", "memory"}:
            problem(where, f"its HPA scales on {sorted(resources)}, expected cpu and memory")
        if "replicas" in d["spec"]:
            problem(where, "sets spec.replicas although an HPA owns the count")
    pdbs = [o for o in objs if o["kind"] == "PodDisruptionBudget" and matches(o["spec"].get("selector"), labels)]
    if len(pdbs) != 1:
        problem(where, f"{len(pdbs)} PodDisruptionBudgets select its pods, expected 1")
    elif pdbs[0]["spec"].get("maxUnavailable", 1) in (0, "0%"):
        problem(where, "its PDB allows no disruption (node drains would hang)")
    policies = [o for o in objs if o["kind"] == "NetworkPolicy"
                and (o["spec"]["podSelector"] == {} or matches(o["spec"]["podSelector"], labels))]
    if not policies:
        problem(where, "no NetworkPolicy selects its pods")
    if serves_http and not any(o["spec"]["podSelector"] != {} for o in policies):
        problem(where, "serves HTTP but only the default-deny policy covers it (nothing can reach it)")
    if serves_http:
        services = [o for o in objs if o["kind"] == "Service" and matches({"matchLabels": o["spec"]["selector"]}, labels)]
        if not services:
            problem(where, "serves HTTP but no Service selects it")


# What a server may still spend after its drain delay: calls in flight
# get this long before their sessions are cancelled (IN_FLIGHT_GRACE in
# shared/server/src/server.rs), plus the audit flush.
IN_FLIGHT_GRACE_S = 10


def drain_delay_ms(d, objs):
    """PROMPTSALES_DRAIN_DELAY_MS as the pod sees it: its own env first,
    then the ConfigMaps it loads with envFrom."""
    for c in containers(d):
        for e in c.get("env", []):
            if e.get("name") == "PROMPTSALES_DRAIN_DELAY_MS" and "value" in e:
                return int(e["value"])
        for src in c.get("envFrom", []):
            ref = src.get("configMapRef", {}).get("name")
            for o in objs:
                if o["kind"] == "ConfigMap" and o["metadata"]["name"] == ref:
                    v = o.get("data", {}).get("PROMPTSALES_DRAIN_DELAY_MS")
                    if v is not None:
                        return int(v)
    return 0


def check_shutdown_budget(where, d, objs):
    """A pod killed before its drain ends turns calls in flight into errors."""
    spec = pod_spec(d)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    pre_stop = max(
        (c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
         for c in containers(d)),
        default=0,
    )
    needed = pre_stop + drain_delay_ms(d, objs) / 1000 + IN_FLIGHT_GRACE_S
    if grace <= needed:
        problem(where, f"terminationGracePeriodSeconds {grace} does not cover preStop {pre_stop} s "
                       f"+ drain {drain_delay_ms(d, objs)} ms + {IN_FLIGHT_GRACE_S} s for calls in flight")


def check_references(env, objs, secrets_doc):
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objs if o["kind"] == "ConfigMap"}
    services = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Service"}
    for obj in objs:
        where = f"{env} {kn(obj)}"
        if obj["kind"] == "Secret":
            problem(where, "a Secret in the manifests: Secrets are created out of band, never committed")
        for c in containers(obj):
            for e in c.get("env", []):
                src = e.get("valueFrom", {})
                if "secretKeyRef" in src:
                    ref = src["secretKeyRef"]
                    if f"{ref['name']}/{ref['key']}" not in secrets_doc:
                        problem(where, f"secret {ref['name']}/{ref['key']} is not documented in secrets.example.env")
                if "configMapKeyRef" in src:
                    ref = src["configMapKeyRef"]
                    if ref["key"] not in configmaps.get(ref["name"], {}):
                        problem(where, f"ConfigMap key {ref['name']}/{ref['key']} does not exist")
            for ef in c.get("envFrom", []):
                if "configMapRef" in ef and ef["configMapRef"]["name"] not in configmaps:
                    problem(where, f"ConfigMap {ef['configMapRef']['name']} does not exist")
                if "secretRef" in ef and not any(s.startswith(ef["secretRef"]["name"] + "/") for s in secrets_doc):
                    problem(where, f"secret {ef['secretRef']['name']} is not documented in secrets.example.env")
        for v in (pod_spec(obj) or {}).get("volumes", []):
            if "secret" in v and not any(s.startswith(v["secret"]["secretName"] + "/") for s in secrets_doc):
                problem(where, f"secret {v['secret']['secretName']} is not documented in secrets.example.env")
        if obj["kind"] == "Ingress":
            for t in obj["spec"].get("tls", []):
                if not any(s.startswith(t["secretName"] + "/") for s in secrets_doc):
                    problem(where, f"TLS secret {t['secretName']} is not documented")
            for rule in obj["spec"]["rules"]:
                for p in rule["http"]["paths"]:
                    svc = p["backend"]["service"]
                    ports = [x.get("name") for x in services.get(svc["name"], {}).get("spec", {}).get("ports", [])]
                    if svc["port"].get("name") not in ports:
                        problem(where, f"backend {svc['name']}:{svc['port'].get('name')} is not a Service port")


def env_names(objs):
    """Every variable a manifest gives a process: env entries and the keys
    of the ConfigMaps loaded whole with envFrom."""
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objs if o["kind"] == "ConfigMap"}
    names = {}
    for obj in objs:
        for c in containers(obj):
            for e in c.get("env", []):
                names.setdefault(e["name"], kn(obj))
            for ef in c.get("envFrom", []):
                for key in configmaps.get(ef.get("configMapRef", {}).get("name"), {}):
                    names.setdefault(key, f"ConfigMap/{ef['configMapRef']['name']}")
    return names


def rust_source():
    text = []
    for path in glob.glob(os.path.join(ROOT, "**", "*.rs"), recursive=True):
        if "/target/" in path:
            continue
        with open(path, encoding="utf-8") as f:
            text.append(f.read())
    return "\n".join(text)


def read_by_code(name, source):
    for pattern, literal in COMPOSED_VARS.items():
        if pattern.fullmatch(name):
            return literal in source
    return f'"{name}"' in source


def check_env_vars_are_real(env, names, source):
    for name, where in sorted(names.items()):
        if name in K8S_ONLY_VARS or read_by_code(name, source):
            continue
        if name in PENDING_VARS:
            if name not in warned:
                warned.add(name)
                print(f"warning: {where} sets {name}, not read by this tree yet (issue 16: TLS/traces branches)")
        else:
            problem(f"{env} {where}", f"sets {name}, which no binary reads (no \"{name}\" in the Rust sources)")


def check_custom(env, objs):
    for obj in objs:
        where = f"{env} {kn(obj)}"
        kind, spec = obj["kind"], obj.get("spec", {})
        if kind == "Cluster":
            sync = spec.get("postgresql", {}).get("synchronous")
            if sync and sync.get("number", 0) >= spec.get("instances", 1):
                problem(where, "more synchronous standbys than replicas: commits would block")
            if env != "dev" and spec.get("instances", 1) < 3:
                problem(where, "fewer than 3 instances: no failover with a replica to spare")
        elif kind == "PrometheusRule":
            for g in spec["groups"]:
                for r in g["rules"]:
                    if not r.get("expr") or not (r.get("record") or r.get("alert")):
                        problem(where, f"rule in {g['name']} without expr or name")
                    if r.get("alert") and r.get("labels", {}).get("severity") not in ("page", "ticket"):
                        problem(where, f"alert {r['alert']} has no severity page|ticket")
            exprs = " ".join(r["expr"] for g in spec["groups"] for r in g["rules"])
            if 'promptsales_tool_calls_total{outcome="error"}' not in exprs:
                problem(where, "no SLO rule on promptsales_tool_calls_total errors")
        elif kind == "ServiceMonitor":
            if not any(e.get("path") == "/metrics" for e in spec["endpoints"]):
                problem(where, "does not scrape /metrics")
        elif kind == "Certificate":
            services = {o["metadata"]["name"] for o in objs if o["kind"] == "Service"}
            for s in services:
                if f"{s}.promptsales.svc" not in spec["dnsNames"]:
                    problem(where, f"no name for Service {s}")


def check_k8s(version, source):
    secrets_doc = set()
    with open(os.path.join(K8S, "secrets.example.env")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                key = line.split("=", 1)[0].strip()
                secrets_doc.add(key)
                if key.endswith("/*"):
                    secrets_doc.add(key[:-1])
    envs = {"base": os.path.join(K8S, "base")}
    for d in sorted(glob.glob(os.path.join(K8S, "overlays", "*"))):
        envs[os.path.basename(d)] = d
    for env, directory in envs.items():
        objs = render(directory)
        kinds = {}
        for o in objs:
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
        validate_schemas(env, objs, version)
        deployments = [o for o in objs if o["kind"] == "Deployment"]
        names = {d["metadata"]["name"] for d in deployments}
        for required in SERVERS + ["promptsales-scheduler"]:
            if required not in names:
                problem(env, f"no Deployment {required}")
        for o in objs:
            if pod_spec(o) is not None:
                check_workload_security(f"{env} {kn(o)}", o)
        for d in deployments:
            check_deployment(f"{env} {kn(d)}", d, objs)
        check_references(env, objs, secrets_doc)
        names = env_names(objs)
        for key in secrets_doc:
            var = key.split("/", 1)[1]
            if re.fullmatch(r"[A-Z][A-Z0-9_]+", var):
                names.setdefault(var, "secrets.example.env")
        check_env_vars_are_real(env, names, source)
        check_custom(env, objs)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"k8s {env}: {len(objs)} resources ({summary})")


# --------------------------------------------------------------------------
# Distribution

def read_schema(env_var, url, sha256, require):
    path = os.environ.get(env_var)
    try:
        if path:
            with open(path, "rb") as f:
                data = f.read()
        else:
            with urllib.request.urlopen(url, timeout=20) as r:
                data = r.read()
    except OSError as e:
        msg = f"cannot read {path or url} ({e}); set {env_var} to a local copy"
        if require:
            problem("schemas", msg)
        else:
            print(f"note: {msg}: built-in checks only")
        return None
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        problem("schemas", f"{path or url} is not the pinned schema (sha256 {sha256})")
        return None
    return json.loads(data)


def schema_errors(schema, doc):
    import jsonschema
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in v.iter_errors(doc)]


def workspace_version():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        m = re.search(r'\[workspace\.package\][^\[]*?\nversion\s*=\s*"([^"]+)"', f.read())
    return m.group(1) if m else None


SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL)")


def check_server_json(where, doc, server, version, source):
    m = re.fullmatch(r"io\.github\.([A-Za-z0-9-]+)/(.+)", doc.get("name", ""))
    if not m or m.group(2) != server:
        problem(where, f"name {doc.get('name')!r} is not io.github.<owner>/{server}")
    if doc.get("version") != version:
        problem(where, f"version {doc.get('version')} is not the workspace's {version}")
    kinds = {p["registryType"]: p for p in doc.get("packages", [])}
    if set(kinds) != {"oci", "mcpb"}:
        problem(where, f"packages are {sorted(kinds)}, expected oci and mcpb")
    for p in kinds.values():
        if p.get("transport", {}).get("type") != "stdio":
            problem(where, f"{p['registryType']} package transport is not stdio")
        for e in p.get("environmentVariables", []):
            if not read_by_code(e["name"], source):
                problem(where, f"{p['registryType']} package documents {e['name']}, which no binary reads")
            if SECRET_NAME.search(e["name"]) and not e.get("isSecret"):
                problem(where, f"{e['name']} is not marked isSecret")
    oci = kinds.get("oci", {})
    if oci and not oci["identifier"].endswith(f":{version}"):
        problem(where, f"oci identifier {oci['identifier']} is not tagged {version}")
    mcpb = kinds.get("mcpb", {})
    if mcpb:
        # Registry rules for mcpb: a GitHub/GitLab release URL containing "mcp".
        if not re.match(r"https://(github\.com|gitlab\.com)/.+/releases/download/", mcpb["identifier"]) \
                or "mcp" not in mcpb["identifier"]:
            problem(where, "mcpb identifier is not a GitHub/GitLab release URL containing 'mcp'")
    remotes = doc.get("remotes", [])
    if not any(r.get("type") == "streamable-http" and r.get("url", "").startswith("https://") for r in remotes):
        problem(where, "no https streamable-http remote")
    for r in remotes:
        for h in r.get("headers", []):
            if h["name"].lower() == "authorization" and not h.get("isSecret"):
                problem(where, "the Authorization header is not marked isSecret")


def check_manifest(where, doc, server, version, source):
    if doc.get("manifest_version") != "0.3":
        problem(where, "manifest_version is not 0.3")
    if doc.get("name") != server or doc.get("version") != version:
        problem(where, f"name/version {doc.get('name')}/{doc.get('version')} are not {server}/{version}")
    srv = doc.get("server", {})
    if srv.get("type") != "binary" or srv.get("entry_point") != f"server/{server}":
        problem(where, f"server is not the binary server/{server}")
    cfg = srv.get("mcp_config", {})
    if cfg.get("command") != f"${{__dirname}}/server/{server}":
        problem(where, "mcp_config.command does not run the bundled binary")
    if doc.get("compatibility", {}).get("platforms") != ["linux"]:
        problem(where, "platforms is not [linux] (the bundle carries a Linux binary)")
    user_config = doc.get("user_config", {})
    used = set()
    for name, value in cfg.get("env", {}).items():
        if not read_by_code(name, source):
            problem(where, f"sets {name}, which no binary reads")
        for ref in re.findall(r"\$\{user_config\.([A-Za-z0-9_]+)\}", value):
            used.add(ref)
            if ref not in user_config:
                problem(where, f"{name} uses undefined user_config.{ref}")
            elif SECRET_NAME.search(name) and not user_config[ref].get("sensitive"):
                problem(where, f"user_config.{ref} feeds {name} but is not sensitive")
    for ref in set(user_config) - used:
        problem(where, f"user_config.{ref} is never used")


def check_bundles(out, manifests):
    for server, manifest_bytes in manifests.items():
        bundles = glob.glob(os.path.join(out, f"{server}-*.mcpb"))
        if len(bundles) != 1:
            problem(out, f"{len(bundles)} bundles for {server}, expected 1")
            continue
        bundle = bundles[0]
        with zipfile.ZipFile(bundle) as z:
            names = set(z.namelist())
            if "manifest.json" not in names or z.read("manifest.json") != manifest_bytes:
                problem(bundle, "manifest.json is missing or differs from dist/")
            info = z.getinfo(f"server/{server}") if f"server/{server}" in names else None
            if info is None or not (info.external_attr >> 16) & 0o111:
                problem(bundle, f"server/{server} is missing or not executable")
        with open(bundle, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(out, f"{server}.server.json")) as f:
            published = json.load(f)
        mcpb = next(p for p in published["packages"] if p["registryType"] == "mcpb")
        if mcpb.get("fileSha256") != digest:
            problem(bundle, "the published server.json's fileSha256 is not the bundle's")
        if not mcpb["identifier"].endswith("/" + os.path.basename(bundle)):
            problem(bundle, "the published server.json does not name this bundle")
        print(f"bundle {os.path.basename(bundle)}: {len(names)} files, sha256 {digest[:12]}…")


def check_dist(source, bundles, require):
    version = workspace_version()
    server_schema = read_schema("MCP_SERVER_SCHEMA", SERVER_SCHEMA_URL, SERVER_SCHEMA_SHA256, require)
    mcpb_schema = read_schema("MCPB_MANIFEST_SCHEMA", MCPB_SCHEMA_URL, MCPB_SCHEMA_SHA256, require)
    manifests = {}
    for server in SERVERS:
        for fname, schema, check in (("server.json", server_schema, check_server_json),
                                     ("manifest.json", mcpb_schema, check_manifest)):
            path = os.path.join(DIST, server, fname)
            where = os.path.relpath(path, ROOT)
            try:
                with open(path, "rb") as f:
                    raw = f.read()
                doc = json.loads(raw)
            except (OSError, ValueError) as e:
                problem(where, f"unreadable: {e}")
                continue
            if schema is not None:
                for err in schema_errors(schema, doc):
                    problem(where, f"schema: {err}")
            check(where, doc, server, version, source)
            if fname == "manifest.json":
                manifests[server] = raw
        if bundles:
            path = os.path.join(bundles, f"{server}.server.json")
            if os.path.exists(path) and server_schema is not None:
                with open(path) as f:
                    for err in schema_errors(server_schema, json.load(f)):
                        problem(path, f"schema: {err}")
    if bundles:
        check_bundles(bundles, manifests)
    checked = "schemas and rules" if server_schema and mcpb_schema else "rules (no schemas)"
    print(f"dist: {len(SERVERS)} server.json and {len(manifests)} MCPB manifests, {checked}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundles", help="directory scripts/build-mcpb.sh wrote; its bundles are checked too")
    ap.add_argument("--require-schemas", action="store_true",
                    help="fail when the registry or MCPB schema cannot be read (CI with network)")
    args = ap.parse_args()
    import kubernetes_validate
    version = os.environ.get("KUBERNETES_VERSION") or kubernetes_validate.latest_version()
    source = rust_source()
    check_k8s(version, source)
    check_dist(source, args.bundles, args.require_schemas)
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        sys.exit(1)
    print(f"deploy/check.py: all checks passed (Kubernetes {version})")


if __name__ == "__main__":
    main()

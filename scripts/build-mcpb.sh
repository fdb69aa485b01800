#!/usr/bin/env bash
# Builds one MCP Bundle (.mcpb, manifest 0.3, server type `binary`) per
# server from dist/<server>/manifest.json and the built binary, and beside
# it the server.json to publish, whose mcpb package carries the bundle's
# SHA-256 (the MCP Registry requires `fileSha256`; hosts verify it).
#
#   cargo build --release --workspace --bins
#   scripts/build-mcpb.sh [--bin-dir target/release] [--out target/mcpb]
#
# Output: <out>/<server>-<version>-linux-<arch>.mcpb and <out>/<server>.server.json.
# A bundle is a zip with manifest.json at its root and the binary at
# server/<server> (https://github.com/modelcontextprotocol/mcpb, MANIFEST.md);
# it is written with fixed timestamps so the same binary gives the same hash.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir="${CARGO_TARGET_DIR:-target}/release"
out=target/mcpb
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-mcpb.sh: unknown argument $1 (expected --bin-dir DIR or --out DIR)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

python3 - "$bin_dir" "$out" <<'PY'
import hashlib, json, os, stat, sys, zipfile

bin_dir, out = sys.argv[1], sys.argv[2]
# ELF e_machine values (System V ABI) -> the architecture in the file name.
ARCH = {0x3E: "x86_64", 0xB7: "aarch64"}
FIXED = (1980, 1, 1, 0, 0, 0)

def arch_of(path):
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        sys.exit(f"build-mcpb.sh: {path} is not a Linux (ELF) executable")
    machine = int.from_bytes(head[18:20], "little")
    if machine not in ARCH:
        sys.exit(f"build-mcpb.sh: {path}: unsupported ELF machine {machine:#x}")
    return ARCH[machine]

def entry(zf, name, data, mode):
    info = zipfile.ZipInfo(name, FIXED)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.create_system = 3  # Unix, so the mode bits are honoured on extraction
    zf.writestr(info, data)

for server in sorted(os.listdir("dist")):
    manifest_path = os.path.join("dist", server, "manifest.json")
    if not os.path.isfile(manifest_path):
        continue
    with open(manifest_path, "rb") as f:
        manifest_bytes = f.read()
    manifest = json.loads(manifest_bytes)
    entry_point = manifest["server"]["entry_point"]
    binary = os.path.join(bin_dir, os.path.basename(entry_point))
    if not os.access(binary, os.X_OK):
        sys.exit(f"build-mcpb.sh: {binary} is missing or not executable: build it first "
                 "(cargo build --release --workspace --bins) or pass --bin-dir")
    arch = arch_of(binary)
    version = manifest["version"]
    bundle = os.path.join(out, f"{server}-{version}-linux-{arch}.mcpb")
    with zipfile.ZipFile(bundle, "w") as zf:
        entry(zf, "manifest.json", manifest_bytes, 0o644)
        with open(binary, "rb") as f:
            entry(zf, entry_point, f.read(), 0o755)
    with open(bundle, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()

    with open(os.path.join("dist", server, "server.json")) as f:
        server_json = json.load(f)
    mcpb = [p for p in server_json["packages"] if p["registryType"] == "mcpb"]
    if len(mcpb) != 1:
        sys.exit(f"build-mcpb.sh: dist/{server}/server.json needs exactly one mcpb package")
    base = mcpb[0]["identifier"].rsplit("/", 1)[0]
    mcpb[0]["identifier"] = f"{base}/{os.path.basename(bundle)}"
    mcpb[0]["fileSha256"] = digest
    with open(os.path.join(out, f"{server}.server.json"), "w") as f:
        json.dump(server_json, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{bundle}  sha256 {digest}")
PY

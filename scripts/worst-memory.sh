#!/usr/bin/env bash
# Worst-case memory of the release server under the shipped admission
# settings (docs/DEPLOY.md, "Resources"): 160 AnalyzeStream calls of ~1 MiB
# on 80 connections at once, 2 workers, and the server's peak RSS
# (VmHWM). Three texts: the given article repeated to ~1 MiB (ordinary
# news: the per-document caches stay small), and ~1 MiB of distinct
# made-up Arabic and French words (seeded; every French word a new cache
# entry and every third capitalised: the caches' and the entity stage's
# worst case). Needs python3 with grpcio and grpcio-tools (pip) for the
# client; loopback only, ~2 minutes.
#
#   cargo build --release
#   scripts/worst-memory.sh [ARTICLE] [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
article=${1:-../shared/examples/article-ar.txt}
bin=${2:-target/release/nutgraf}
[ -x "$bin" ] || { echo "worst-memory: no binary at $bin (cargo build --release)"; exit 1; }
python3 -c 'import grpc, grpc_tools' 2>/dev/null ||
  { echo "worst-memory: pip install grpcio grpcio-tools"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m grpc_tools.protoc -Iproto --python_out="$work" --grpc_python_out="$work" \
  proto/nutgraf/v1/nutgraf.proto

python3 - "$article" "$work" <<'PY'
import random, sys
article, work = sys.argv[1], sys.argv[2]
text = open(article, encoding='utf-8').read()
rep = ''
while len((rep + text).encode()) < 1_040_000:
    rep += text + '\n\n'
open(work + '/repeated.txt', 'w').write(rep)
r = random.Random(9)
ar = [chr(c) for c in range(0x0628, 0x064A + 1) if chr(c).isalpha()]
fr = list('abcdefghijklmnopqrstuvwxyzéèàç')
def made_up(letters, cap_every, limit=1_030_000):
    out, n = [], 0
    while n < limit:
        words = []
        for i in range(12):
            w = ''.join(r.choice(letters) for _ in range(r.randint(4, 8)))
            words.append(w.capitalize() if cap_every and i % cap_every == 0 else w)
        s = ' '.join(words) + '. '
        out.append(s)
        n += len(s.encode())
        if len(out) % 8 == 0:
            out.append('\n\n')
            n += 2
    return ''.join(out)
open(work + '/distinct-ar.txt', 'w').write(made_up(ar, 0))
open(work + '/distinct-fr.txt', 'w').write(made_up(fr, 3))
PY

cat >"$work/client.py" <<'PY'
import sys, threading, time, grpc
sys.path.insert(0, sys.argv[3])
from nutgraf.v1 import nutgraf_pb2 as pb, nutgraf_pb2_grpc as pg
addr, text = sys.argv[1], open(sys.argv[2], encoding='utf-8').read()
opts = [('grpc.max_send_message_length', 4 << 20), ('grpc.max_receive_message_length', 64 << 20)]
chans = [grpc.insecure_channel(addr, options=opts) for _ in range(80)]
res, lock = {}, threading.Lock()
def call(i):
    stub = pg.ArticleServiceStub(chans[i % 80])
    try:
        for _ in stub.AnalyzeStream(pb.AnalyzeRequest(id=f'w{i}', text=text + f' {i}'), timeout=600):
            pass
        code = 'OK'
    except grpc.RpcError as e:
        code = e.code().name
    with lock:
        res[code] = res.get(code, 0) + 1
t0 = time.time()
ths = [threading.Thread(target=call, args=(i,)) for i in range(160)]
for t in ths: t.start()
for t in ths: t.join()
print('statuses %s in %.1f s' % (dict(sorted(res.items())), time.time() - t0))
PY

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for t in repeated distinct-ar distinct-fr; do
  port=$(freeport)
  mport=$(freeport)
  NUTGRAF_LOG_LEVEL=warn "$bin" serve --grpc-addr "127.0.0.1:$port" \
    --metrics-addr "127.0.0.1:$mport" --worker-threads 2 >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grpcurl -plaintext "127.0.0.1:$port" grpc.health.v1.Health/Check >/dev/null 2>&1 && break
    sleep 0.1
  done
  printf '%-12s %8d bytes: ' "$t" "$(wc -c <"$work/$t.txt")"
  python3 "$work/client.py" "127.0.0.1:$port" "$work/$t.txt" "$work" | tr '\n' ' '
  grep VmHWM "/proc/$pid/status" | tr -s ' \t' ' '
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done

#!/usr/bin/env bash
# Instructions and simulated cache misses per whole analysis (issue 9), with
# valgrind's callgrind (Debian package valgrind): deterministic, unlike CPU
# time on a shared VM. Two runs of N = 11 and 23 calls, counted only inside
# `Analyzer::analyze`; their difference over 12 removes loading and
# warm-up. The last-level cache is simulated at 512 KiB (the host's L2 per
# core; its L3 is shared with other tenants).
#
#   cargo build --release --example analyze_loop
#   scripts/cachesim.sh target/release/examples/analyze_loop [ARTICLE] [MODELDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: cachesim.sh ANALYZE_LOOP [ARTICLE] [MODELDIR]}
article=${2:-../shared/examples/article-ar.txt}
models=${3:-models}
command -v valgrind >/dev/null || { echo "cachesim: apt-get install valgrind"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
for n in 11 23; do
  valgrind --tool=callgrind --cache-sim=yes --LL=524288,8,64 --D1=32768,8,64 \
    --dump-instr=no --callgrind-out-file="$d/cg.$n" \
    --toggle-collect='*Analyzer*analyze*' "$bin" "$article" "$n" "$models" >"$d/log.$n" 2>&1 &
done
wait
python3 - "$d" <<'PY'
import sys
d = sys.argv[1]
def summary(f):
    ev = sm = None
    for line in open(f):
        if line.startswith('events:'):
            ev = line.split()[1:]
        if line.startswith('summary:'):
            sm = [int(x) for x in line.split()[1:]]
    return dict(zip(ev, sm))
a, b = summary(d + '/cg.11'), summary(d + '/cg.23')
r = {k: (b[k] - a[k]) / 12 for k in b}
print("per analysis: instructions %.0f  D1 misses %.0f  L2 misses %.0f (read) %.0f (write)  I1 misses %.0f"
      % (r['Ir'], r['D1mr'], r['DLmr'], r['DLmw'], r['I1mr']))
PY

#!/usr/bin/env bash
# Alternated in-process timing of whole analyses (issue 9's "MB/s per
# core"): runs each BINARY:MODELDIR pair in turn, ROUNDS times, pinned to
# CPU 1, and prints the median / p25 / p75 / min of the CPU µs per analysis
# that `analyze_loop` reports. Why alternate: on a shared VM the same
# binary moves 5-8 % between runs a few minutes apart, so only pairs
# measured in one alternation compare.
#
#   cargo build --release --example analyze_loop
#   cp target/release/examples/analyze_loop /tmp/al.new
#   scripts/inprocess-ab.sh 30 /tmp/al.old:/tmp/models-old /tmp/al.new:models
#
# ARTICLE (default ../shared/examples/article-ar.txt) and CALLS (800) can
# be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:?usage: inprocess-ab.sh ROUNDS BIN:MODELDIR ...}
shift
[ $# -ge 1 ] || { echo "inprocess-ab: give at least one BIN:MODELDIR"; exit 1; }
article=${ARTICLE:-../shared/examples/article-ar.txt}
calls=${CALLS:-800}
bytes=$(wc -c <"$article")
declare -A res
for _ in $(seq "$rounds"); do
  for bm in "$@"; do
    b=${bm%%:*}
    m=${bm#*:}
    v=$(taskset -c 1 "$b" "$article" "$calls" "$m" 2>&1 | tail -1 | grep -o '[0-9.]* us CPU' | cut -d' ' -f1)
    res[$bm]="${res[$bm]:-} $v"
  done
done
for bm in "$@"; do
  # shellcheck disable=SC2086
  printf '%s\n' ${res[$bm]} | sort -n | awk -v name="$bm" -v bytes="$bytes" '
    { a[NR] = $1 }
    END {
      med = a[int((NR + 1) / 2)]
      printf "%s: median %.1f us (p25 %.1f, p75 %.1f, min %.1f, n %d) = %.2f MB/s per core\n",
        name, med, a[int((NR - 1) / 4) + 1], a[int(3 * (NR - 1) / 4) + 1], a[1], NR, bytes / med
    }'
done
uptime

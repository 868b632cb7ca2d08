#!/usr/bin/env bash
# Container smoke test: build the runtime image from a static host binary,
# run it the way Kubernetes would (non-root, read-only root fs, no
# capabilities), and check it over gRPC with grpcurl:
#   1. health SERVING for "" and nutgraf.v1.ArticleService
#   2. reflection lists nutgraf.v1.ArticleService
#   3. one Analyze of a short Arabic article returns OK with our id
#   4. /metrics answers with nutgraf_* series
#   5. SIGTERM while an AnalyzeBatch stream is in flight: the stream still
#      completes, then exit code 0 within the drain grace period
# Then it removes the container, the image and its private storage.
#
# Why buildah/podman with vfs + chroot + runc + cgroupfs + host network: that
# is what works unprivileged-enough inside this CI sandbox (no Docker engine,
# no overlay mounts, no systemd, no network namespaces set up for us). Base
# images cannot be pulled here, so only the FROM scratch stages are built
# (Dockerfile target runtime-local); see docs/DEPLOY.md.
#
# Tools: scripts/install-ci-tools.sh. Exits non-zero with a message naming
# the failed step.
#
# Environment knobs:
#   NUTGRAF_SMOKE_BINARY=path   use this static binary, skip the cargo build
#   NUTGRAF_SMOKE_KEEP=1        keep image/storage on exit (debugging)
#   NUTGRAF_SMOKE_GRACE=10s     drain grace passed to the server (humantime)
#   NUTGRAF_SMOKE_READY_SECS=60 how long to wait for health SERVING
set -euo pipefail

TRIPLE=x86_64-unknown-linux-gnu
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

GRACE=${NUTGRAF_SMOKE_GRACE:-10s}
READY_SECS=${NUTGRAF_SMOKE_READY_SECS:-60}
IMAGE=localhost/nutgraf:smoke-$$
NAME=nutgraf-smoke-$$
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nutgraf-smoke.XXXXXX")
# Private image store: never touches (or is confused by) other images on the
# machine, and cleanup is one rm -rf.
STORE=(--storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")
BUILDAH=(buildah "${STORE[@]}")
PODMAN=(podman "${STORE[@]}" --runtime runc --cgroup-manager cgroupfs --events-backend file)
STEP="setup"
T0=$(date +%s)

log() { printf '[container-smoke %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() {
    printf '[container-smoke] FAILED at step "%s": %s\n' "$STEP" "$*" >&2
    exit 1
}

cleanup() {
    local rc=$?
    set +e
    if [[ $rc -ne 0 ]] && "${PODMAN[@]}" container exists "$NAME" 2>/dev/null; then
        echo "---- container logs (last 80 lines) ----" >&2
        "${PODMAN[@]}" logs --tail 80 "$NAME" >&2
        echo "----------------------------------------" >&2
    fi
    if [[ "${NUTGRAF_SMOKE_KEEP:-0}" == 1 ]]; then
        echo "[container-smoke] keeping $WORK (image $IMAGE, container $NAME)" >&2
        exit $rc
    fi
    "${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1
    "${PODMAN[@]}" rmi -f "$IMAGE" >/dev/null 2>&1
    # vfs layers are plain directories; nothing stays mounted after rm.
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

# humantime "10s"/"2m"/"1m30s" -> whole seconds (only s/m/h are needed here).
to_secs() {
    local s=$1 total=0 n u
    while [[ $s =~ ^([0-9]+)(h|m|s)(.*)$ ]]; do
        n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
        case $u in h) total=$((total + n * 3600)) ;; m) total=$((total + n * 60)) ;; s) total=$((total + n)) ;; esac
    done
    [[ -z $s ]] || fail "cannot parse duration '$1' (use e.g. 10s, 1m)"
    echo "$total"
}
GRACE_SECS=$(to_secs "$GRACE")

# ------------------------------------------------------------------ tools
STEP="tools"
for t in buildah podman runc grpcurl python3 readelf objcopy curl; do
    command -v "$t" >/dev/null || fail "'$t' not found: run scripts/install-ci-tools.sh"
done

# ----------------------------------------------------------------- binary
STEP="static binary"
if [[ -n "${NUTGRAF_SMOKE_BINARY:-}" ]]; then
    BIN=$NUTGRAF_SMOKE_BINARY
    log "using prebuilt binary $BIN"
else
    BIN=${CARGO_TARGET_DIR:-target}/$TRIPLE/release/nutgraf
    log "cargo build --release --target $TRIPLE (crt-static)"
    # --target is what keeps crt-static away from build scripts and
    # proc-macros (they must stay dynamic); see Dockerfile.
    RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --locked --target "$TRIPLE" --bin nutgraf ||
        fail "cargo build of the static binary failed"
fi
[[ -x $BIN ]] || fail "$BIN is missing or not executable"
# A FROM scratch image has no dynamic loader: refuse a dynamic binary here
# rather than debug an "exec: no such file or directory" in the container.
if readelf -l "$BIN" | grep -q 'program interpreter'; then
    fail "$BIN is dynamically linked (needs RUSTFLAGS=\"-C target-feature=+crt-static\" and --target $TRIPLE)"
fi
log "binary ok: $(du -h "$BIN" | cut -f1), static"

# ------------------------------------------------------------------ image
STEP="image build"
compgen -G "models/*.bin" >/dev/null || fail "no models/*.bin in $ROOT/models: the image ships the models"
# Minimal staged context (Dockerfile + models + the binary at the path the
# runtime-local stage copies): independent of how big target/ is.
CTX=$WORK/context
mkdir -p "$CTX/target/$TRIPLE/release"
cp Dockerfile .dockerignore "$CTX/"
cp -r models "$CTX/models"
cp "$BIN" "$CTX/target/$TRIPLE/release/nutgraf"
# Same as the Dockerfile's builder: ship without DWARF (the release profile
# keeps line tables: ~60 MB -> ~13 MB); symbols stay for readable backtraces.
objcopy --strip-debug "$CTX/target/$TRIPLE/release/nutgraf"
VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
REVISION=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
"${BUILDAH[@]}" bud --isolation chroot --pull=never --quiet \
    --target runtime-local \
    --build-arg "TARGET_TRIPLE=$TRIPLE" \
    --build-arg "VERSION=$VERSION" \
    --build-arg "REVISION=$REVISION" \
    --timestamp "$EPOCH" \
    -t "$IMAGE" "$CTX" >/dev/null || fail "buildah bud --target runtime-local failed"
log "image built: $IMAGE ($("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes)"

# -------------------------------------------------------------------- run
STEP="run"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
GRPC_PORT=$(free_port)
METRICS_PORT=$(free_port)
while [[ $METRICS_PORT == "$GRPC_PORT" ]]; do METRICS_PORT=$(free_port); done
ADDR=127.0.0.1:$GRPC_PORT
# ulimits must be explicit and within this shell's hard limits: podman's
# defaults (nofile 1M, nproc 4M) exceed them in the sandbox and runc then
# refuses to start the container.
NOFILE=$(ulimit -Hn)
[[ $NOFILE == unlimited || $NOFILE -gt 16384 ]] && NOFILE=16384
NPROC=$(ulimit -Hu)
[[ $NPROC == unlimited || $NPROC -gt 4096 ]] && NPROC=4096
# Same hardening as the Kubernetes Deployment: read-only root, no caps,
# no privilege escalation, image's numeric non-root user. Same settings too:
# the Kubernetes ConfigMap's env file (so every value in it is proven to be
# accepted by the server), the worker count the Deployment derives from its
# CPU limit, and only the listen addresses and the grace overridden (-e wins
# over --env-file).
"${PODMAN[@]}" run -d --pull=never --name "$NAME" --network host \
    --ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC" \
    --read-only --cap-drop ALL --security-opt no-new-privileges \
    --env-file deploy/kubernetes/base/nutgraf.env \
    -e "NUTGRAF_WORKER_THREADS=2" \
    -e "NUTGRAF_GRPC_ADDR=$ADDR" \
    -e "NUTGRAF_METRICS_ADDR=127.0.0.1:$METRICS_PORT" \
    -e "NUTGRAF_SHUTDOWN_GRACE=$GRACE" \
    "$IMAGE" >/dev/null || fail "podman run failed"
log "container $NAME started (grpc $ADDR, metrics 127.0.0.1:$METRICS_PORT)"

running() { [[ $("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$NAME" 2>/dev/null) == true ]]; }

STEP="non-root"
PID=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$NAME")
UIDS=$(awk '/^Uid:/ {print $2, $3}' "/proc/$PID/status" 2>/dev/null || true)
[[ $UIDS == "65532 65532" ]] || fail "server process uid is '$UIDS', expected 65532 (image USER)"

GRPCURL=(grpcurl -plaintext -max-time 10)
health() { "${GRPCURL[@]}" -d "{\"service\":\"$1\"}" "$ADDR" grpc.health.v1.Health/Check 2>&1; }

STEP="readiness"
deadline=$(($(date +%s) + READY_SECS))
# (Pattern match, not `| grep -q`: under pipefail an early grep exit can
# SIGPIPE grpcurl and turn a match into a failure.)
until [[ $(health "") == *'"SERVING"'* ]]; do
    running || fail "container exited before becoming ready"
    (($(date +%s) < deadline)) || fail "health \"\" not SERVING after ${READY_SECS}s: $(health "")"
    sleep 0.5
done
log "ready"

STEP="health"
for svc in "" nutgraf.v1.ArticleService; do
    out=$(health "$svc") || fail "Health/Check service=\"$svc\": $out"
    grep -q '"status": "SERVING"' <<<"$out" || fail "Health/Check service=\"$svc\" is not SERVING: $out"
    log "health \"$svc\": SERVING"
done

STEP="reflection"
out=$("${GRPCURL[@]}" "$ADDR" list 2>&1) || fail "reflection list: $out"
grep -qx 'nutgraf.v1.ArticleService' <<<"$out" || fail "reflection list lacks nutgraf.v1.ArticleService: $out"
grep -qx 'grpc.health.v1.Health' <<<"$out" || fail "reflection list lacks grpc.health.v1.Health: $out"
log "reflection lists: $(tr '\n' ' ' <<<"$out")"

STEP="Analyze"
# Our own short Moroccan-press-style article (not from any dataset).
ARTICLE='الرباط - أعلنت وزارة الاقتصاد والمالية يوم الاثنين عن برنامج جديد لدعم المقاولات الصغيرة والمتوسطة في جهة الدار البيضاء سطات. وقالت الوزيرة نادية فتاح إن البرنامج سيوفر تمويلا بقيمة ملياري درهم خلال السنوات الثلاث المقبلة. ورحبت غرفة التجارة والصناعة والخدمات بالقرار، معتبرة أنه سيساعد على خلق فرص الشغل للشباب.'
REQ=$(python3 -c 'import json,sys; print(json.dumps({"id":"smoke-1","text":sys.argv[1]}, ensure_ascii=False))' "$ARTICLE")
out=$("${GRPCURL[@]}" -d @ "$ADDR" nutgraf.v1.ArticleService/Analyze <<<"$REQ" 2>&1) ||
    fail "Analyze returned an error: $out"
python3 - "$out" <<'PY' || fail "unexpected Analyze response: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r.get("id") == "smoke-1", f"id not echoed: {r.get('id')!r}"
assert r.get("language") == "ar", f"language {r.get('language')!r}, expected 'ar'"
sents = (r.get("summary") or {}).get("sentences") or []
assert sents, "no summary sentences"
PY
log "Analyze OK (id echoed, language ar, $(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["summary"]["sentences"]))' "$out") summary sentence(s))"

STEP="metrics"
out=$(curl -fsS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics") || fail "GET /metrics failed"
grep -q '^nutgraf_' <<<"$out" || fail "/metrics has no nutgraf_* series"
log "/metrics: $(grep -c '^nutgraf_' <<<"$out") nutgraf_* samples"

STEP="SIGTERM drain"
running || fail "container is not running before SIGTERM"
# What a Kubernetes rollout does to a busy pod: SIGTERM while a call is in
# flight. An AnalyzeBatch stream fed slowly (one article every 100 ms) is
# open when the signal lands; it must still end OK with every item answered,
# and the process must then exit 0 within the grace period.
N_BATCH=30
feed() {
    python3 - "$ARTICLE" "$N_BATCH" <<'PY'
import json, sys, time
text, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    print(json.dumps({"id": f"drain-{i}", "text": text}, ensure_ascii=False), flush=True)
    time.sleep(0.1)
PY
}
feed | grpcurl -plaintext -max-time 60 -d @ "$ADDR" nutgraf.v1.ArticleService/AnalyzeBatch \
    >"$WORK/batch.out" 2>&1 &
BATCH_PID=$!
deadline=$(($(date +%s) + 20))
until grep -q '"drain-0"' "$WORK/batch.out" 2>/dev/null; do
    kill -0 "$BATCH_PID" 2>/dev/null || fail "AnalyzeBatch ended before SIGTERM: $(head -c 500 "$WORK/batch.out")"
    (($(date +%s) < deadline)) || fail "no AnalyzeBatch response within 20 s"
    sleep 0.05
done
start=$(date +%s%N)
"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null || fail "podman kill -s TERM failed"
# Wait up to grace + 5 s; a server that ignores SIGTERM is killed by cleanup.
code=$(timeout $((GRACE_SECS + 5)) "${PODMAN[@]}" wait "$NAME") ||
    fail "still running $((GRACE_SECS + 5))s after SIGTERM (grace $GRACE)"
ms=$((($(date +%s%N) - start) / 1000000))
batch_rc=0
wait "$BATCH_PID" || batch_rc=$?
answered=$(grep -c '"id": "drain-' "$WORK/batch.out" || true)
[[ $code == 0 ]] || fail "exit code $code after SIGTERM, expected 0"
((ms <= GRACE_SECS * 1000 + 2000)) || fail "took ${ms} ms to exit, grace is $GRACE"
[[ $batch_rc == 0 ]] || fail "in-flight AnalyzeBatch was cut by the shutdown (grpcurl rc $batch_rc): $(tail -c 500 "$WORK/batch.out")"
[[ $answered == "$N_BATCH" ]] || fail "in-flight AnalyzeBatch answered $answered of $N_BATCH items"
log "SIGTERM with a batch stream in flight -> stream completed ($answered/$N_BATCH items), exit 0 in ${ms} ms (grace $GRACE)"

STEP="done"
log "all checks passed"

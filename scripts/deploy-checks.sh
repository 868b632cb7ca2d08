#!/usr/bin/env bash
# Static checks of everything deploy-related (no cluster, no image pulls):
#   1. hadolint Dockerfile (any finding, info level included, fails)
#   2. shellcheck of the deploy scripts
#   3. kustomize render of the base and of every overlay
#   4. kubernetes-validate --strict of each render against the oldest
#      supported and the current Kubernetes version
#   5. consistency checks kubectl cannot know about: grace periods vs the
#      server's drain grace, probe/port wiring, non-empty config values,
#      security context, and -- when a nutgraf binary is available -- that
#      every NUTGRAF_* variable the server reads is wired and every one we
#      set is one the server reads (catches typos and renamed flags).
#
# Tools: scripts/install-ci-tools.sh. Renders go to $OUT if set (kept), else
# to a temp dir that is kept only when a check fails.
#
# Environment knobs:
#   K8S_VERSIONS="1.30.0 1.37.0"  versions to validate against
#   KUSTOMIZE="kubectl kustomize" render command (else auto-detected)
#   NUTGRAF_BIN=path              server binary for the env-var contract check
#                                 (default: target/release/nutgraf if present)
#   OUT=dir                       where to write rendered manifests
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# 1.30: oldest with the preStop `sleep` action on by default (native gRPC
# probes are GA since 1.27). 1.37: current release, newest schema shipped by
# kubernetes-validate 1.37.
K8S_VERSIONS=${K8S_VERSIONS:-"1.30.0 1.37.0"}
if [[ -z "${OUT:-}" ]]; then
    # Temporary renders: removed on success, kept (path printed) on failure.
    OUT=$(mktemp -d "${TMPDIR:-/tmp}/nutgraf-deploy.XXXXXX")
    trap '[[ $FAILED -eq 0 ]] && rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
FAILED=0
PASSED=0

ok() { PASSED=$((PASSED + 1)); printf '  ok   %s\n' "$*"; }
bad() { FAILED=$((FAILED + 1)); printf '  FAIL %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null || { echo "deploy-checks: '$1' not found: run scripts/install-ci-tools.sh" >&2; exit 2; }; }

need hadolint
need kubernetes-validate
need python3

echo "== hadolint"
if out=$(hadolint Dockerfile 2>&1); then ok "hadolint Dockerfile"; else bad "hadolint Dockerfile:"$'\n'"$out"; fi

echo "== shellcheck"
if command -v shellcheck >/dev/null; then
    for f in scripts/container-smoke.sh scripts/deploy-checks.sh scripts/install-ci-tools.sh; do
        if out=$(shellcheck "$f" 2>&1); then ok "shellcheck $f"; else bad "shellcheck $f:"$'\n'"$out"; fi
    done
else
    echo "  skip shellcheck not installed"
fi

echo "== kustomize render"
if [[ -n "${KUSTOMIZE:-}" ]]; then
    read -r -a RENDER <<<"$KUSTOMIZE"
elif command -v kustomize >/dev/null; then
    RENDER=(kustomize build)
elif command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    RENDER=(kubectl kustomize)
else
    echo "deploy-checks: no kustomize: need 'kustomize' or 'kubectl kustomize' (scripts/install-ci-tools.sh)" >&2
    exit 2
fi
echo "  using: ${RENDER[*]}"
DIRS=(deploy/kubernetes/base)
for d in deploy/kubernetes/overlays/*/; do
    [[ -f $d/kustomization.yaml ]] && DIRS+=("${d%/}")
done
RENDERED=()
for d in "${DIRS[@]}"; do
    f=$OUT/$(basename "$d").yaml
    if out=$("${RENDER[@]}" "$d" 2>&1 >"$f"); then
        ok "render $d -> $f ($(grep -c '^kind:' "$f") objects)"
        RENDERED+=("$f")
    else
        bad "render $d:"$'\n'"$out"
    fi
done

echo "== kubernetes-validate --strict"
for f in "${RENDERED[@]}"; do
    for v in $K8S_VERSIONS; do
        if out=$(kubernetes-validate --strict --quiet -k "$v" "$f" 2>&1); then
            ok "$(basename "$f") valid for Kubernetes $v"
        else
            bad "$(basename "$f") against Kubernetes $v:"$'\n'"$out"
        fi
    done
done

echo "== consistency"
BIN=${NUTGRAF_BIN:-${CARGO_TARGET_DIR:-target}/release/nutgraf}
SERVER_ENVS=""
if [[ -x $BIN ]] && help=$("$BIN" serve --help 2>/dev/null); then
    SERVER_ENVS=$(grep -o '\[env: NUTGRAF_[A-Z0-9_]*' <<<"$help" | sed 's/\[env: //' | sort -u | tr '\n' ' ')
    echo "  server env vars from '$BIN serve --help': $(wc -w <<<"$SERVER_ENVS")"
else
    echo "  skip env-var contract check: no server binary at $BIN (set NUTGRAF_BIN)"
fi
for f in "${RENDERED[@]}"; do
    if out=$(python3 - "$f" deploy/kubernetes/base/nutgraf.env "$SERVER_ENVS" <<'PY' 2>&1
import re, sys, yaml

path, env_file, server_envs = sys.argv[1], sys.argv[2], sys.argv[3].split()
docs = [d for d in yaml.safe_load_all(open(path)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
errs = []

def secs(v):
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", v or "")
    if not m or not v:
        raise ValueError(f"cannot parse duration {v!r}")
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)

cms = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
(dep,) = by_kind["Deployment"]
pod = dep["spec"]["template"]["spec"]
(ctr,) = [c for c in pod["containers"] if c["name"] == "nutgraf"]
cfg = {}
for ef in ctr.get("envFrom", []):
    name = ef["configMapRef"]["name"]
    if name not in cms:
        errs.append(f"envFrom ConfigMap {name} not in the render")
    cfg.update(cms.get(name, {}))
env_names = {e["name"] for e in ctr.get("env", [])}

for k, v in cfg.items():
    if not k.startswith("NUTGRAF_"):
        errs.append(f"ConfigMap key {k} is not a NUTGRAF_* setting")
    if str(v).strip() == "":
        errs.append(f"{k} is empty: clap rejects empty values; leave the key out instead")

# Drain timing: kubelet SIGKILLs at terminationGracePeriodSeconds, counted
# from before preStop. It must cover preStop sleep + server drain grace.
tgps = pod.get("terminationGracePeriodSeconds", 30)
pre = ctr.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
grace = secs(cfg.get("NUTGRAF_SHUTDOWN_GRACE", "20s"))
if tgps < pre + grace + 5:
    errs.append(f"terminationGracePeriodSeconds {tgps} < preStop {pre}s + NUTGRAF_SHUTDOWN_GRACE {grace}s + 5s margin")

# Ports: probes and Services must hit what the server listens on.
ports = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}
grpc_port = int(cfg.get("NUTGRAF_GRPC_ADDR", "0.0.0.0:50051").rsplit(":", 1)[1])
metrics_port = int(cfg.get("NUTGRAF_METRICS_ADDR", "0.0.0.0:9090").rsplit(":", 1)[1])
if ports.get("grpc") != grpc_port:
    errs.append(f"containerPort grpc {ports.get('grpc')} != NUTGRAF_GRPC_ADDR port {grpc_port}")
if ports.get("metrics") != metrics_port:
    errs.append(f"containerPort metrics {ports.get('metrics')} != NUTGRAF_METRICS_ADDR port {metrics_port}")
ann = dep["spec"]["template"]["metadata"].get("annotations", {})
if ann.get("prometheus.io/port") != str(metrics_port):
    errs.append(f"prometheus.io/port {ann.get('prometheus.io/port')} != metrics port {metrics_port}")
# With TLS on the gRPC port, kubelet's plaintext gRPC probes must use the
# health-only port (NUTGRAF_HEALTH_ADDR), exposed as container port "health".
probe_port = grpc_port
if "NUTGRAF_HEALTH_ADDR" in cfg:
    probe_port = int(cfg["NUTGRAF_HEALTH_ADDR"].rsplit(":", 1)[1])
    if ports.get("health") != probe_port:
        errs.append(f"containerPort health {ports.get('health')} != NUTGRAF_HEALTH_ADDR port {probe_port}")
elif "NUTGRAF_TLS_CERT" in cfg:
    errs.append("NUTGRAF_TLS_CERT without NUTGRAF_HEALTH_ADDR: kubelet's plaintext gRPC probes would fail")
want = {"startupProbe": "", "livenessProbe": "", "readinessProbe": "nutgraf.v1.ArticleService"}
for probe, svc in want.items():
    g = ctr.get(probe, {}).get("grpc")
    if not g:
        errs.append(f"{probe} is not a gRPC probe")
    elif g.get("port") != probe_port or g.get("service", "") != svc:
        errs.append(f"{probe} grpc {g} != port {probe_port} service {svc!r}")
for s in by_kind.get("Service", []):
    for p in s["spec"]["ports"]:
        if p.get("targetPort") not in ports:
            errs.append(f"Service {s['metadata']['name']} targetPort {p.get('targetPort')} is not a named container port")

# Hardening that the restricted Pod Security Standard requires.
sc = ctr.get("securityContext", {})
for key, val in [("allowPrivilegeEscalation", False), ("readOnlyRootFilesystem", True), ("runAsNonRoot", True)]:
    if sc.get(key) is not val:
        errs.append(f"container securityContext.{key} must be {val}")
if sc.get("capabilities", {}).get("drop") != ["ALL"]:
    errs.append("container must drop ALL capabilities")
if (sc.get("seccompProfile") or pod.get("securityContext", {}).get("seccompProfile") or {}).get("type") != "RuntimeDefault":
    errs.append("seccompProfile must be RuntimeDefault")
if pod.get("automountServiceAccountToken") is not False:
    errs.append("automountServiceAccountToken must be false")
if ctr["image"].endswith(":latest") or ":" not in ctr["image"].rsplit("/", 1)[-1]:
    errs.append(f"image {ctr['image']} must carry an explicit tag (not latest)")
for hpa in by_kind.get("HorizontalPodAutoscaler", []):
    if hpa["spec"].get("minReplicas", 1) < 2:
        errs.append("HPA minReplicas < 2: a single pod cannot be drained without an outage")
if "replicas" in dep["spec"] and by_kind.get("HorizontalPodAutoscaler"):
    errs.append("Deployment sets replicas although an HPA owns the count")

# Env-var contract with the server binary (when we have one).
if server_envs:
    wired = set(cfg) | env_names
    documented = set(re.findall(r"^#\s+(NUTGRAF_[A-Z0-9_]+)=", open(env_file).read(), re.M))
    for k in sorted(wired - set(server_envs)):
        errs.append(f"{k} is set but the server does not read it (not in 'nutgraf serve --help')")
    for k in sorted(set(server_envs) - wired - documented):
        errs.append(f"server reads {k} but deploy/kubernetes/base/nutgraf.env neither sets nor documents it")

if errs:
    print("\n".join(errs))
    sys.exit(1)
print(f"{len(cfg)} config keys, grace {tgps}s >= {pre}s + {grace}s + 5s")
PY
    ); then
        ok "$(basename "$f"): $out"
    else
        bad "$(basename "$f"):"$'\n'"$out"
    fi
done

[[ $FAILED -eq 0 ]] || echo "rendered manifests kept in $OUT"
echo "deploy-checks: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]

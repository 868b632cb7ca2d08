# syntax=docker/dockerfile:1
#
# nutgraf container image. Two ways to build the SAME runtime image:
#
#  1. Anywhere with internet (Docker/BuildKit, podman, buildah):
#       docker build -t nutgraf:dev .
#     Stages: chef -> planner -> builder (compiles a static binary) -> runtime.
#
#  2. Offline, from a binary already built on the host (CI here, where base
#     images cannot be pulled but a FROM scratch stage can be built):
#       RUSTFLAGS="-C target-feature=+crt-static" \
#         cargo build --release --locked --target x86_64-unknown-linux-gnu --bin nutgraf
#       buildah --storage-driver vfs bud --isolation chroot \
#         --target runtime-local -t nutgraf:dev .
#     Only runtime-base and runtime-local are built: buildah/BuildKit skip
#     stages the target does not depend on, so no base image is pulled.
#     scripts/container-smoke.sh does exactly this and then tests the image.
#
# Both final stages inherit everything (user, env, ports, labels, models,
# entrypoint) from runtime-base and differ ONLY in where the binary comes from,
# so the two paths cannot drift apart.
#
# Why glibc + crt-static rather than musl: the toolchain on the project's
# machines has only the x86_64-unknown-linux-gnu target (musl cannot be
# installed offline), musl's allocator is markedly slower for a
# multi-threaded allocation-heavy service, and a static glibc 2.36 binary was
# checked to resolve names from /etc/hosts and DNS inside a FROM scratch
# container (needed for an OTLP endpoint given by name). The linker warning
# about getaddrinfo in static binaries is expected and harmless here: no
# /etc/nsswitch.conf exists in the image, so glibc uses its built-in
# files+dns lookup.

ARG RUST_VERSION=1.95
ARG TARGET_TRIPLE=x86_64-unknown-linux-gnu

# ---------------------------------------------------------------- build path
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS chef
# cargo-chef turns the dependency graph into a recipe so that dependencies
# are compiled in their own cached layer, rebuilt only when Cargo.toml /
# Cargo.lock change -- not on every source edit. It copes with build.rs,
# benches, examples and tests declared in Cargo.toml, which a hand-made
# "dummy src" layer silently breaks on.
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
ARG TARGET_TRIPLE
# Static glibc binary: the runtime stage is FROM scratch (no libc in it).
# --target is required, not optional: with an explicit target RUSTFLAGS do
# not apply to build scripts and proc-macros, which cannot be static.
ENV RUSTFLAGS="-C target-feature=+crt-static"
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --target "${TARGET_TRIPLE}" --recipe-path recipe.json
COPY . .
# .dockerignore lets one host file into the context (the static binary that
# runtime-local copies); drop it so only this build's output can be shipped.
# --strip-debug: the release profile keeps line tables (~60 MB binary); the
# image gets ~13 MB, with symbols kept so backtraces still name functions.
RUN rm -f "target/${TARGET_TRIPLE}/release/nutgraf" \
    && cargo build --release --locked --target "${TARGET_TRIPLE}" --bin nutgraf \
    && install -D -m 0755 "target/${TARGET_TRIPLE}/release/nutgraf" /out/nutgraf \
    && objcopy --strip-debug /out/nutgraf

# ------------------------------------------------------------- runtime base
# Everything the running service needs except the binary itself.
FROM scratch AS runtime-base
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://example.invalid/nutgraf
LABEL org.opencontainers.image.title="nutgraf" \
      org.opencontainers.image.description="gRPC service: entity-dense extractive summaries, IPTC Media Topics and named entities for Arabic, French and English news" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Models are data, not code: shipped read-only in the image, never fetched at
# run time. The server reads them from NUTGRAF_MODEL_DIR.
COPY models/ /usr/share/nutgraf/models/
ENV NUTGRAF_MODEL_DIR=/usr/share/nutgraf/models \
    NUTGRAF_GRPC_ADDR=0.0.0.0:50051 \
    NUTGRAF_METRICS_ADDR=0.0.0.0:9090
# Numeric uid:gid (no /etc/passwd in scratch) so Kubernetes' runAsNonRoot can
# verify it without resolving a name. 65532 is the conventional "nonroot".
USER 65532:65532
# 50051 = gRPC (health, reflection, nutgraf.v1.ArticleService); 9090 = /metrics.
EXPOSE 50051 9090
# The server drains on SIGTERM (health -> NOT_SERVING, refuse new calls,
# finish in-flight ones within NUTGRAF_SHUTDOWN_GRACE) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/nutgraf", "serve"]

# ------------------------------------------------ offline path: host binary
FROM runtime-base AS runtime-local
ARG TARGET_TRIPLE
COPY target/${TARGET_TRIPLE}/release/nutgraf /usr/local/bin/nutgraf

# ------------------------------------------- default path: compiled in-image
# Last stage = what a plain `docker build .` produces.
FROM runtime-base AS runtime
COPY --from=builder /out/nutgraf /usr/local/bin/nutgraf

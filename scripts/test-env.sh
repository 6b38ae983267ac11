#!/usr/bin/env bash
# Installs and starts what the test suite needs, idempotently (run as root):
# Debian docker.io with dockerd in the background, busybox-static, debootstrap, the
# wasm32-wasip2 Rust target, componentize-py, Chromium and chromedriver (dashboard
# tests), schemathesis (API fuzzing), the locally built base images
# (seamless/busybox, seamless/debian), and a local OCI registry (Debian's
# docker-registry) on 127.0.0.1:5001 with a temporary storage directory.
#
# Prints the PID of a dockerd it started to $SEAMLESS_DOCKERD_PIDFILE (if set), and the
# PID of a registry it started to $SEAMLESS_REGISTRY_PIDFILE (if set). Whoever sets
# them stops those processes (scripts/test does). A registry that already answers on
# 127.0.0.1:5001 is reused, and then no PID is written.
#
# Later (issue 5): plugin bundles will need a second registry, with basic auth
# (htpasswd), on another loopback port, to test pushes and pulls with credentials.
# It is not started here yet.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

REGISTRY_ADDR=127.0.0.1:5001

need_apt=()
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || need_apt+=(docker.io)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
[ -x /usr/sbin/debootstrap ] || need_apt+=(debootstrap)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v git >/dev/null 2>&1 || need_apt+=(git)
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

# The local OCI registry. Debian's packaged service listens on :5000 on every interface
# with htpasswd auth, so this runs its own instead: plain HTTP on loopback (dockerd
# treats 127.0.0.0/8 as insecure, so `docker push 127.0.0.1:5001/...` works) and storage
# in a temporary directory.
registry_answers() { curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

if registry_answers; then
  echo "test-env: a registry already answers on $REGISTRY_ADDR; reusing it"
else
  registry_dir="$(mktemp -d /tmp/seamless-registry.XXXXXX)"
  mkdir "$registry_dir/storage"
  cat >"$registry_dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $registry_dir/storage
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  echo "test-env: starting docker-registry on $REGISTRY_ADDR (config, storage and log in $registry_dir)"
  docker-registry serve "$registry_dir/config.yml" >"$registry_dir/registry.log" 2>&1 </dev/null &
  registry_pid=$!
  if [ -n "${SEAMLESS_REGISTRY_PIDFILE:-}" ]; then echo "$registry_pid" >"$SEAMLESS_REGISTRY_PIDFILE"; fi
  # Removes the temporary storage once the registry has stopped, whoever stops it.
  ( while kill -0 "$registry_pid" 2>/dev/null; do sleep 2; done; rm -rf "$registry_dir" ) \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do
    registry_answers && break
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! registry_answers; then
    echo "test-env: the registry did not answer on $REGISTRY_ADDR; $registry_dir/registry.log says:"
    tail -n 20 "$registry_dir/registry.log" || true
    kill "$registry_pid" 2>/dev/null || true
    exit 1
  fi
  echo "test-env: registry is up on $REGISTRY_ADDR (pid $registry_pid)"
fi

echo "test-env: ready. Tests that push images use the local registry:"
echo "  export SEAMLESS_TEST_REGISTRY=$REGISTRY_ADDR"

#!/usr/bin/env bash
# Installs and starts what the test suite needs, idempotently (run as root):
# Debian docker.io with dockerd in the background, busybox-static, the wasm32-wasip2
# Rust target, componentize-py, and the locally built base images.
# Prints the PID of a dockerd it started to $SEAMLESS_DOCKERD_PIDFILE (if set).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need_apt=()
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || need_apt+=(docker.io)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
command -v git >/dev/null 2>&1 || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test-env: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
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
echo "test-env: ready"

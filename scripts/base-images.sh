#!/usr/bin/env bash
# Builds the local base images the Docker host and its tests use.
#
# No image can be pulled from a public registry on these machines, so base images are
# made here with `docker import` of a small root filesystem:
#   seamless/busybox:latest  Debian's busybox-static plus a symlink per applet.
#
# Idempotent: an image that already exists is kept unless --force is given.
# Run as root. Starts dockerd in the background when no engine answers.
set -euo pipefail

IMAGE="seamless/busybox:latest"
FORCE=0

usage() {
    echo "usage: $0 [--force]" >&2
    echo "  --force  rebuild images that already exist" >&2
}

for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "base-images: unknown argument '$arg'" >&2; usage; exit 2 ;;
    esac
done

log() { echo "base-images: $*" >&2; }

# The engine: start dockerd when `docker info` does not answer.
ensure_docker() {
    if docker info >/dev/null 2>&1; then
        return
    fi
    local dockerd
    dockerd="$(command -v dockerd || true)"
    if [ -z "$dockerd" ]; then
        for candidate in /usr/sbin/dockerd /usr/bin/dockerd; do
            if [ -x "$candidate" ]; then dockerd="$candidate"; break; fi
        done
    fi
    if [ -z "$dockerd" ]; then
        log "dockerd not found; install it with 'apt-get install docker.io'"
        exit 1
    fi
    log "starting $dockerd (log in /tmp/dockerd.log)"
    "$dockerd" > /tmp/dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 60); do
        if docker info >/dev/null 2>&1; then
            log "docker engine is up"
            return
        fi
        sleep 1
    done
    log "docker engine did not answer within 60 s; see /tmp/dockerd.log"
    exit 1
}

# The static busybox binary from Debian's busybox-static.
ensure_busybox_static() {
    if dpkg -s busybox-static >/dev/null 2>&1 && [ -x /bin/busybox ]; then
        return
    fi
    log "installing busybox-static"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
}

build_busybox_image() {
    if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
        log "$IMAGE exists (use --force to rebuild)"
        return
    fi
    ensure_busybox_static

    local root
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' RETURN

    mkdir -p "$root"/{bin,etc,root,tmp,usr/bin,usr/sbin,sbin,var}
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] && continue
        ln -sf busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

    log "importing $IMAGE"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -c . \
        | docker import \
            --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
            --change 'CMD ["sh"]' \
            --change 'LABEL dev.seamless.base=busybox' \
            - "$IMAGE" >/dev/null
    log "built $IMAGE"
}

ensure_docker
build_busybox_image

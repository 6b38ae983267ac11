#!/usr/bin/env bash
# Builds the local base images the Docker host, its tests and the examples use.
#
# No image can be pulled from a public registry on these machines, so base images are
# made here with `docker import` of a root filesystem:
#   seamless/busybox:latest  Debian's busybox-static plus a symlink per applet (~2 MB,
#                            seconds).
#   seamless/debian:latest   a `debootstrap --variant=minbase` Debian bookworm with
#                            python3, socat, curl and ca-certificates, from the Debian
#                            mirror apt uses on this machine (~1 minute).
#
# Usage: base-images.sh [--force] [busybox|debian ...]   (default: both images)
# Idempotent: an image that already exists is kept unless --force is given.
# Concurrent runs are serialized with a lock file.
# Run as root. Starts dockerd in the background when no engine answers.
# SEAMLESS_DEBIAN_MIRROR overrides the mirror read from apt's sources.
set -euo pipefail

BUSYBOX_IMAGE="seamless/busybox:latest"
DEBIAN_IMAGE="seamless/debian:latest"
DEBIAN_SUITE="bookworm"
DEBIAN_INCLUDE="python3,socat,curl,ca-certificates"
BUSYBOX_PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
DEBIAN_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LOCK_FILE="/tmp/seamless-base-images.lock"
FORCE=0
WANTED=()

usage() {
    echo "usage: $0 [--force] [busybox|debian ...]" >&2
    echo "  --force  rebuild images that already exist" >&2
    echo "  names    build only these images (default: busybox and debian)" >&2
}

for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        busybox|debian) WANTED+=("$arg") ;;
        -h|--help) usage; exit 0 ;;
        *) echo "base-images: unknown argument '$arg'" >&2; usage; exit 2 ;;
    esac
done
[ ${#WANTED[@]} -gt 0 ] || WANTED=(busybox debian)

log() { echo "base-images: $*" >&2; }

# Temporary root file systems, removed when the script exits (also on failure).
TEMP_DIRS=()
cleanup() {
    local dir
    for dir in "${TEMP_DIRS[@]}"; do remove_rootfs "$dir"; done
}
trap cleanup EXIT

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

# Installs Debian packages that are missing (checked by package name).
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
        apt-get install -y -qq "${missing[@]}" >/dev/null
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------
# seamless/busybox

build_busybox_image() {
    if [ "$FORCE" = 0 ] && image_exists "$BUSYBOX_IMAGE"; then
        log "$BUSYBOX_IMAGE exists (use --force to rebuild)"
        return
    fi
    apt_install busybox-static

    local root
    root="$(mktemp -d)"
    TEMP_DIRS+=("$root")

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

    log "importing $BUSYBOX_IMAGE"
    tar --numeric-owner --owner=0 --group=0 -C "$root" -c . \
        | docker import \
            --change "ENV PATH=$BUSYBOX_PATH" \
            --change 'CMD ["sh"]' \
            --change 'LABEL dev.seamless.base=busybox' \
            - "$BUSYBOX_IMAGE" >/dev/null
    log "built $BUSYBOX_IMAGE"
}

# ---------------------------------------------------------------------------------
# seamless/debian

# The Debian mirror apt uses here: the first `deb` source for $DEBIAN_SUITE (not
# -security or -updates) in /etc/apt/sources.list, /etc/apt/sources.list.d/*.list
# (one-line format) or /etc/apt/sources.list.d/*.sources (deb822 format).
debian_mirror() {
    if [ -n "${SEAMLESS_DEBIAN_MIRROR:-}" ]; then
        echo "$SEAMLESS_DEBIAN_MIRROR"
        return
    fi
    local file uri
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        # deb [options] URI SUITE COMPONENTS...
        uri="$(sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$file" \
            | awk -v suite="$DEBIAN_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')"
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -f "$file" ] || continue
        uri="$(awk -v suite="$DEBIAN_SUITE" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") \
                    && enabled != "no" && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = ""; uris = ""; suites = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                value = $0; sub(/^[^:]*:[ \t]*/, "", value)
                if (key == "types") types = value
                else if (key == "uris") uris = value
                else if (key == "suites") suites = value
                else if (key == "enabled") enabled = tolower(value)
            }
            END { if (!found) flush() }
        ' "$file")"
        if [ -n "$uri" ]; then echo "$uri"; return; fi
    done
    return 1
}

# Unmounts anything debootstrap left mounted under $1, then removes it (without
# crossing into other file systems).
remove_rootfs() {
    local root="$1" mnt
    [ -e "$root" ] || return 0
    # Deepest mount points first.
    while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done < <(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r)
    rm -rf --one-file-system "$root"
}

build_debian_image() {
    if [ "$FORCE" = 0 ] && image_exists "$DEBIAN_IMAGE"; then
        log "$DEBIAN_IMAGE exists (use --force to rebuild)"
        return
    fi
    apt_install debootstrap debian-archive-keyring

    local mirror
    if ! mirror="$(debian_mirror)"; then
        log "no 'deb' source for $DEBIAN_SUITE in /etc/apt/sources.list{,.d/*}; set SEAMLESS_DEBIAN_MIRROR"
        exit 1
    fi

    local started=$SECONDS root
    # /var/tmp: a real disk (not tmpfs), where device nodes and exec work.
    root="$(mktemp -d /var/tmp/seamless-debian.XXXXXX)"
    TEMP_DIRS+=("$root" "$root.log")

    log "debootstrap --variant=minbase --include=$DEBIAN_INCLUDE $DEBIAN_SUITE from $mirror"
    if ! debootstrap --variant=minbase --include="$DEBIAN_INCLUDE" \
            "$DEBIAN_SUITE" "$root" "$mirror" > "$root.log" 2>&1; then
        log "debootstrap failed; last lines of $root.log:"
        tail -n 20 "$root.log" >&2
        exit 1
    fi
    rm -f "$root.log"
    log "debootstrap took $((SECONDS - started)) s"

    # Slim it down: package caches, lists, docs and man pages.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
        "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/tmp/* "$root"/root/.cache
    # dockerd writes these into every container.
    : > "$root/etc/hostname"
    : > "$root/etc/resolv.conf"

    log "importing $DEBIAN_IMAGE"
    tar --numeric-owner -C "$root" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . \
        | docker import \
            --change "ENV PATH=$DEBIAN_PATH" \
            --change 'ENV LANG=C.UTF-8' \
            --change 'CMD ["bash"]' \
            --change 'LABEL dev.seamless.base=debian' \
            - "$DEBIAN_IMAGE" >/dev/null

    # The tools the examples rely on must run in it.
    docker run --rm "$DEBIAN_IMAGE" sh -c \
        'python3 -c "import http.server, json, urllib.request" && socat -V >/dev/null && curl --version >/dev/null' \
        || { log "$DEBIAN_IMAGE lacks python3 http.server, socat or curl"; exit 1; }
    log "built $DEBIAN_IMAGE in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$DEBIAN_IMAGE" | awk '{ printf "%d MB", $1 / 1000000 }'))"
}

# ---------------------------------------------------------------------------------

exec 9>"$LOCK_FILE"
if ! flock -n 9; then
    log "another base-images.sh is running; waiting for it"
    flock 9
fi

ensure_docker
for name in "${WANTED[@]}"; do
    case "$name" in
        busybox) build_busybox_image ;;
        debian) build_debian_image ;;
    esac
done

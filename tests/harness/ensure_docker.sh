#!/usr/bin/env bash
# Docker for the test suite: `start` installs what is missing and starts a daemon if none answers;
# `stop` stops only a daemon that `start` started. Used by .ci/run; usable locally (as root).
#   bash tests/harness/ensure_docker.sh start|stop|status
set -euo pipefail

STATE_DIR="${KINDPLANE_HARNESS_STATE:-/tmp/kindplane-harness}"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
PACKAGES=(docker.io docker-registry containerd busybox-static podman)

say() { echo "ensure_docker: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

docker_answers() { timeout 20 docker info >/dev/null 2>&1; }

install_missing() {
    local missing=()
    command -v dockerd >/dev/null && command -v docker >/dev/null || missing+=(docker.io)
    [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
    command -v containerd >/dev/null && command -v ctr >/dev/null || missing+=(containerd)
    [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
    # Podman: the KIND_EXPERIMENTAL_PROVIDER=podman tests (tests/harness/podman.py); no daemon is started.
    command -v podman >/dev/null || missing+=(podman)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing Debian packages ${missing[*]} and not root to install them"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

start() {
    mkdir -p "$STATE_DIR"
    install_missing
    if docker_answers; then
        say "a Docker daemon already answers; using it"
        return 0
    fi
    [ "$(id -u)" = 0 ] || die "no Docker daemon answers and only root can start one here"
    # A pid file left by a daemon that died makes dockerd refuse to start.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        say "removing stale /var/run/docker.pid"
        rm -f /var/run/docker.pid
    fi
    say "starting dockerd --iptables=false --storage-driver=vfs (log: $LOG_FILE)"
    nohup dockerd --iptables=false --storage-driver=vfs >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    for _ in $(seq 1 120); do
        if docker_answers; then
            say "Docker is up (server $(docker info --format '{{.ServerVersion}}'))"
            return 0
        fi
        kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break
        sleep 0.5
    done
    say "dockerd log (last 40 lines):"
    tail -n 40 "$LOG_FILE" >&2 || true
    die "Docker did not start"
}

stop() {
    [ -f "$PID_FILE" ] || { say "no daemon started by this harness"; return 0; }
    local pid
    pid="$(cat "$PID_FILE")"
    if kill -0 "$pid" 2>/dev/null; then
        say "stopping dockerd ($pid)"
        kill "$pid"
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$PID_FILE"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) docker_answers && say "Docker answers" || { say "no Docker daemon answers"; exit 1; } ;;
    *) die "usage: $0 start|stop|status" ;;
esac

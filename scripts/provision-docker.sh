#!/usr/bin/env bash
# Make a Docker engine answer on this machine, with gVisor's runsc registered as a runtime.
#
# Idempotent: does nothing when `docker info` already answers with runsc listed.
# Needs root and Debian's package mirror (the machine's own apt sources); no registry.
# The engine's log goes to /var/log/chorebench-dockerd.log.
set -euo pipefail

log() { printf 'provision-docker: %s\n' "$*" >&2; }

engine_ready() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q runsc; }

if engine_ready; then
  log "engine already answering with runsc"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "no Docker engine answers and this script needs root to start one; start an engine or run as root"
  exit 1
fi

if ! command -v dockerd >/dev/null || ! command -v runsc >/dev/null || ! command -v mmdebstrap >/dev/null; then
  log "installing docker.io, runsc and mmdebstrap from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own service start fails without an init system; dockerd is started below.
  apt-get install -y -qq docker.io runsc mmdebstrap >/dev/null
fi

mkdir -p /etc/docker
# runsc refuses to start a container here without --network=none ("cannot run with network
# enabled in root network namespace"); every chorebench container is network-less anyway.
cat > /etc/docker/daemon.json <<'JSON'
{
  "runtimes": {
    "runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
  }
}
JSON

if pgrep -x dockerd >/dev/null; then
  log "dockerd runs: reloading its configuration"
  pkill -HUP -x dockerd
else
  log "starting dockerd in the background"
  nohup dockerd >/var/log/chorebench-dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if engine_ready; then
    log "engine ready: $(docker info --format '{{.ServerVersion}} runtimes={{json .Runtimes}}' | head -c 200)"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/chorebench-dockerd.log"
tail -n 20 /var/log/chorebench-dockerd.log >&2 || true
exit 1

#!/usr/bin/env bash
# Make a Docker engine answer on this machine, with gVisor's runsc registered as a runtime.
# `make test`, `make bench` and `make demo` run it first (`make engine`); it can be run by hand.
#
#   an engine answers, runsc listed     nothing to do
#   an engine answers, no runsc         root on Debian: install runsc, merge it into the
#                                       engine's daemon.json, reload the engine if the file
#                                       changed. Otherwise say so and go on (runc works).
#   no engine answers                   root on Debian: install Debian's docker.io, runsc and
#                                       mmdebstrap, merge runsc into daemon.json, start dockerd.
#                                       Otherwise say what to do (start Docker Desktop, run this
#                                       as root, install an engine the distribution's way) and
#                                       exit 1.
#
# The merge keeps every other setting of daemon.json (registry mirrors, data-root, logging...);
# an unreadable daemon.json is left alone and named. Needs Debian's package mirror (the
# machine's own apt sources), no registry. The engine's log: /var/log/chorebench-dockerd.log.
#
#   provision-docker.sh merge-runsc FILE   only merge runsc into FILE; print changed/unchanged
#
# Overrides, for tests of each path: DOCKER_DAEMON_JSON (default /etc/docker/daemon.json),
# PROVISION_OS_RELEASE (default /etc/os-release), PROVISION_UNAME (default `uname -s`).
set -euo pipefail

DAEMON_JSON=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
OS_RELEASE=${PROVISION_OS_RELEASE:-/etc/os-release}
KERNEL=${PROVISION_UNAME:-$(uname -s)}
ENGINE_LOG=/var/log/chorebench-dockerd.log
PIDFILE=/var/run/docker.pid  # the engine of the default socket (other dockerds have their own)

log() { printf 'provision-docker: %s\n' "$*" >&2; }

# runsc refuses to start a container here without --network=none ("cannot run with network
# enabled in root network namespace"); every chorebench container is network-less anyway.
merge_runsc() {
  python3 - "$1" <<'PY'
import json, os, sys, tempfile

path = sys.argv[1]
runtime = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
try:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
except FileNotFoundError:
    text = ""
try:
    config = json.loads(text) if text.strip() else {}
except ValueError as exc:
    sys.exit(f"provision-docker: {path} is not valid JSON ({exc}); fix it, then rerun")
runtimes = config.get("runtimes", {}) if isinstance(config, dict) else None
if not isinstance(runtimes, dict):
    sys.exit(f"provision-docker: {path}: expected a JSON object with an object 'runtimes'")
if runtimes.get("runsc") == runtime:
    print("unchanged")
    sys.exit(0)
config["runtimes"] = {**runtimes, "runsc": runtime}
folder = os.path.dirname(os.path.abspath(path))
os.makedirs(folder, exist_ok=True)
mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
fd, temporary = tempfile.mkstemp(prefix=".daemon.json.", dir=folder)
with os.fdopen(fd, "w", encoding="utf-8") as handle:
    json.dump(config, handle, indent=2)
    handle.write("\n")
os.chmod(temporary, mode)
os.replace(temporary, path)
print("changed")
PY
}

if [ "${1:-}" = merge-runsc ]; then
  merge_runsc "${2:?usage: provision-docker.sh merge-runsc FILE}"
  exit 0
fi

# Output captured whole: with pipefail, `docker info | grep -q` fails when grep exits first.
engine_ready() { [[ $(docker info --format '{{json .Runtimes}}' 2>/dev/null) == *runsc* ]]; }
engine_answers() { docker info >/dev/null 2>&1; }
# The pid of the dockerd serving the default socket, when it runs.
engine_pid() { [ -r "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

# Why this machine cannot have an engine provisioned by this script (empty: it can).
cannot_provision() {
  local id="" remote=false
  case "${DOCKER_HOST:-}" in "" | unix:///var/run/docker.sock) ;; unix://*) ;; *) remote=true ;; esac
  [ -r "$OS_RELEASE" ] && id=$(. "$OS_RELEASE" && echo "${ID:-}")
  if [ "$KERNEL" != Linux ]; then
    echo "no Docker engine answers: start Docker Desktop (or the engine you use), then rerun"
  elif [ "$(docker context show 2>/dev/null || true)" = desktop-linux ]; then
    echo "no Docker engine answers on the desktop-linux context: start Docker Desktop, then rerun"
  elif $remote; then
    echo "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST: start it there, or unset DOCKER_HOST to use this machine's engine"
  elif [ "$(id -u)" != 0 ]; then
    if [[ $(docker info 2>&1 || true) == *"permission denied while trying to connect"* ]]; then
      echo "the Docker engine's socket refuses this user: add it to the docker group (sudo usermod -aG docker $(id -un), then log in again), or run as root"
    else
      echo "no Docker engine answers and starting one needs root: run sudo bash scripts/provision-docker.sh once, or start your engine (sudo systemctl start docker)"
    fi
  elif [ "$id" != debian ] || ! command -v apt-get >/dev/null; then
    echo "no Docker engine answers, and this script installs Debian's packages (this is ${id:-an unknown system}): install Docker Engine (and gVisor's runsc for --runtime runsc) your distribution's way, start it, then rerun"
  elif [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    echo "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST: this script starts one only at unix:///var/run/docker.sock; start it there, or unset DOCKER_HOST"
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v runsc >/dev/null || missing+=(runsc)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # docker.io's own service start fails without an init system; dockerd is started below.
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

wait_for_runsc() {
  for _ in $(seq 1 60); do
    if engine_ready; then
      log "engine ready: $(docker info --format '{{.ServerVersion}} runtimes={{json .Runtimes}}' | head -c 200)"
      return 0
    fi
    sleep 1
  done
  log "the engine does not list runsc after 60 s; see $ENGINE_LOG"
  tail -n 20 "$ENGINE_LOG" >&2 || true
  return 1
}

if engine_ready; then
  log "engine already answering with runsc"
  exit 0
fi

why=$(cannot_provision || true)
if engine_answers; then
  if [ -n "$why" ]; then
    log "the engine answers without gVisor's runsc: runc only (for --runtime runsc, run this script as root on Debian)"
    exit 0
  fi
  install_packages
  if [ "$(merge_runsc "$DAEMON_JSON")" = unchanged ]; then
    log "$DAEMON_JSON already registers runsc but the engine does not list it: restart the engine to load it; runc only until then"
    exit 0
  fi
  if ! pid=$(engine_pid); then
    log "registered runsc in $DAEMON_JSON (every other setting kept); no dockerd pid in $PIDFILE: restart the engine to load it"
    exit 0
  fi
  log "registered runsc in $DAEMON_JSON (every other setting kept): reloading dockerd $pid"
  kill -HUP "$pid"
  wait_for_runsc
  exit
fi

if [ -n "$why" ]; then
  log "$why"
  exit 1
fi
install_packages
log "runsc in $DAEMON_JSON: $(merge_runsc "$DAEMON_JSON")"
if engine_pid >/dev/null; then
  log "dockerd runs but does not answer yet: waiting for it"
else
  log "starting dockerd in the background"
  nohup dockerd --config-file "$DAEMON_JSON" >"$ENGINE_LOG" 2>&1 &
fi
wait_for_runsc

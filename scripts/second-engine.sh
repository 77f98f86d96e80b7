#!/usr/bin/env bash
# A second, real Docker engine on this machine, for the multi-engine tests: reached over its own
# unix socket, over TCP on 127.0.0.1 with TLS (certificates made here), and over ssh (Debian's
# openssh-server on 127.0.0.1, a key made here).
#
#   second-engine.sh provision                      install openssh-server when missing (root)
#   second-engine.sh start DIR TCP_PORT SSH_PORT    start dockerd and sshd; state lives in DIR
#   second-engine.sh stop DIR                       stop both, remove their containers and data
#
# It must not disturb the machine's main engine: its own --data-root, --exec-root, --pidfile,
# containerd (started by dockerd under the exec root, with its own namespaces), no bridge, no
# iptables, its own cgroup parent and its own daemon.json (runsc registered, as on the main one).
# DIR must be short (unix socket paths are limited to 108 bytes): /run/cb2-<pid>, say.
#
# What `start` leaves in DIR:
#   docker.sock          the unix socket (unix://DIR/docker.sock)
#   tls/{ca,cert,key}.pem the client's certificates (tcp://127.0.0.1:TCP_PORT, TLS verified)
#   home/.ssh/           a HOME for ssh clients: config, id_ed25519, known_hosts
#                        (ssh://root@127.0.0.1:SSH_PORT with HOME=DIR/home)
set -euo pipefail

log() { printf 'second-engine: %s\n' "$*" >&2; }

provision() {
  if [ -x /usr/sbin/sshd ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    log "openssh-server is missing and installing it needs root"
    exit 1
  fi
  log "installing openssh-server from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Its service start fails or is skipped without an init system; sshd is started by `start`.
  apt-get install -y -qq openssh-server >/dev/null
}

certificates() {
  local dir=$1
  mkdir -p "$dir/tls" "$dir/tls-server"
  (
    cd "$dir/tls-server"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=chorebench test CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=chorebench test client" \
      -keyout client-key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out client-cert.pem 2>/dev/null
    cp ca.pem ../tls/ca.pem
    cp client-cert.pem ../tls/cert.pem
    cp client-key.pem ../tls/key.pem
  )
}

start_dockerd() {
  local dir=$1 port=$2
  local runsc
  runsc=$(command -v runsc || echo /usr/bin/runsc)
  cat >"$dir/daemon.json" <<JSON
{
  "runtimes": {"runsc": {"path": "$runsc", "runtimeArgs": ["--network=none"]}}
}
JSON
  mkdir -p "$dir/exec" "$dir/data"
  nohup dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --host "unix://$dir/docker.sock" \
    --host "tcp://127.0.0.1:$port" \
    --tlsverify \
    --tlscacert "$dir/tls-server/ca.pem" \
    --tlscert "$dir/tls-server/server-cert.pem" \
    --tlskey "$dir/tls-server/server-key.pem" \
    --containerd-namespace "chorebench2-$(basename "$dir")" \
    --containerd-plugins-namespace "chorebench2p-$(basename "$dir")" \
    --cgroup-parent "chorebench2-$(basename "$dir")" \
    --bridge none \
    --iptables=false \
    --ip-masq=false \
    --userland-proxy=false \
    --shutdown-timeout 2 \
    >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    if DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  log "dockerd did not answer within 30 s; its log:"
  tail -n 30 "$dir/dockerd.log" >&2 || true
  exit 1
}

start_sshd() {
  local dir=$1 port=$2
  local ssh=$dir/ssh home=$dir/home/.ssh
  mkdir -p "$ssh" "$home" /run/sshd
  chmod 700 "$dir/home" "$home"
  ssh-keygen -q -t ed25519 -N '' -f "$ssh/host_key" -C "chorebench second engine host"
  ssh-keygen -q -t ed25519 -N '' -f "$home/id_ed25519" -C "chorebench second engine client"
  cp "$home/id_ed25519.pub" "$ssh/authorized_keys"
  cat >"$ssh/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $ssh/host_key
PidFile $ssh/sshd.pid
AuthorizedKeysFile $ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
MaxSessions 200
SetEnv DOCKER_HOST=unix://$dir/docker.sock
CONF
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$ssh/host_key.pub")" >"$home/known_hosts"
  cat >"$home/config" <<CONF
Host 127.0.0.1
  IdentityFile $home/id_ed25519
  UserKnownHostsFile $home/known_hosts
  IdentitiesOnly yes
CONF
  chmod 600 "$home"/*
  /usr/sbin/sshd -f "$ssh/sshd_config" -E "$ssh/sshd.log"
  for _ in $(seq 1 40); do
    if [ -s "$ssh/sshd.pid" ]; then
      return 0
    fi
    sleep 0.25
  done
  log "sshd did not start; its log:"
  cat "$ssh/sshd.log" >&2 || true
  exit 1
}

stop() {
  local dir=$1
  if [ -s "$dir/ssh/sshd.pid" ]; then
    kill "$(cat "$dir/ssh/sshd.pid")" 2>/dev/null || true
  fi
  if [ -S "$dir/docker.sock" ]; then
    # Nothing of a test may outlive it: remove every container of this engine first.
    ids=$(DOCKER_HOST="unix://$dir/docker.sock" docker ps -aq 2>/dev/null || true)
    if [ -n "$ids" ]; then
      DOCKER_HOST="unix://$dir/docker.sock" docker rm -f $ids >/dev/null 2>&1 || true
    fi
  fi
  if [ -s "$dir/docker.pid" ]; then
    pid=$(cat "$dir/docker.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  # dockerd's own containerd stops with it; a containerd left by a killed dockerd does not.
  if [ -s "$dir/exec/containerd/containerd.pid" ]; then
    kill "$(cat "$dir/exec/containerd/containerd.pid")" 2>/dev/null || true
  fi
  # Overlay mounts under the data root go with the engine; anything still mounted stays.
  if ! grep -q " $dir/" /proc/mounts; then
    rm -rf "$dir"
  else
    log "mounts under $dir remain; leaving it"
  fi
}

case "${1:-}" in
  provision) provision ;;
  start)
    [ $# -eq 4 ] || { log "usage: $0 start DIR TCP_PORT SSH_PORT"; exit 2; }
    provision
    mkdir -p "$2"
    certificates "$2"
    start_dockerd "$2" "$3"
    start_sshd "$2" "$4"
    log "engine up: unix://$2/docker.sock, tcp://127.0.0.1:$3 (TLS), ssh://root@127.0.0.1:$4"
    ;;
  restart-dockerd)
    [ $# -eq 3 ] || { log "usage: $0 restart-dockerd DIR TCP_PORT"; exit 2; }
    start_dockerd "$2" "$3"
    ;;
  stop)
    [ $# -eq 2 ] || { log "usage: $0 stop DIR"; exit 2; }
    stop "$2"
    ;;
  *)
    log "usage: $0 provision | start DIR TCP_PORT SSH_PORT | restart-dockerd DIR TCP_PORT | stop DIR"
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Brings up what the end-to-end tests need on a plain Debian 12 machine, as root:
# Docker Engine (docker.io), a local registry on 127.0.0.1:5000 (docker-registry),
# a static busybox (busybox-static), docker-compose and git; and what the multi-node Swarm harness
# (test/support/swarm-cluster.ts) needs: ip (iproute2), iptables, nsenter (util-linux) and the
# kernel's vxlan driver for overlay networks.
# Idempotent: running it again when everything is up changes nothing.
set -euo pipefail

DOCKERD_LOG=/var/log/gitdock-test-dockerd.log
REGISTRY_DIR=/var/lib/gitdock-test-registry
REGISTRY_CONFIG=/etc/gitdock-test-registry.yml
REGISTRY_LOG=/var/log/gitdock-test-registry.log
REGISTRY_URL=http://127.0.0.1:5000/v2/
WAIT_SECONDS=${GITDOCK_TEST_ENV_WAIT:-60}

say() { echo "test-env: $*"; }

# dockerd lives in /usr/sbin, which a non-login root shell may not have on PATH
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin" ;; esac
case ":$PATH:" in *:/sbin:*) ;; *) PATH="$PATH:/sbin" ;; esac
export PATH

if [ "$(id -u)" -ne 0 ]; then
  echo "test-env: must run as root (apt-get install, dockerd)" >&2
  exit 1
fi

# --- packages ---------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(dockerd)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
[ -x /bin/busybox ] || missing+=(/bin/busybox)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# age (age, age-keygen) and gpg make the fixtures of the encrypted-secrets tests.
command -v age-keygen >/dev/null 2>&1 || missing+=(age)
command -v gpg >/dev/null 2>&1 || missing+=(gpg)
# chromium renders the fleet's HTML report in its test (driven by playwright-core, never a downloaded browser).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The Swarm harness: network namespaces, veths and a bridge (ip), the DOCKER-USER rule (iptables),
# dockerd in a node's namespace (nsenter).
command -v ip >/dev/null 2>&1 || missing+=(ip)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v nsenter >/dev/null 2>&1 || missing+=(nsenter)
if [ "${#missing[@]}" -gt 0 ]; then
  say "missing: ${missing[*]}; installing packages"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    docker.io docker-registry busybox-static docker-compose git openssl age gpg chromium iproute2 iptables util-linux
  say "installed docker.io docker-registry busybox-static docker-compose git openssl age gpg chromium iproute2 iptables util-linux"
else
  say "packages present (dockerd, docker-registry, /bin/busybox, docker-compose, git, age, gpg, chromium, ip, iptables, nsenter)"
fi

# --- kernel: vxlan for the Swarm harness's overlay networks -------------------
# Built in or loaded, the driver shows in /sys/module. A kernel without module support (no
# /proc/modules) cannot load it: say so, the overlay test would fail with a less clear error.
if [ -d /sys/module/vxlan ]; then
  say "kernel has vxlan"
elif [ -e /proc/modules ]; then
  command -v modprobe >/dev/null 2>&1 || {
    say "modprobe missing; installing kmod"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q kmod
  }
  modprobe vxlan || { echo "test-env: cannot load the vxlan module (modprobe vxlan failed): the Swarm harness's overlay networks need it" >&2; exit 1; }
  say "loaded the vxlan module"
else
  echo "test-env: the kernel has no vxlan driver and cannot load modules: the Swarm harness's overlay networks need it" >&2
  exit 1
fi
command -v docker >/dev/null 2>&1 || { echo "test-env: no docker client on PATH" >&2; exit 1; }

# A newer client (28.x) negotiates down to the engine's API 1.41; pin it if it does not.
if docker version 2>&1 | grep -qi 'too new'; then
  export DOCKER_API_VERSION=1.41
  say "client too new for the engine: using DOCKER_API_VERSION=1.41"
fi

# waits until "$@" succeeds, polling every second, at most WAIT_SECONDS
wait_until() {
  local what=$1; shift
  local i
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "test-env: $what did not come up within ${WAIT_SECONDS}s" >&2
  return 1
}

registry_up() { curl -fs -o /dev/null --max-time 3 "$REGISTRY_URL"; }

# --- Docker Engine -----------------------------------------------------------
if docker info >/dev/null 2>&1; then
  say "docker engine already answers"
else
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "dockerd (pid $(cat /var/run/docker.pid)) is running but not answering yet; waiting"
  else
    # a stale pid file from a killed daemon would stop a new one from starting
    rm -f /var/run/docker.pid
    say "starting dockerd (log: $DOCKERD_LOG)"
    # Docker's default address pools allow about 30 bridge networks; the suite and the benchmark
    # (20 Compose projects next to 20 gitdock stacks) need more. /24 networks carved from the same
    # private 172.16.0.0/12 range Docker uses by default give 4096.
    setsid dockerd --default-address-pool base=172.16.0.0/12,size=24 >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  fi
  if ! wait_until "docker engine" docker info; then
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
  if docker version 2>&1 | grep -qi 'too new'; then
    export DOCKER_API_VERSION=1.41
    say "client too new for the engine: using DOCKER_API_VERSION=1.41"
  fi
  say "docker engine answers"
fi

# --- registry ----------------------------------------------------------------
command -v curl >/dev/null 2>&1 || {
  say "curl missing; installing"
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl
}
if registry_up; then
  say "registry already answers at $REGISTRY_URL"
else
  mkdir -p "$REGISTRY_DIR"
  cat >"$REGISTRY_CONFIG" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YAML
  say "wrote registry config $REGISTRY_CONFIG (storage $REGISTRY_DIR)"
  say "starting docker-registry (log: $REGISTRY_LOG)"
  setsid docker-registry serve "$REGISTRY_CONFIG" >>"$REGISTRY_LOG" 2>&1 < /dev/null &
  if ! wait_until "registry at $REGISTRY_URL" registry_up; then
    tail -n 30 "$REGISTRY_LOG" >&2 || true
    exit 1
  fi
  say "registry answers at $REGISTRY_URL"
fi

say "ready"

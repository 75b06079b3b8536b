#!/usr/bin/env bash
# System dependencies of evidence/run, for a clean Debian machine (what .ci/run calls):
# Node.js and npm, redis-server, PostgreSQL's server binaries, an unprivileged account to run
# PostgreSQL as (it refuses root), and the pinned npm packages.
# Idempotent: whatever is already there is left alone, and apt is only touched when needed.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf 'evidence/setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

has_pg() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
has_pg || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for tool in node npm redis-server; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool is still missing after apt-get"; exit 1; }
done
has_pg || { log "PostgreSQL (initdb, postgres) is still missing after apt-get"; exit 1; }

# evidence/run starts PostgreSQL as this account when it runs as root.
if [ "$(id -u)" -eq 0 ] && ! id nobody >/dev/null 2>&1; then
  log "useradd nobody"
  useradd --system --no-create-home --shell /usr/sbin/nologin nobody
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  log "Node.js $(node --version) is too old: the cases need 18 or later (global fetch)"
  exit 1
fi

# npm writes node_modules/.package-lock.json on every install: newer than the lockfile means
# the installed tree is the locked one.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
log "ready: node $(node --version), $(redis-server --version | cut -d' ' -f1-3)"

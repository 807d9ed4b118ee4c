#!/usr/bin/env bash
# Gets a machine ready to build and test Lifeboat: the system tools the tests
# run for real (PostgreSQL, Redis, age), the pinned pnpm, then `pnpm install`.
# Installs only what is missing; safe to run again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

# systemd: systemd-analyze checks the generated units, even where PID 1 is not systemd.
# chromium: the report test opens the HTML report headless and takes a screenshot.
APT_PACKAGES=(postgresql postgresql-client redis-server redis-tools age openssl tmux systemd chromium)

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
can_be_root() {
  [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1
}

# Runs a noisy command quietly; on failure shows the end of its output.
quietly() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    die "failed: $*"
  fi
  rm -f "$log"
}

# Server binaries live off PATH on Debian (/usr/lib/postgresql/<ver>/bin).
have_initdb() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# --- Node ---------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js 20 or newer is needed; install it first (https://nodejs.org or your package manager)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is needed; this is $(node --version)"

# --- System packages ------------------------------------------------------------
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    can_be_root || die "missing ${missing[*]}; run as root (or install sudo), or install them yourself"
    say "apt-get update"
    quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    say "apt-get install ${missing[*]}"
    quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    say "system packages present: ${APT_PACKAGES[*]}"
  fi
else
  absent=()
  have_initdb || absent+=("PostgreSQL server (initdb, postgres, pg_ctl)")
  command -v psql >/dev/null 2>&1 || absent+=("PostgreSQL client (psql, pg_dump, pg_restore)")
  command -v redis-server >/dev/null 2>&1 || absent+=("Redis server (redis-server)")
  command -v redis-cli >/dev/null 2>&1 || absent+=("Redis tools (redis-cli, redis-check-rdb)")
  command -v age >/dev/null 2>&1 || absent+=("age (https://age-encryption.org)")
  command -v systemd-analyze >/dev/null 2>&1 || absent+=("systemd-analyze (the systemd package)")
  if [ "${#absent[@]}" -gt 0 ]; then
    printf 'bootstrap: no apt-get here; install these yourself, then run this script again:\n' >&2
    printf '  - %s\n' "${absent[@]}" >&2
    printf 'bootstrap: (macOS with Homebrew: brew install postgresql@15 redis age)\n' >&2
    exit 1
  fi
  say "system tools present"
fi

# --- pnpm -----------------------------------------------------------------------
# The version pinned in package.json's packageManager field ("pnpm@12.4.2").
want_pnpm="$(node -p 'require("./package.json").packageManager.split("@")[1].split("+")[0]')"
have_pnpm="$(pnpm --version 2>/dev/null || true)"
if [ "$have_pnpm" != "$want_pnpm" ]; then
  say "installing pnpm ${want_pnpm} (found ${have_pnpm:-none})"
  # corepack is not reliable everywhere; npm is.
  if ! npm install -g "pnpm@${want_pnpm}" >/dev/null 2>&1; then
    can_be_root || die "could not install pnpm ${want_pnpm} with 'npm install -g'; install it yourself"
    quietly as_root npm install -g "pnpm@${want_pnpm}"
  fi
  hash -r
  have_pnpm="$(pnpm --version 2>/dev/null || true)"
  [ "$have_pnpm" = "$want_pnpm" ] || die "pnpm ${want_pnpm} was installed, but 'pnpm --version' says '${have_pnpm}'; check PATH"
else
  say "pnpm ${have_pnpm}"
fi

# --- Dependencies -----------------------------------------------------------------
say "pnpm install --frozen-lockfile"
pnpm install --frozen-lockfile
say "ready"

#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need on a fresh Debian machine, and nothing when it is
# already there: the database server (Debian's MariaDB packages), node dependencies, the build.
# Fast in the steady state: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { [ -n "${MYSQLOPS_QUIET:-}" ] || echo "bootstrap: $*" >&2; }

server_present() {
  command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 ||
    [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]
}

# The sandbox needs the server binaries, the client tools (dump/binlog for later features) and
# openssl for the sandbox's TLS certificates. Only what is missing is installed (and named).
PACKAGES=""
MISSING=""
if ! server_present; then
  PACKAGES="mariadb-server mariadb-client"
  MISSING="a MySQL or MariaDB server"
fi
if ! command -v openssl >/dev/null 2>&1; then
  PACKAGES="${PACKAGES:+$PACKAGES }openssl"
  MISSING="${MISSING:+$MISSING and }openssl (for the sandbox's TLS certificates)"
fi
# Backups compress with zstd (the program: Node 20's zlib has none); bench/backup compares against
# mydumper/myloader.
if ! command -v zstd >/dev/null 2>&1; then
  PACKAGES="${PACKAGES:+$PACKAGES }zstd"
  MISSING="${MISSING:+$MISSING and }zstd (backup compression)"
fi
if ! command -v mydumper >/dev/null 2>&1 || ! command -v myloader >/dev/null 2>&1; then
  PACKAGES="${PACKAGES:+$PACKAGES }mydumper"
  MISSING="${MISSING:+$MISSING and }mydumper (the reference in bench/backup)"
fi
# The dashboard's browser test drives a headless Chromium (playwright-core, no bundled browser).
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  PACKAGES="${PACKAGES:+$PACKAGES }chromium"
  MISSING="${MISSING:+$MISSING and }chromium (the dashboard's browser test)"
fi
# /metrics is tested against mysqld_exporter's names and output (and bench/metrics times both);
# promtool checks the exposition text and the alert rules in monitoring/alerts.
if [ ! -x /usr/bin/prometheus-mysqld-exporter ]; then
  PACKAGES="${PACKAGES:+$PACKAGES }prometheus-mysqld-exporter"
  MISSING="${MISSING:+$MISSING and }prometheus-mysqld-exporter (the reference for /metrics)"
fi
if ! command -v promtool >/dev/null 2>&1; then
  PACKAGES="${PACKAGES:+$PACKAGES }prometheus"
  MISSING="${MISSING:+$MISSING and }promtool (package prometheus: checks /metrics and the alert rules)"
fi
# Galera clusters (sandbox start --galera N): the provider library, and mariabackup for state
# snapshot transfers (rsync's daemon cannot write into the data directory when run as root).
if [ ! -e /usr/lib/galera/libgalera_smm.so ] && [ ! -e /usr/lib/libgalera_smm.so ]; then
  PACKAGES="${PACKAGES:+$PACKAGES }galera-4"
  MISSING="${MISSING:+$MISSING and }galera-4 (the Galera provider for sandbox start --galera)"
fi
if ! command -v mariabackup >/dev/null 2>&1 && ! command -v mariadb-backup >/dev/null 2>&1; then
  PACKAGES="${PACKAGES:+$PACKAGES }mariadb-backup"
  MISSING="${MISSING:+$MISSING and }mariadb-backup (state snapshot transfer of Galera nodes)"
fi
if [ -n "$PACKAGES" ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "mysqlops needs $MISSING installed, and this user cannot install it." >&2
    echo "Install it with:  sudo apt-get update && sudo apt-get install -y $PACKAGES" >&2
    exit 2
  fi
  say "installing $PACKAGES from Debian's packages (one time, about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp /tmp/mysqlops-apt.XXXXXX.log)
  # apt's chatter goes to a log that is shown only when something fails.
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "bootstrap: installing $PACKAGES failed (full log: $log)" >&2
    exit 1
  fi
  rm -f "$log"
fi

# node dependencies: `npm ci` when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

# The build: when dist is missing or any source file is newer than it.
if [ ! -f dist/cli/bin.js ] || [ -n "$(find src -newer dist/cli/bin.js -print -quit)" ]; then
  say "building (tsc)"
  npm run --silent build >&2
fi

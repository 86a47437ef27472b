#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, listening on 127.0.0.1 only, trust authentication.
#
#   scripts/pg-test-server.sh start       prints two lines for eval:
#                                           DATABASE_URL=postgresql://postgres@127.0.0.1:<port>/postgres
#                                           PGTEST_DIR=<the cluster's temporary folder>
#   scripts/pg-test-server.sh stop <dir>  stops that cluster and removes its folder
#
# It uses the server binaries of the newest /usr/lib/postgresql/<version>/bin (Debian's layout), or
# PG_BIN when set, or initdb and pg_ctl on PATH. None found: exit 3 with "apt-get install postgresql".
# PostgreSQL refuses to run as root, so as root the cluster runs as PGTEST_USER (default postgres,
# the user Debian's package creates). Nothing is left behind but while the cluster runs: fsync is off.
set -euo pipefail

MARKER=.slotshift-pg-test
# How many ports to try when the free one it picked was taken in the meantime.
PORT_TRIES=5
# Seconds pg_ctl waits for the server to start or stop.
WAIT_SECONDS=30

# die MESSAGE [EXIT_CODE]
die() {
    echo "pg-test-server: $1" >&2
    exit "${2:-1}"
}

find_bin() {
    local dir
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN holds no initdb and pg_ctl" 3
        echo "$PG_BIN"
        return
    fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
        return
    fi
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return
    fi
    echo "pg-test-server: the PostgreSQL server binaries (initdb, pg_ctl) are missing: apt-get install postgresql" >&2
    exit 3
}

# Runs a command as the cluster's owner: this user, or PGTEST_USER when this user is root.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$OWNER" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start() {
    local bin dir port tries=0
    bin="$(find_bin)"
    OWNER="$(id -un)"
    if [[ "$(id -u)" == 0 ]]; then
        OWNER="${PGTEST_USER:-postgres}"
        id -u "$OWNER" >/dev/null 2>&1 || die "running as root, and there is no user '$OWNER' to run PostgreSQL as (apt-get install postgresql creates 'postgres'; or set PGTEST_USER)"
        command -v runuser >/dev/null || die "running as root, and runuser (util-linux) is missing"
    fi
    # Under /tmp, not $TMPDIR: the owner must reach it when root's TMPDIR is private.
    dir="$(mktemp -d /tmp/slotshift-pg.XXXXXX)"
    touch "$dir/$MARKER"
    if [[ "$(id -u)" == 0 ]]; then
        chown -R "$OWNER" "$dir"
    fi
    if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf -- "$dir"
        die "initdb failed"
    fi
    while :; do
        tries=$((tries + 1))
        port="$(free_port)"
        # -k: the Unix socket goes in the cluster's folder, not /var/run/postgresql.
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t "$WAIT_SECONDS" \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        if ((tries >= PORT_TRIES)) || ! grep -q "could not bind\|already in use" "$dir/server.log" 2>/dev/null; then
            cat "$dir/pg_ctl.log" "$dir/server.log" >&2 2>/dev/null || true
            rm -rf -- "$dir"
            die "pg_ctl start failed"
        fi
    done
    echo "$bin" >"$dir/bin"
    echo "DATABASE_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    echo "PGTEST_DIR=$dir"
}

stop() {
    local dir="${1:-}" bin
    [[ -n "$dir" ]] || die "usage: $0 stop <dir>"
    # Only ever removes a folder this script made.
    [[ "$dir" == /tmp/slotshift-pg.* && -f "$dir/$MARKER" ]] || die "$dir is not a cluster this script started"
    OWNER="$(stat -c %U "$dir")"
    bin="$(cat "$dir/bin" 2>/dev/null || find_bin)"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t "$WAIT_SECONDS" stop >/dev/null 2>&1 || die "pg_ctl stop failed; $dir is left"
    fi
    rm -rf -- "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*) die "usage: $0 start | stop <dir>" 2 ;;
esac

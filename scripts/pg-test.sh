#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on 127.0.0.1 for the
# test suite and prints its URL. Usage: pg-test.sh start|stop|status
# (status: exit 0 when the cluster runs; make test stops only a cluster it
# started itself)
# The cluster lives in $PICPIPE_PGTEST_DIR (default /tmp/picpipe-pgtest),
# trusts loopback, and is owned by the postgres user when run as root.
set -euo pipefail
dir=${PICPIPE_PGTEST_DIR:-/tmp/picpipe-pgtest}
port=${PICPIPE_PGTEST_PORT:-55432}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg-test.sh: PostgreSQL server not installed" >&2; exit 1; }
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
start)
	if [ ! -f "$dir/PG_VERSION" ]; then
		mkdir -p "$dir"
		[ "$(id -u)" = 0 ] && chown postgres "$dir"
		as_owner "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
	fi
	if ! as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir" -w -l "$dir/log" \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
	fi
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	as_owner "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
	;;
status)
	[ -f "$dir/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1
	;;
*)
	echo "usage: $0 start|stop|status" >&2; exit 2
	;;
esac

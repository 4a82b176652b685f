#!/usr/bin/env bash
# Start PostgreSQL and Redis for `make multihost`, installing Debian's packages when missing.
#
#   eval "$(tests/multihost/services.sh)" && make multihost
#
# Both run from a private directory (MULTIHOST_DIR, default /tmp/ot-multihost) on their own ports,
# so a system cluster is neither needed nor touched. Prints the `export` lines the tests read;
# everything else goes to stderr. Running it again reuses what is already up.
set -euo pipefail

DIR=${MULTIHOST_DIR:-/tmp/ot-multihost}
PGPORT=${MULTIHOST_PG_PORT:-54329}
REDISPORT=${MULTIHOST_REDIS_PORT:-63799}

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian's packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
mkdir -p "$DIR"
# PostgreSQL refuses to run as root: as root, run it as the package's postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DIR"
  as_pg=(runuser -u postgres --)
fi

if [ ! -f "$DIR/pg/PG_VERSION" ]; then
  "${as_pg[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U postgres -A trust --no-sync >/dev/null
fi
if ! "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/postgresql.log" -w \
    -o "-p $PGPORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi
psql=(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ -z "$("${psql[@]}" -c "select 1 from pg_roles where rolname = 'dashboard'")" ]; then
  "${psql[@]}" -c "create role dashboard login password 'dashboard'" >&2
fi
if [ -z "$("${psql[@]}" -c "select 1 from pg_database where datname = 'dashboard'")" ]; then
  "${psql[@]}" -c "create database dashboard owner dashboard" >&2
fi

if ! redis-cli -p "$REDISPORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --save '' \
    --appendonly no --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >&2
  for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "PostgreSQL on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDISPORT are up." >&2
echo "export MULTIHOST_DATABASE_URL=postgres://dashboard:dashboard@127.0.0.1:$PGPORT/dashboard"
echo "export MULTIHOST_CACHE_URL=redis://127.0.0.1:$REDISPORT/0"

#!/bin/bash
# The database driver's cases (tests/unit/test-db-backends.c) against a real
# PostgreSQL: a throwaway primary with a synchronous standby
# (tests/harness/pg.sh).  Then the server stopped under an open
# connection (a temporary error, and the multi-host target refused while
# only the read-only standby is left), the standby promoted, and the
# multi-host target (target_session_attrs=read-write) reaching it with
# the committed row.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"

bin=$TRIAGE_BUILD_DIR/tests/test-db-backends
pg_start
pg_standby_start

export TRIAGE_PG_TARGET=$PG_TARGET TRIAGE_PG_PW_TARGET=$PG_PW_TARGET
export TRIAGE_PG_PASSWORD=$PG_PASSWORD
export TRIAGE_PG_MULTI_TARGET=$PG_MULTI_TARGET
export TRIAGE_PG_STANDBY_TARGET=$PG_STANDBY_TARGET
"$bin"

TRIAGE_PG_POSTMASTER_PID=$(pg_postmaster_pid primary) "$bin" stop
pg_stop primary
pg_promote
"$bin" failover
echo "test-db-pg: ok"

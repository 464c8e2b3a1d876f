#!/usr/bin/env bash
# Lints every PL/pgSQL function of the df schema with plpgsql_check (errors, warnings, and its
# security checks: SQL injection through EXECUTE, search_path hazards), on a throwaway
# PostgreSQL 15 cluster from Debian's packages.
#   needs: postgresql-15 and postgresql-15-plpgsql-check (apt-get install postgresql-15-plpgsql-check)
#   usage: scripts/lint-plpgsql.sh        (exits 1 when plpgsql_check reports an error)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "lint: PostgreSQL 15 binaries not found in $bin" >&2; exit 2; }
[ -f /usr/lib/postgresql/15/lib/plpgsql_check.so ] || {
  echo "lint: plpgsql_check missing: apt-get install postgresql-15-plpgsql-check" >&2; exit 2; }
work="$(mktemp -d /tmp/df-lint.XXXXXX)"
port=55611
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cleanup() { as_postgres "$bin/pg_ctl -D $work/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
as_postgres "$bin/initdb -D $work/data -A trust -U postgres" >/dev/null
as_postgres "$bin/pg_ctl -D $work/data -o '-p $port -k $work -c listen_addresses=127.0.0.1' -l $work/log start" >/dev/null
psql=(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
"${psql[@]}" -c "CREATE SCHEMA df_engine"
while read -r file; do
  case "$file" in ''|'#'*) continue ;; esac
  "${psql[@]}" -f "$root/sql/src/main/resources/df/$file"
done < "$root/sql/src/main/resources/df/migrations.list"
"${psql[@]}" -c "CREATE EXTENSION plpgsql_check"
report="$("${psql[@]}" -F ' | ' <<'SQL'
SELECT p.oid::regprocedure, c.level, c.message, coalesce(c.statement, ''), coalesce(c.detail, '')
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
 CROSS JOIN LATERAL plpgsql_check_function_tb(
         p.oid,
         relid => CASE WHEN p.proname = 'signal_inserted' THEN 'df_engine.signals'::regclass
                       WHEN p.prorettype = 'trigger'::regtype THEN 'df.instances'::regclass
                       ELSE 0 END,
         extra_warnings => true, security_warnings => true) c
 WHERE n.nspname IN ('df', 'df_engine')
 ORDER BY 1, 2;
SQL
)"
if [ -n "$report" ]; then echo "$report"; else echo "lint: plpgsql_check found nothing"; fi
if echo "$report" | grep -q ' | error | '; then exit 1; fi

-- maintenance-runbook.sql: detect a bloated table, ask a human, then VACUUM it.
--
-- What it shows
--   * a workflow variable ({runbook_table}, set with df.setvar before df.start) used in the steps;
--   * df.if_rows: act only if the detection step found something;
--   * notifying: pg_notify always, and a df.http POST to a webhook (Slack-style {"text": ...})
--     when -v webhook_url=... is given;
--   * df.wait_for_signal with a timeout: the instance waits, holding no connection, until someone
--     sends the 'approval' signal, or gives up after an hour;
--   * VACUUM as a step. VACUUM cannot run inside a transaction block, so the engine runs such a
--     statement again in autocommit mode: that step is at least once, not exactly once (VACUUM
--     does not mind running twice).
--
-- Run it against `./durable up`
--   1. Without a webhook nothing else is needed. With one, the engine must be allowed to reach it
--      (./durable up --set http.allowlist=hooks.example.com, or --set http.policy=allow-all for
--      a listener on your own machine) and the role needs EXECUTE on df.http, once, as the
--      superuser:
--        psql "postgresql://postgres@127.0.0.1:55433/postgres" \
--             -c "SELECT df.grant_usage('app', include_http => true)"
--   2. psql "postgresql://app@127.0.0.1:55433/postgres" -f docs/examples/maintenance-runbook.sql
--        [-v webhook_url=https://hooks.example.com/...]  [-v table=your_table]
--      The script makes a demo table with 20 000 dead rows, starts the runbook and waits for it.
--   3. While it waits, approve from a second session as the same role (the instance id is
--      printed, and is in the notification):
--        SELECT df.signal('<instance id>', 'approval', '{"approved": true, "by": "ann"}');
--      Anything else ('{"approved": false}', or no answer within the hour) skips the VACUUM.
--      To listen for the notification in psql: LISTEN dba_alerts;
--
-- Needs: df usage and CREATE on schema public; with a webhook, EXECUTE on df.http and a host
-- policy that allows it. The role must own the table it vacuums. The script is idempotent: it
-- recreates its demo table and empties its log.
--
-- Ends with the instance's status (completed), the runbook log (detected, notified, approved,
-- vacuumed) and the table's dead rows after the VACUUM: 0.

\set ON_ERROR_STOP on
SET search_path = "$user", public, df;
\if :{?table}
\else
  \set table runbook_bloat
\endif

CREATE TABLE IF NOT EXISTS runbook_log (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  event  text NOT NULL,
  detail jsonb
);
TRUNCATE runbook_log;

-- The demo table: 25 000 rows, 20 000 of them deleted. Autovacuum is off for it, so the dead rows
-- wait for the runbook.
DROP TABLE IF EXISTS runbook_bloat;
CREATE TABLE runbook_bloat (id int PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
INSERT INTO runbook_bloat SELECT g, repeat('x', 100) FROM generate_series(1, 25000) AS g;
DELETE FROM runbook_bloat WHERE id % 5 <> 0;
-- Statistics reach pg_stat_user_tables within a second; on PostgreSQL 15+ ask for it now.
DO $$
BEGIN
  PERFORM pg_stat_force_next_flush();
EXCEPTION WHEN undefined_function THEN
  PERFORM pg_sleep(1.5);
END $$;

-- The notification step: a webhook when one is given, else only pg_notify.
\if :{?webhook_url}
SELECT df.http(:'webhook_url', 'POST',
         body => $${"text": "Table {runbook_table} has $bloat.n_dead_tup dead rows ($bloat.dead_pct % of its rows). Approve the VACUUM with: SELECT df.signal('{sys_instance_id}', 'approval', '{\"approved\": true}')", "instance": "{sys_instance_id}"}$$,
         headers => '{"Content-Type": "application/json"}') AS webhook_step \gset
\else
SELECT df.sql('SELECT ''no webhook'' AS webhook') AS webhook_step \gset
\endif

SELECT df.setvar('runbook_table', :'table');
SELECT df.start(
  -- 1. Detect: more than 1 000 dead rows, and more than 20 % of the table.
  $$SELECT relname, n_live_tup, n_dead_tup,
           round(100.0 * n_dead_tup / greatest(n_live_tup + n_dead_tup, 1), 1) AS dead_pct
      FROM pg_stat_user_tables
     WHERE relid = '{runbook_table}'::regclass
       AND n_dead_tup > 1000 AND n_dead_tup > 0.2 * (n_live_tup + n_dead_tup)$$ |=> 'bloat'
  ~> df.if_rows('bloat',
       -- 2. Notify, 3. wait for a decision, 4. act on it.
       $$INSERT INTO runbook_log (event, detail)
         VALUES ('detected', jsonb_build_object('table', $bloat.relname,
                   'n_dead_tup', $bloat.n_dead_tup, 'dead_pct', $bloat.dead_pct))$$
       ~> $$SELECT pg_notify('dba_alerts',
                  format('%s has %s dead rows; approve with SELECT df.signal(%L, ''approval'', ''{"approved": true}'')',
                         $bloat.relname, $bloat.n_dead_tup, '{sys_instance_id}'))$$
       ~> :'webhook_step'
       ~> $$INSERT INTO runbook_log (event) VALUES ('notified')$$
       ~> (df.wait_for_signal('approval', 3600) |=> 'approval')
       ~> df.if($$SELECT coalesce(($approval::jsonb #>> '{data,approved}')::boolean, false)$$,
                $$INSERT INTO runbook_log (event, detail) VALUES ('approved', $approval::jsonb -> 'data')$$
                ~> 'VACUUM (ANALYZE) {runbook_table}'
                ~> $$INSERT INTO runbook_log (event, detail)
                    SELECT 'vacuumed', jsonb_build_object('n_dead_tup', n_dead_tup)
                      FROM pg_stat_user_tables WHERE relid = '{runbook_table}'::regclass$$,
                $$INSERT INTO runbook_log (event, detail) VALUES ('not approved', $approval::jsonb)$$),
       $$INSERT INTO runbook_log (event) VALUES ('nothing to do')$$)
  ~> 'SELECT string_agg(event, '', '' ORDER BY id) AS events FROM runbook_log',
  'maintenance-runbook') AS id \gset

\echo started instance :id
SELECT format('SELECT df.signal(%L, %L, %L);', :'id', 'approval', '{"approved": true}')
       AS "approve from another session with";
SELECT df.await_instance(:'id', 3700) AS status;

SELECT event, detail FROM runbook_log ORDER BY id;
SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE relid = :'table'::regclass;

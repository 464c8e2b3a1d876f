-- durable-sql: what the dashboard (docs/dashboard.md) reads besides the df tables and functions.
-- The engine's own tables are not granted to users; these views show a caller the rows of the
-- instances that RLS on df.instances shows them (all rows when RLS does not apply to the caller:
-- superusers, BYPASSRLS roles, the owner), like df_engine.cancel_reasons. A view keeps CURRENT_USER
-- (a SECURITY DEFINER function would not), and security_barrier keeps a caller's own conditions
-- from seeing rows before that filter. The dashboard queries them logged in as the signed-in role.

-- The event log: what happened to an instance, when, and by which engine.
CREATE OR REPLACE VIEW df_engine.visible_events WITH (security_barrier = true) AS
SELECT e.id, e.instance_id, e.at, e.engine, e.kind, e.node_id, e.detail
  FROM df_engine.events e
 WHERE EXISTS (SELECT 1
                 FROM df.instances i
                WHERE i.id OPERATOR(pg_catalog.=) e.instance_id
                  AND (NOT pg_catalog.row_security_active('df.instances'::pg_catalog.regclass)
                       OR i.submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole));
REVOKE ALL ON df_engine.visible_events FROM PUBLIC;
GRANT SELECT ON df_engine.visible_events TO PUBLIC;

-- Signals sent to an instance, and when a wait took each.
CREATE OR REPLACE VIEW df_engine.visible_signals WITH (security_barrier = true) AS
SELECT s.id, s.instance_id, s.name, s.payload, s.sent_by, s.sent_at, s.consumed_at, s.consumed_by
  FROM df_engine.signals s
 WHERE EXISTS (SELECT 1
                 FROM df.instances i
                WHERE i.id OPERATOR(pg_catalog.=) s.instance_id
                  AND (NOT pg_catalog.row_security_active('df.instances'::pg_catalog.regclass)
                       OR i.submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole));
REVOKE ALL ON df_engine.visible_signals FROM PUBLIC;
GRANT SELECT ON df_engine.visible_signals TO PUBLIC;

-- Attempt counts of steps that failed and were retried (R-DIFF-2).
CREATE OR REPLACE VIEW df_engine.visible_node_attempts WITH (security_barrier = true) AS
SELECT a.instance_id, a.node_id, a.attempts, a.last_error, a.stamp, a.updated_at
  FROM df_engine.node_attempts a
 WHERE EXISTS (SELECT 1
                 FROM df.instances i
                WHERE i.id OPERATOR(pg_catalog.=) a.instance_id
                  AND (NOT pg_catalog.row_security_active('df.instances'::pg_catalog.regclass)
                       OR i.submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole));
REVOKE ALL ON df_engine.visible_node_attempts FROM PUBLIC;
GRANT SELECT ON df_engine.visible_node_attempts TO PUBLIC;

-- Retry and timeout policies of nodes (R-EXT-1, R-EXT-2).
CREATE OR REPLACE VIEW df_engine.visible_node_policies WITH (security_barrier = true) AS
SELECT p.instance_id, p.node_id, p.policy
  FROM df_engine.node_policies p
 WHERE EXISTS (SELECT 1
                 FROM df.instances i
                WHERE i.id OPERATOR(pg_catalog.=) p.instance_id
                  AND (NOT pg_catalog.row_security_active('df.instances'::pg_catalog.regclass)
                       OR i.submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole));
REVOKE ALL ON df_engine.visible_node_policies FROM PUBLIC;
GRANT SELECT ON df_engine.visible_node_policies TO PUBLIC;

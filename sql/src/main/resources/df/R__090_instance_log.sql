-- What the monitoring commands of the durable CLI read besides the df functions (docs/cli.md): an
-- instance's log, and a one-line label per node. Both run with the caller's rights.

-- The engines' records about an instance, in one shape: its event log (claims, ends, cancel
-- requests), the signals sent to it and when a wait took them, and the retries of its steps. Users
-- cannot read these tables; it reads them through the dashboard's security_barrier views
-- (R__080_dashboard.sql), which show only the rows of instances that RLS on df.instances would
-- show the caller (all of them when RLS does not apply to the caller).
CREATE OR REPLACE VIEW df_engine.instance_log WITH (security_barrier = true) AS
SELECT e.instance_id, e.at, e.kind, e.node_id, e.engine, e.detail,
       'event'::text AS source, e.id AS source_id
  FROM df_engine.visible_events e
UNION ALL
SELECT s.instance_id, s.sent_at, 'signal_sent', NULL, NULL,
       pg_catalog.jsonb_build_object('name', s.name, 'payload', s.payload,
                                     'sent_by', s.sent_by::text),
       'signal', s.id
  FROM df_engine.visible_signals s
UNION ALL
SELECT s.instance_id, s.consumed_at, 'signal_consumed', NULL, NULL,
       pg_catalog.jsonb_build_object('name', s.name, 'consumed_by', s.consumed_by),
       'signal', s.id
  FROM df_engine.visible_signals s
 WHERE s.consumed_at IS NOT NULL
UNION ALL
SELECT a.instance_id, a.updated_at, 'step_retrying', a.node_id, NULL,
       pg_catalog.jsonb_build_object('failed_attempt', a.attempts, 'error', a.last_error,
                                     'stamp', a.stamp),
       'attempt', a.attempts
  FROM df_engine.visible_node_attempts a;
REVOKE ALL ON df_engine.instance_log FROM PUBLIC;
GRANT SELECT ON df_engine.instance_log TO PUBLIC;

-- A node's label as df.explain draws it (R-EXPL-3), from its df.nodes columns: the current step of
-- "durable await" and the node of a "durable logs" line. A MAP's label carries its progress.
CREATE OR REPLACE FUNCTION df_engine.node_label(p_type text, p_query text, p_name text, p_status_details jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT df_engine.explain_label(jsonb_build_object(
           'type', p_type, 'query', p_query, 'name', p_name,
           'left', CASE WHEN p_type = 'JOIN' THEN 0 END,
           'right', CASE WHEN p_type = 'JOIN' THEN 1 END,
           'cond', CASE WHEN p_type = 'LOOP' THEN c.config -> 'condition_node' END,
           'extras', CASE WHEN p_type = 'JOIN' THEN c.config -> 'extra_nodes' END,
           'progress', CASE WHEN p_type = 'MAP' THEN p_status_details -> 'map' END))
    FROM (SELECT CASE WHEN p_type IN ('LOOP', 'JOIN') THEN df_engine.explain_config(p_query) END AS config) c
$$;
REVOKE ALL ON FUNCTION df_engine.node_label(text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.node_label(text, text, text, jsonb) TO PUBLIC;

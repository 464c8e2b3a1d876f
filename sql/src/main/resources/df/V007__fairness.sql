-- durable-sql schema, version 7: fairness and quotas per submitting role (R-EXT-7,
-- docs/architecture.md "Fairness and quotas"). The claim row carries the submitting role, so that a
-- claim can share the engines' capacity among roles and count each role's running instances from
-- df_engine.runs alone, through indexes.
ALTER TABLE df_engine.runs ADD COLUMN submitted_by regrole;
UPDATE df_engine.runs r SET submitted_by = i.submitted_by
  FROM df.instances i
 WHERE i.id = r.instance_id;
ALTER TABLE df_engine.runs ALTER COLUMN submitted_by SET NOT NULL;

-- The claim's probes: the distinct roles (a loose index scan) and, per role, its due rows in wake
-- order. It replaces the index on wake_at alone, which nothing needs any more and which the planner
-- would pick for the per-role probe, filtering other roles' rows, when runs' statistics are stale.
CREATE INDEX runs_role_wake_at_idx ON df_engine.runs (submitted_by, wake_at);
DROP INDEX df_engine.runs_wake_at_idx;
-- Per role, its claimed rows: what the claim counts as running (fair order, quotas).
CREATE INDEX runs_role_leased_idx ON df_engine.runs (submitted_by) WHERE lease_owner IS NOT NULL;

-- The quotas live in df.settings as max_running_instances (every role) and
-- max_running_instances:<role name> (one role): a whole number of instances, 0 pausing the role.
ALTER TABLE df.settings ADD CONSTRAINT settings_max_running_instances_check
    CHECK (pg_catalog.left(name, 21) OPERATOR(pg_catalog.<>) 'max_running_instances'
           OR value OPERATOR(pg_catalog.~) '^[0-9]{1,9}$');

-- The enqueue trigger now fills the new column. It is replaced here as well as in R__010_engine.sql
-- (which keeps the maintained copy), so that no df.start between this file and that one inserts a
-- claim row without its role.
CREATE OR REPLACE FUNCTION df_engine.instance_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_key text := nullif(current_setting('df.start_idempotency_key', true), '');
BEGIN
  INSERT INTO df_engine.runs (instance_id, submitted_by, vars)
  VALUES (NEW.id, NEW.submitted_by,
          COALESCE((SELECT jsonb_object_agg(v.name, v.value)
                      FROM df.vars v
                     WHERE v.owner OPERATOR(pg_catalog.=) NEW.submitted_by AND v.value IS NOT NULL),
                   '{}'::jsonb));
  IF v_key IS NOT NULL THEN
    INSERT INTO df_engine.start_keys (submitted_by, idempotency_key, instance_id)
    VALUES (NEW.submitted_by, v_key, NEW.id);
  END IF;
  PERFORM pg_notify('df_wakeup', NEW.id);
  RETURN NULL;
END
$$;

-- Deleting an instance (retention, df cleanup) cascades to these two tables through instance_id,
-- which no index led with (signals had only a partial one): every deleted instance scanned them
-- whole, so deleting N signalled instances took time in N squared. Found by durable bench's idle
-- workload (100 000 signalled instances).
CREATE INDEX signals_instance_idx ON df_engine.signals (instance_id);
CREATE INDEX start_keys_instance_idx ON df_engine.start_keys (instance_id);

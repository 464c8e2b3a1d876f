-- durable-sql: what the executor writes with (SPEC.md §7.10): the monotonic stamp fence and the
-- functions through which every node status, checkpoint and scope result is written.

-- R-EXEC-26: whether a write stamped `incoming` may replace the row's current stamp `existing`.
-- Stamps are <instance>::<gen>[::<node>::<gen>]...; generations are compared level by level from
-- the root: an older one is stale, a newer one wins, different child nodes at the first differing
-- level are independent sibling scopes. Unparseable stamps are accepted.
CREATE OR REPLACE FUNCTION df_engine.stamp_accepts(existing text, incoming text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  e text[];
  n text[];
  i integer := 2;
  ge bigint;
  gn bigint;
BEGIN
  IF existing IS NULL OR incoming IS NULL THEN
    RETURN true;
  END IF;
  e := string_to_array(existing, '::');
  n := string_to_array(incoming, '::');
  IF coalesce(array_length(e, 1), 0) < 2 OR coalesce(array_length(n, 1), 0) < 2
     OR array_length(e, 1) % 2 = 1 OR array_length(n, 1) % 2 = 1 OR e[1] <> n[1] THEN
    RETURN true;
  END IF;
  WHILE i <= least(array_length(e, 1), array_length(n, 1)) LOOP
    IF e[i] !~ '^[0-9]{1,18}$' OR n[i] !~ '^[0-9]{1,18}$' THEN
      RETURN true;
    END IF;
    ge := e[i]::bigint;
    gn := n[i]::bigint;
    IF gn < ge THEN
      RETURN false;
    ELSIF gn > ge THEN
      RETURN true;
    END IF;
    IF i + 1 <= least(array_length(e, 1), array_length(n, 1)) AND e[i + 1] <> n[i + 1] THEN
      RETURN true;
    END IF;
    i := i + 2;
  END LOOP;
  RETURN true;
END
$$;

-- Writes a node's status for the engine (R-EXEC-6, R-EXEC-27): 1 when written, 0 when the row's
-- stamp is newer (a stale write, discarded without error, R-EXEC-26), -1 when the caller's lease
-- token is no longer current (another engine took the instance over).
DROP FUNCTION IF EXISTS df_engine.write_node(text, text, uuid, text, text, text, boolean);
CREATE OR REPLACE FUNCTION df_engine.write_node(
    p_instance_id text, p_node_id text, p_lease_token uuid, p_status text, p_result text,
    p_stamp text, p_result_is_json boolean, p_broke boolean)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM df_engine.runs r
   WHERE r.instance_id = p_instance_id AND r.lease_token = p_lease_token;
  IF NOT FOUND THEN
    RETURN -1;
  END IF;
  UPDATE df.nodes n
     SET status = p_status,
         result = CASE WHEN p_status IN ('completed', 'failed') AND p_result IS NOT NULL THEN
                    CASE WHEN p_result_is_json THEN p_result::jsonb ELSE to_jsonb(p_result) END
                  END,
         -- A MAP keeps the progress the engine wrote in this same generation (R-EXT-3).
         status_details = jsonb_build_object('execution_id', p_stamp)
           || CASE WHEN n.node_type = 'MAP' AND n.status_details ->> 'execution_id' = p_stamp
                        AND n.status_details ? 'map'
                   THEN jsonb_build_object('map', n.status_details -> 'map') ELSE '{}'::jsonb END,
         updated_at = now()
   WHERE n.instance_id = p_instance_id AND n.id = p_node_id
     AND (n.status_details ->> 'execution_id' IS NULL OR n.status_details ->> 'execution_id' = p_stamp
          OR df_engine.stamp_accepts(n.status_details ->> 'execution_id', p_stamp));
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  IF p_status IN ('completed', 'failed') AND p_result IS NOT NULL THEN
    INSERT INTO df_engine.node_outputs (instance_id, node_id, output, broke)
    VALUES (p_instance_id, p_node_id, p_result, p_broke)
    ON CONFLICT (instance_id, node_id) DO UPDATE SET output = EXCLUDED.output, broke = EXCLUDED.broke;
  END IF;
  RETURN 1;
END
$$;

-- (Each stamp check below tries the common cases, no stamp yet or the same one, before calling
-- stamp_accepts, a PL/pgSQL function.)

-- Many status marks at once, from the engine's mark writer (engine/store/NodeMarks.java): running
-- stamps, completions of compound nodes, and an instance's pending -> running (node_id null), of any
-- number of instances, each applied only while its lease token is current. They need no durability
-- (the checkpoints hold what matters), so the caller commits them without waiting for the flush. A
-- mark never sets a node back to running once it ended in the same execution: a step's checkpoint
-- may commit before its running mark arrives.
CREATE OR REPLACE FUNCTION df_engine.write_nodes(p_marks jsonb)
RETURNS void
-- PL/pgSQL, not SQL: it keeps the statement's plan for the session, where a SQL function would
-- plan the statement again at every call (more than the statement costs to run).
-- Each mark is primary-key probes, whatever the planner believes: the plan is kept for the session
-- and runs and df.instances churn faster than autovacuum analyzes them. The planner guesses 100
-- marks for any jsonb_to_recordset, where a batch holds a few, and planned with tables that looked
-- empty it read the whole of runs for every batch (as the outer side of the join), found started
-- instances by scanning every pending one (20 000 with a backlog), or hashed all of df.nodes: costs
-- that grow with the database. So: nested loops only, no sequential scans, the lease check as a
-- LATERAL lookup per mark, and the pending test kept off the status index (IS TRUE).
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp SET enable_hashjoin = off SET enable_mergejoin = off
SET enable_seqscan = off AS $$
BEGIN
  WITH marks AS (
      SELECT m.instance_id, m.node_id, m.status, m.result, m.stamp, m.is_json
        FROM jsonb_to_recordset(p_marks)
             AS m(instance_id text, lease_token uuid, node_id text, status text, result text,
                  stamp text, is_json boolean)
        CROSS JOIN LATERAL (SELECT FROM df_engine.runs l
                             WHERE l.instance_id = m.instance_id AND l.lease_token = m.lease_token
                             LIMIT 1) AS leased),
  started AS (
      UPDATE df.instances i SET status = 'running', updated_at = now()
        FROM marks
       WHERE marks.node_id IS NULL AND i.id = marks.instance_id AND (i.status = 'pending') IS TRUE),
  written AS (
      UPDATE df.nodes n
         SET status = marks.status,
             result = CASE WHEN marks.status IN ('completed', 'failed') AND marks.result IS NOT NULL THEN
                        CASE WHEN marks.is_json THEN marks.result::jsonb ELSE to_jsonb(marks.result) END
                      END,
             status_details = jsonb_build_object('execution_id', marks.stamp)
               || CASE WHEN n.node_type = 'MAP' AND n.status_details ->> 'execution_id' = marks.stamp
                            AND n.status_details ? 'map'
                       THEN jsonb_build_object('map', n.status_details -> 'map') ELSE '{}'::jsonb END,
             updated_at = now()
        FROM marks
       WHERE marks.node_id IS NOT NULL AND n.instance_id = marks.instance_id AND n.id = marks.node_id
         AND (n.status_details ->> 'execution_id' IS NULL OR n.status_details ->> 'execution_id' = marks.stamp
              OR df_engine.stamp_accepts(n.status_details ->> 'execution_id', marks.stamp))
         AND NOT (marks.status = 'running' AND n.status IN ('completed', 'failed')
                  AND n.status_details ->> 'execution_id' IS NOT DISTINCT FROM marks.stamp)
      RETURNING n.instance_id, n.id, marks.status, marks.result)
  INSERT INTO df_engine.node_outputs (instance_id, node_id, output, broke)
  SELECT w.instance_id, w.id, w.result, false FROM written w
   WHERE w.status IN ('completed', 'failed') AND w.result IS NOT NULL
  ON CONFLICT (instance_id, node_id) DO UPDATE SET output = EXCLUDED.output, broke = false;
END
$$;

REVOKE ALL ON FUNCTION df_engine.write_nodes(jsonb) FROM PUBLIC;

-- The checkpoint of a SQL step (R-DIFF-1), called on the step's own connection as the submitting
-- role, in the step's transaction: the node's completion, its exact output, and its named result
-- in its scope (R-SUB-13), all only while the caller's lease token is current (FOR SHARE keeps a
-- takeover from committing in between; a stale token rolls the whole step back with DF001). It also
-- re-checks that the role still exists and may log in (R-EXEC-3), so that a pooled session of a
-- role that was dropped or lost LOGIN cannot commit a step (DF002); checking here, in the step's own
-- transaction, costs no extra round trip.
CREATE OR REPLACE FUNCTION df_engine.checkpoint_step(
    p_instance_id text, p_node_id text, p_lease_token uuid, p_output text, p_stamp text,
    p_scope_id text, p_result_name text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM df_engine.runs r
   WHERE r.instance_id = p_instance_id AND r.lease_token = p_lease_token
     FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DF001',
      MESSAGE = format('the lease on instance %s was taken over by another engine; the step is rolled back',
                       p_instance_id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = session_user AND r.rolcanlogin) THEN
    RAISE EXCEPTION USING ERRCODE = 'DF002',
      MESSAGE = format('role "%s" does not exist or lacks the LOGIN attribute, so the engine cannot run its steps; the step is rolled back',
                       session_user);
  END IF;
  IF EXISTS (SELECT 1 FROM df_engine.map_runs m
              WHERE m.instance_id = p_instance_id AND starts_with(p_stamp, m.scope_id || '::')) THEN
    -- A step in a map row (R-EXT-3): its record per stamp is the checkpoint; the body's df.nodes
    -- rows, shared by all rows, are written once when the map ends.
    INSERT INTO df_engine.map_outputs (instance_id, stamp, node_id, status, output, is_json)
    VALUES (p_instance_id, p_stamp, p_node_id, 'completed', p_output, true)
    ON CONFLICT (instance_id, stamp, node_id)
    DO UPDATE SET status = 'completed', output = EXCLUDED.output, is_json = true, broke = false;
  ELSE
    UPDATE df.nodes n
       SET status = 'completed', result = p_output::jsonb,
           status_details = jsonb_build_object('execution_id', p_stamp), updated_at = now()
     WHERE n.instance_id = p_instance_id AND n.id = p_node_id
       AND (n.status_details ->> 'execution_id' IS NULL OR n.status_details ->> 'execution_id' = p_stamp
          OR df_engine.stamp_accepts(n.status_details ->> 'execution_id', p_stamp));
    INSERT INTO df_engine.node_outputs (instance_id, node_id, output, broke)
    VALUES (p_instance_id, p_node_id, p_output, false)
    ON CONFLICT (instance_id, node_id) DO UPDATE SET output = EXCLUDED.output, broke = false;
  END IF;
  IF p_result_name IS NOT NULL THEN
    INSERT INTO df_engine.scopes (instance_id, scope_id, results)
    VALUES (p_instance_id, p_scope_id, jsonb_build_object(p_result_name, p_output))
    ON CONFLICT (instance_id, scope_id)
    DO UPDATE SET results = df_engine.scopes.results || jsonb_build_object(p_result_name, p_output);
  END IF;
END
$$;

-- The checkpoint of a MAP's rows query (R-EXT-3), called like checkpoint_step on the connection of
-- the submitting role, in the query's transaction: the rows are stored once, only while the caller's
-- lease token is current, so that a crash after the commit never runs the query again.
CREATE OR REPLACE FUNCTION df_engine.checkpoint_map_rows(
    p_instance_id text, p_node_id text, p_lease_token uuid, p_stamp text, p_rows text, p_row_count integer)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM df_engine.runs r
   WHERE r.instance_id = p_instance_id AND r.lease_token = p_lease_token
     FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DF001',
      MESSAGE = format('the lease on instance %s was taken over by another engine; the rows query is rolled back',
                       p_instance_id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = session_user AND r.rolcanlogin) THEN
    RAISE EXCEPTION USING ERRCODE = 'DF002',
      MESSAGE = format('role "%s" does not exist or lacks the LOGIN attribute, so the engine cannot run its steps; the rows query is rolled back',
                       session_user);
  END IF;
  INSERT INTO df_engine.map_runs (instance_id, node_id, stamp, scope_id, row_count, rows)
  VALUES (p_instance_id, p_node_id, p_stamp, p_stamp || '::' || p_node_id, p_row_count, p_rows)
  ON CONFLICT (instance_id, node_id, stamp) DO NOTHING;
END
$$;

REVOKE ALL ON FUNCTION df_engine.checkpoint_map_rows(text, text, uuid, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.checkpoint_map_rows(text, text, uuid, text, text, integer) TO PUBLIC;

REVOKE ALL ON FUNCTION df_engine.stamp_accepts(text, text),
  df_engine.write_node(text, text, uuid, text, text, text, boolean, boolean),
  df_engine.checkpoint_step(text, text, uuid, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.stamp_accepts(text, text),
  df_engine.checkpoint_step(text, text, uuid, text, text, text, text) TO PUBLIC;

-- The end of an instance, in one round trip from the engine: its claim row goes (only while the
-- caller's lease token is current), df.instances gets the final status, the event is logged, and
-- NOTIFY df_done carries '<id>:<status>' to clients that wait for it (docs/sql-reference). False
-- when the lease was taken over; then nothing changed.
CREATE OR REPLACE FUNCTION df_engine.finish_instance(
    p_instance_id text, p_lease_token uuid, p_status text, p_engine text)
RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM df_engine.runs r WHERE r.instance_id = p_instance_id AND r.lease_token = p_lease_token;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE df.instances i
     SET status = p_status, updated_at = now(),
         completed_at = CASE WHEN p_status = 'completed' THEN now() END
   WHERE i.id = p_instance_id AND i.status NOT IN ('completed', 'failed', 'cancelled');
  INSERT INTO df_engine.events (instance_id, engine, kind) VALUES (p_instance_id, p_engine, 'instance_' || p_status);
  -- The status the instance has now: a cancel that came first stays (R-DATA-7).
  PERFORM pg_notify('df_done', p_instance_id || ':'
                    || coalesce((SELECT i.status FROM df.instances i WHERE i.id = p_instance_id), p_status));
  RETURN true;
END
$$;

-- The end of an instance whose last node is a SQL step (engine: SqlStep.InstanceEnd), called right
-- after checkpoint_step on the step's own connection, as the submitting role, in the step's
-- transaction: the THEN nodes above the step complete with its output (p_marks, as write_nodes reads
-- them) and the instance ends completed, all in the step's commit. Like checkpoint_step it acts only
-- for the holder of the current lease token, which no user can read.
CREATE OR REPLACE FUNCTION df_engine.finish_in_step(
    p_instance_id text, p_lease_token uuid, p_engine text, p_marks jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF pg_catalog.jsonb_array_length(p_marks) OPERATOR(pg_catalog.>) 0 THEN
    PERFORM df_engine.write_nodes(p_marks);
  END IF;
  IF NOT df_engine.finish_instance(p_instance_id, p_lease_token, 'completed', p_engine) THEN
    RAISE EXCEPTION USING ERRCODE = 'DF001',
      MESSAGE = format('the lease on instance %s was taken over by another engine; the step is rolled back',
                       p_instance_id);
  END IF;
END
$$;

REVOKE ALL ON FUNCTION df_engine.finish_in_step(text, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.finish_in_step(text, uuid, text, jsonb) TO PUBLIC;

REVOKE ALL ON FUNCTION df_engine.finish_instance(text, uuid, text, text) FROM PUBLIC;

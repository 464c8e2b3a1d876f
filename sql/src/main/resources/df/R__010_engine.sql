-- durable-sql: the engine's helper functions in df_engine (repeatable: re-applied when this text
-- changes). Every function pins search_path and qualifies what it calls (R-SEC-9).

-- The node types df.start accepts (R-DSL-3 plus the extensions of SPEC.md §1b), in the order error
-- messages list them.
CREATE OR REPLACE FUNCTION df_engine.node_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT ARRAY['SQL', 'THEN', 'IF', 'JOIN', 'LOOP', 'BREAK', 'RACE', 'SLEEP', 'WAIT_SCHEDULE', 'HTTP',
               'HTTP_MULTIPART', 'SIGNAL', 'MAP', 'ACTIVITY']
$$;

-- Reads a SQL-visible setting (R-DIFF-7). SECURITY DEFINER because df.settings is not granted to
-- anyone: users may read a setting through here but change none.
CREATE OR REPLACE FUNCTION df_engine.setting(p_name text, p_default text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT COALESCE((SELECT s.value FROM df.settings s WHERE s.name OPERATOR(pg_catalog.=) p_name), p_default)
$$;

-- Wraps arbitrary text as a SQL node (R-DSL-5, rule 3).
CREATE OR REPLACE FUNCTION df_engine.sql_node(p_query text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT '{"node_type":"SQL","query":' OPERATOR(pg_catalog.||) pg_catalog.to_json(p_query)::text
         OPERATOR(pg_catalog.||) '}'
$$;

-- The canonical Durofut text of a parsed node (R-DSL-1, R-DSL-2): compact, fields in the order
-- node_type, left_node, right_node, condition_node, extra_nodes, query, result_name, absent, null and
-- empty fields omitted, unknown keys dropped, strings escaped as PostgreSQL's JSON output escapes them.
-- durable-sql's node policies (R-EXT-1, R-EXT-2) follow result_name as "retry" (an object with, in
-- this order, max_attempts, initial_delay_seconds, backoff_multiplier, max_delay_seconds) and
-- "timeout_seconds"; a node without them keeps exactly the reference's text.
-- Iterative (an explicit stack), so deep graphs cannot overflow the C stack (R-DSL-7). Nested nodes
-- that are not well-formed Durofut are an error (R-DSL-5, rule 2).
CREATE OR REPLACE FUNCTION df_engine.render_node(p_node jsonb, p_parameter text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- The stack: each entry is text to write (s_text) followed by a node to render (s_node), either
  -- of which may be NULL.
  s_node jsonb[] := ARRAY[p_node];
  s_text text[] := ARRAY[NULL::text];
  v_top integer := 1;
  v_out text[] := '{}';
  v jsonb;
  v_type text;
  v_tail text;
  v_extras jsonb;
  v_key text;
  v_policy text;
  i integer;
BEGIN
  IF p_node IS NULL THEN
    RAISE EXCEPTION 'Invalid Durofut JSON in %: a nested node has no node_type', p_parameter;
  END IF;
  WHILE v_top > 0 LOOP
    v := s_node[v_top];
    v_out := v_out || s_text[v_top];
    v_top := v_top - 1;
    CONTINUE WHEN v IS NULL;
    v_type := v->>'node_type';
    -- The common node: a known type (->> gives a type name only for a JSON string), a string query
    -- or none, object children or none, and none of the other fields. It renders as below; any
    -- other node takes the checks one by one, in their order.
    IF (v_type = ANY (df_engine.node_types())
        AND NOT v ?| ARRAY['timeout_seconds', 'retry', 'result_name', 'extra_nodes', 'condition_node']
        AND jsonb_typeof(coalesce(v->'query', '""')) = 'string'
        AND jsonb_typeof(coalesce(v->'left_node', '{}')) = 'object'
        AND jsonb_typeof(coalesce(v->'right_node', '{}')) = 'object') IS TRUE THEN
      v_top := v_top + 1;
      s_text[v_top] := CASE WHEN v ? 'query' THEN ',"query":' || (v->'query')::text || '}' ELSE '}' END;
      s_node[v_top] := NULL;
      IF v ? 'right_node' THEN
        v_top := v_top + 1; s_text[v_top] := ',"right_node":'; s_node[v_top] := v->'right_node';
      END IF;
      IF v ? 'left_node' THEN
        v_top := v_top + 1; s_text[v_top] := ',"left_node":'; s_node[v_top] := v->'left_node';
      END IF;
      v_out := v_out || ('{"node_type":' || (v->'node_type')::text);
      CONTINUE;
    END IF;
    IF jsonb_typeof(v->'node_type') IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: a nested node has no node_type', p_parameter;
    END IF;
    IF NOT v_type = ANY (df_engine.node_types()) THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: Unknown node_type ''%'' in a nested node', p_parameter, v_type;
    END IF;
    v_tail := '}';
    IF jsonb_typeof(v->'timeout_seconds') = 'number' THEN
      v_tail := ',"timeout_seconds":' || (v->'timeout_seconds')::text || v_tail;
    ELSIF jsonb_typeof(v->'timeout_seconds') <> 'null' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: timeout_seconds of a % node must be a number', p_parameter, v_type;
    END IF;
    IF jsonb_typeof(v->'retry') = 'object' THEN
      IF jsonb_typeof(v->'retry'->'max_attempts') IS DISTINCT FROM 'number' THEN
        RAISE EXCEPTION 'Invalid Durofut JSON in %: retry of a % node must have a numeric max_attempts', p_parameter, v_type;
      END IF;
      v_policy := NULL;
      FOREACH v_key IN ARRAY ARRAY['max_attempts', 'initial_delay_seconds', 'backoff_multiplier', 'max_delay_seconds'] LOOP
        IF jsonb_typeof(v->'retry'->v_key) = 'number' THEN
          v_policy := coalesce(v_policy || ',', '') || '"' || v_key || '":' || (v->'retry'->v_key)::text;
        ELSIF jsonb_typeof(v->'retry'->v_key) <> 'null' THEN
          RAISE EXCEPTION 'Invalid Durofut JSON in %: retry.% of a % node must be a number', p_parameter, v_key, v_type;
        END IF;
      END LOOP;
      v_tail := ',"retry":{' || v_policy || '}' || v_tail;
    ELSIF jsonb_typeof(v->'retry') <> 'null' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: retry of a % node must be a JSON object', p_parameter, v_type;
    END IF;
    IF jsonb_typeof(v->'result_name') = 'string' THEN
      v_tail := ',"result_name":' || (v->'result_name')::text || v_tail;
    ELSIF jsonb_typeof(v->'result_name') <> 'null' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: result_name of a % node must be a string', p_parameter, v_type;
    END IF;
    IF jsonb_typeof(v->'query') = 'string' THEN
      v_tail := ',"query":' || (v->'query')::text || v_tail;
    ELSIF jsonb_typeof(v->'query') <> 'null' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: query of a % node must be a string', p_parameter, v_type;
    END IF;
    v_top := v_top + 1; s_text[v_top] := v_tail; s_node[v_top] := NULL;
    v_extras := v->'extra_nodes';
    IF jsonb_typeof(v_extras) = 'array' THEN
      IF jsonb_array_length(v_extras) > 0 THEN
        v_top := v_top + 1; s_text[v_top] := ']'; s_node[v_top] := NULL;
        FOR i IN REVERSE jsonb_array_length(v_extras) - 1 .. 0 LOOP
          IF jsonb_typeof(v_extras->i) <> 'object' THEN
            RAISE EXCEPTION 'Invalid Durofut JSON in %: extra_nodes entries must be Durofut JSON objects', p_parameter;
          END IF;
          v_top := v_top + 1;
          s_text[v_top] := CASE WHEN i = 0 THEN ',"extra_nodes":[' ELSE ',' END; s_node[v_top] := v_extras->i;
        END LOOP;
      END IF;
    ELSIF jsonb_typeof(v_extras) <> 'null' THEN
      RAISE EXCEPTION 'Invalid Durofut JSON in %: extra_nodes entries must be Durofut JSON objects', p_parameter;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['condition_node', 'right_node', 'left_node'] LOOP
      IF jsonb_typeof(v->v_key) = 'object' THEN
        v_top := v_top + 1; s_text[v_top] := ',"' || v_key || '":'; s_node[v_top] := v->v_key;
      ELSIF jsonb_typeof(v->v_key) <> 'null' THEN
        RAISE EXCEPTION 'Invalid Durofut JSON in %: % of a % node must be a Durofut JSON object', p_parameter, v_key, v_type;
      END IF;
    END LOOP;
    v_out := v_out || ('{"node_type":' || (v->'node_type')::text);
  END LOOP;
  RETURN array_to_string(v_out, '');
END
$$;

-- Auto-wrap ("ensure", R-DSL-5) for every composer parameter that expects a node: a Durofut with a
-- known node_type is used in its canonical text, malformed Durofut is an error, anything else
-- becomes a SQL node.
CREATE OR REPLACE FUNCTION df_engine.ensure_node(p_input text, p_parameter text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb;
BEGIN
  IF p_input IS NULL THEN
    RETURN NULL;
  END IF;
  IF ltrim(p_input, E' \t\r\n') NOT LIKE '{%' THEN
    RETURN df_engine.sql_node(p_input);
  END IF;
  BEGIN
    v := p_input::jsonb;
  EXCEPTION WHEN others THEN
    RETURN df_engine.sql_node(p_input);
  END;
  IF jsonb_typeof(v->'node_type') IS DISTINCT FROM 'string' THEN
    RETURN df_engine.sql_node(p_input);
  END IF;
  IF NOT v->>'node_type' = ANY (df_engine.node_types()) THEN
    RETURN df_engine.sql_node(p_input);
  END IF;
  RETURN df_engine.render_node(v, p_parameter);
END
$$;

-- n distinct random ids of 8 lower-case hex characters (the last 8 of a random UUID, as the reference).
CREATE OR REPLACE FUNCTION df_engine.random_ids(p_count integer) RETURNS text[]
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_ids text[];
BEGIN
  LOOP
    SELECT array_agg(s.id) INTO v_ids
      FROM (SELECT DISTINCT right(gen_random_uuid()::text, 8) AS id
              FROM generate_series(1, p_count + 4)) s;
    IF coalesce(array_length(v_ids, 1), 0) >= p_count THEN
      RETURN v_ids;
    END IF;
  END LOOP;
END
$$;

-- Enqueues every new instance for the engines: the claim row with the submitting role (R-EXT-7) and
-- its variables (R-SUB-3) and a NOTIFY that is delivered only if the caller's transaction commits (R-START-9).
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
  -- df.start sets the key (transaction-locally) just for the insert of its instance (R-EXT-6); a
  -- second instance with the same key and role fails here with a unique violation.
  IF v_key IS NOT NULL THEN
    INSERT INTO df_engine.start_keys (submitted_by, idempotency_key, instance_id)
    VALUES (NEW.submitted_by, v_key, NEW.id);
  END IF;
  PERFORM pg_notify('df_wakeup', NEW.id);
  RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER instances_enqueue AFTER INSERT ON df.instances
  FOR EACH ROW EXECUTE FUNCTION df_engine.instance_inserted();

-- A status change that ends an instance from outside the engine (df.cancel, or a user's own
-- UPDATE) wakes the engines, so that the running execution stops promptly (R-SIG-5).
CREATE OR REPLACE FUNCTION df_engine.instance_status_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'cancelled' THEN
    INSERT INTO df_engine.events (instance_id, engine, kind, detail)
    VALUES (NEW.id, NULL, 'cancel_requested',
            jsonb_build_object('reason', nullif(current_setting('df.cancel_reason', true), ''),
                               'session_user', session_user::text));
    -- A waiting instance is claimed again at once, so that an engine stamps and closes it.
    UPDATE df_engine.runs SET wake_at = least(wake_at, now()), wake_seq = wake_seq + 1
     WHERE instance_id = NEW.id;
    PERFORM pg_notify('df_wakeup', 'cancel:' || NEW.id);
  END IF;
  RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER instances_status_changed AFTER UPDATE OF status ON df.instances
  FOR EACH ROW EXECUTE FUNCTION df_engine.instance_status_changed();

-- A new signal (R-DIFF-3): under the instance's claim row lock, so that it cannot interleave with a
-- wait being registered, it is delivered to every wait on its name that is active now (R-SIG-3) and
-- then counts as consumed; with no such wait it stays in the inbox for the next one. Either way the
-- engines are woken.
CREATE OR REPLACE FUNCTION df_engine.signal_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM 1 FROM df_engine.runs r WHERE r.instance_id = NEW.instance_id FOR UPDATE;
  UPDATE df_engine.waits w
     SET signal_id = NEW.id, payload = NEW.payload, delivered_at = clock_timestamp()
   WHERE w.instance_id = NEW.instance_id AND w.signal_name = NEW.name AND w.signal_id IS NULL;
  IF FOUND THEN
    UPDATE df_engine.signals s SET consumed_at = clock_timestamp(), consumed_by = 'fan-out'
     WHERE s.id = NEW.id;
  END IF;
  UPDATE df_engine.runs SET wake_at = least(wake_at, now()), wake_seq = wake_seq + 1
   WHERE instance_id = NEW.instance_id;
  PERFORM pg_notify('df_wakeup', 'signal:' || NEW.instance_id);
  RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER signals_wakeup AFTER INSERT ON df_engine.signals
  FOR EACH ROW EXECUTE FUNCTION df_engine.signal_inserted();

-- Replaced by df_engine.checkpoint_step (R__015_execution.sql), which also writes named results.
DROP FUNCTION IF EXISTS df_engine.complete_step(text, text, uuid, text, text);

-- Only this file's functions: a blanket REVOKE on all of df_engine would also strip the functions of
-- later files (df.start's helpers) whenever this file alone is re-applied.
REVOKE ALL ON FUNCTION df_engine.node_types(), df_engine.setting(text, text), df_engine.sql_node(text),
  df_engine.render_node(jsonb, text), df_engine.ensure_node(text, text), df_engine.random_ids(integer),
  df_engine.instance_inserted(), df_engine.instance_status_changed(), df_engine.signal_inserted() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.node_types(), df_engine.setting(text, text),
  df_engine.sql_node(text), df_engine.render_node(jsonb, text),
  df_engine.ensure_node(text, text), df_engine.random_ids(integer) TO PUBLIC;

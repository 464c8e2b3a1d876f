-- durable-sql: df.start (SPEC.md §5). Validates the Durofut, writes the instance and its nodes in
-- the caller's transaction with the caller's privileges (RLS applies), and leaves the hand-off to
-- the engines to the df_engine.instances_enqueue trigger. Works while no engine runs (R-DIFF-6).

-- Strict top-level parse of df.start (R-DSL-5): plain text and JSON without a node_type become a
-- SQL node; an unknown node_type or malformed structure is an error.
CREATE OR REPLACE FUNCTION df_engine.parse_root(p_fut text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb;
  v_type text;
BEGIN
  IF p_fut IS NULL THEN
    RAISE EXCEPTION 'Invalid durable function: the workflow is NULL'
      USING HINT = 'Pass SQL text or a Durofut built with the df functions, e.g. df.start(''SELECT 1'').';
  END IF;
  IF ltrim(p_fut, E' \t\r\n') LIKE '{%' THEN
    BEGIN
      v := p_fut::jsonb;
    EXCEPTION WHEN others THEN
      v := NULL;
    END;
  END IF;
  IF v IS NULL OR jsonb_typeof(v) <> 'object' OR jsonb_typeof(v->'node_type') IS DISTINCT FROM 'string' THEN
    RETURN df_engine.sql_node(p_fut)::jsonb;
  END IF;
  v_type := v->>'node_type';
  IF NOT v_type = ANY (df_engine.node_types()) THEN
    RAISE EXCEPTION 'Invalid durable function: Unknown node_type ''%'' (valid types: %)',
      v_type, array_to_string(df_engine.node_types(), ', ');
  END IF;
  IF (v ? 'left_node' AND jsonb_typeof(v->'left_node') <> 'object')
     OR (v ? 'right_node' AND jsonb_typeof(v->'right_node') <> 'object')
     OR (v ? 'condition_node' AND jsonb_typeof(v->'condition_node') <> 'object')
     OR (v ? 'extra_nodes' AND jsonb_typeof(v->'extra_nodes') <> 'array') THEN
    RAISE EXCEPTION 'Invalid durable function: Malformed Durofut JSON with node_type ''%'': children must be Durofut JSON objects',
      v_type;
  END IF;
  RETURN v;
END
$$;

-- Adds "key":<json value> to a JSON config text, keeping it compact (R-START-4).
CREATE OR REPLACE FUNCTION df_engine.config_with(p_config text, p_key text, p_value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_trimmed text := btrim(coalesce(p_config, '{}'), E' \t\r\n');
BEGIN
  IF v_trimmed ~ '^\{\s*\}$' THEN
    RETURN '{' || to_json(p_key)::text || ':' || p_value || '}';
  END IF;
  RETURN left(v_trimmed, -1) || ',' || to_json(p_key)::text || ':' || p_value || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.start(
    fut text,
    label text DEFAULT NULL,
    database text DEFAULT NULL,
    transaction_mode text DEFAULT 'caller',
    idempotency_key text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_label text := $2;
  v_database text := $3;
  v_mode text := lower(coalesce($4, 'caller'));
  v_root jsonb;
  v_text text;
  v_login boolean;
  v_super boolean;
  v_role regrole := quote_ident(current_user)::regrole;
  v_bound integer;
  v_ids text[];
  v_next integer := 2;
  -- The walk's explicit stack (no recursion, so deep graphs cannot overflow the C stack).
  s_node jsonb[];
  s_id text[];
  s_path text[];
  s_depth integer[];
  v_top integer;
  -- The rows to insert, in pre-order.
  r_id text[] := '{}';
  r_type text[] := '{}';
  r_query text[] := '{}';
  r_name text[] := '{}';
  r_left text[] := '{}';
  r_right text[] := '{}';
  v_count integer := 0;
  v_node jsonb;
  v_node_id text;
  v_path text;
  v_depth integer;
  v_type text;
  v_query text;
  v_config jsonb;
  v_left text;
  v_right text;
  v_cond text;
  v_extra_ids text[];
  v_extras jsonb;
  i integer;
  v_instance_id text;
BEGIN
  IF v_mode NOT IN ('caller', 'new') THEN
    RAISE EXCEPTION 'invalid transaction_mode ''%'': use ''caller'' (the default) or ''new''', $4;
  END IF;
  IF v_mode = 'new' THEN
    RAISE EXCEPTION 'df.start(transaction_mode => ''new'') is not supported by this version of durable-sql yet'
      USING ERRCODE = 'feature_not_supported';
  END IF;
  IF $5 IS NOT NULL THEN
    RAISE EXCEPTION 'df.start(idempotency_key => ...) is not supported by this version of durable-sql yet'
      USING ERRCODE = 'feature_not_supported';
  END IF;

  -- 1. Parse.
  v_root := df_engine.parse_root(fut);

  -- 2. Target database.
  IF v_database IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = v_database) THEN
    RAISE EXCEPTION 'database "%" does not exist', v_database;
  END IF;

  -- 3. Identity: the engine must be able to log in as this role to run its steps.
  SELECT r.rolcanlogin, r.rolsuper INTO v_login, v_super FROM pg_roles r WHERE r.rolname = current_user;
  IF NOT v_login THEN
    RAISE EXCEPTION 'role "%" cannot start workflows: it lacks the LOGIN attribute, and the engine must log in as the submitting role to run its steps', current_user
      USING HINT = 'Start the workflow as a role with LOGIN (after SET ROLE, current_user must be a login role).';
  END IF;

  -- 4. Superuser gate (R-SEC-7).
  IF v_super AND lower(df_engine.setting('enable_superuser_instances', 'off')) NOT IN ('on', 'true', 'yes', '1') THEN
    RAISE EXCEPTION 'superuser "%" cannot start workflows while enable_superuser_instances is off', current_user
      USING HINT = 'Start workflows as an ordinary role, or let the schema owner run: INSERT INTO df.settings VALUES (''enable_superuser_instances'', ''on'')';
  END IF;

  -- 5. Materialise: pre-order walk; ids assigned on discovery (left, right, condition, extras).
  -- Count the nodes on the parsed value: its text spells every key plainly (the input may escape
  -- them, as in "node\u005ftype") and escapes every quote inside strings.
  v_text := v_root::text;
  v_bound := greatest(1, (length(v_text) - length(replace(v_text, '"node_type"', ''))) / length('"node_type"'));
  v_ids := df_engine.random_ids(least(v_bound, 10001));
  s_node := ARRAY[v_root];
  s_id := ARRAY[v_ids[1]];
  s_path := ARRAY['root'];
  s_depth := ARRAY[0];
  v_top := 1;
  WHILE v_top > 0 LOOP
    v_node := s_node[v_top];
    v_node_id := s_id[v_top];
    v_path := s_path[v_top];
    v_depth := s_depth[v_top];
    v_top := v_top - 1;
    v_count := v_count + 1;
    IF v_count > 10000 THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: the graph has more than 10000 nodes', v_path;
    END IF;
    IF v_depth > 256 THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: maximum nesting depth of 256 exceeded', v_path;
    END IF;
    IF jsonb_typeof(v_node->'node_type') IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: node_type is missing', v_path;
    END IF;
    v_type := v_node->>'node_type';
    IF NOT v_type = ANY (df_engine.node_types()) THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: Unknown node_type ''%'' (valid types: %)',
        v_path, v_type, array_to_string(df_engine.node_types(), ', ');
    END IF;
    IF jsonb_typeof(v_node->'condition_node') IS NOT NULL AND v_type NOT IN ('IF', 'LOOP') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: condition_node is not valid for % nodes', v_path, v_type;
    END IF;
    IF jsonb_typeof(v_node->'extra_nodes') IS NOT NULL AND v_type <> 'JOIN' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: extra_nodes is not valid for % nodes', v_path, v_type;
    END IF;
    IF jsonb_typeof(v_node->'left_node') NOT IN ('object', 'null') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: left_node must be a Durofut JSON object', v_path;
    END IF;
    IF jsonb_typeof(v_node->'right_node') NOT IN ('object', 'null') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: right_node must be a Durofut JSON object', v_path;
    END IF;
    IF jsonb_typeof(v_node->'condition_node') NOT IN ('object', 'null') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: condition_node must be a Durofut JSON object', v_path;
    END IF;
    v_extras := CASE WHEN jsonb_typeof(v_node->'extra_nodes') = 'null' THEN NULL ELSE v_node->'extra_nodes' END;
    IF v_extras IS NOT NULL AND (jsonb_typeof(v_extras) <> 'array'
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_extras) e WHERE jsonb_typeof(e) <> 'object')) THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: extra_nodes entries must be Durofut JSON objects', v_path;
    END IF;

    -- Discover children in order, assigning ids.
    v_left := NULL; v_right := NULL; v_cond := NULL; v_extra_ids := '{}';
    IF jsonb_typeof(v_node->'left_node') = 'object' THEN
      v_left := v_ids[v_next]; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(v_node->'right_node') = 'object' THEN
      v_right := v_ids[v_next]; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(v_node->'condition_node') = 'object' THEN
      v_cond := v_ids[v_next]; v_next := v_next + 1;
    END IF;
    IF v_extras IS NOT NULL THEN
      FOR i IN 0 .. jsonb_array_length(v_extras) - 1 LOOP
        v_extra_ids := v_extra_ids || v_ids[v_next]; v_next := v_next + 1;
      END LOOP;
    END IF;

    -- The persisted query (R-START-4).
    v_query := v_node->>'query';
    IF v_type IN ('IF', 'LOOP', 'JOIN') AND v_query IS NOT NULL THEN
      BEGIN
        v_config := v_query::jsonb;
      EXCEPTION WHEN others THEN
        v_config := NULL;
      END;
      IF jsonb_typeof(v_config) = 'object' AND v_type IN ('IF', 'LOOP') AND v_config ? 'condition_node' THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: condition_node in % must be a first-class Durofut field', v_path, v_type;
      END IF;
      IF jsonb_typeof(v_config) = 'object' AND v_type = 'JOIN' AND v_config ? 'extra_nodes' THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: extra_nodes in JOIN must be a first-class Durofut field', v_path;
      END IF;
      IF (v_cond IS NOT NULL OR cardinality(v_extra_ids) > 0) AND v_config IS NULL THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: query in % must be valid JSON config', v_path, v_type;
      END IF;
      IF (v_cond IS NOT NULL OR cardinality(v_extra_ids) > 0) AND jsonb_typeof(v_config) <> 'object' THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: query in % must be a JSON config object', v_path, v_type;
      END IF;
    END IF;
    IF v_cond IS NOT NULL THEN
      v_query := df_engine.config_with(v_query, 'condition_node', to_json(v_cond)::text);
    END IF;
    IF cardinality(v_extra_ids) > 0 THEN
      v_query := df_engine.config_with(v_query, 'extra_nodes', to_json(v_extra_ids)::text);
    END IF;

    r_id := r_id || v_node_id;
    r_type := r_type || v_type;
    r_query := r_query || v_query;
    r_name := r_name || (v_node->>'result_name');
    r_left := r_left || v_left;
    r_right := r_right || v_right;

    -- Push children in reverse so that they are visited left, right, condition, extras.
    IF v_extras IS NOT NULL THEN
      FOR i IN REVERSE jsonb_array_length(v_extras) - 1 .. 0 LOOP
        v_top := v_top + 1;
        s_node[v_top] := v_extras->i; s_id[v_top] := v_extra_ids[i + 1];
        s_path[v_top] := v_path || '.extra_nodes[' || i || ']'; s_depth[v_top] := v_depth + 1;
      END LOOP;
    END IF;
    IF v_cond IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'condition_node'; s_id[v_top] := v_cond;
      s_path[v_top] := v_path || '.condition_node'; s_depth[v_top] := v_depth + 1;
    END IF;
    IF v_right IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'right_node'; s_id[v_top] := v_right;
      s_path[v_top] := v_path || '.right'; s_depth[v_top] := v_depth + 1;
    END IF;
    IF v_left IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'left_node'; s_id[v_top] := v_left;
      s_path[v_top] := v_path || '.left'; s_depth[v_top] := v_depth + 1;
    END IF;
  END LOOP;

  -- 6. The instance row; re-roll the id on a collision with any instance, visible or not.
  FOR i IN 1 .. 10 LOOP
    INSERT INTO df.instances AS inst (id, label, root_node, submitted_by, database)
    VALUES (right(gen_random_uuid()::text, 8), v_label, r_id[1], v_role, v_database)
    ON CONFLICT (id) DO NOTHING
    RETURNING inst.id INTO v_instance_id;
    EXIT WHEN v_instance_id IS NOT NULL;
  END LOOP;
  IF v_instance_id IS NULL THEN
    RAISE EXCEPTION 'could not find a free instance id after 10 attempts';
  END IF;

  -- 7. The node rows, in pre-order (the root first).
  INSERT INTO df.nodes (id, instance_id, node_type, query, result_name, left_node, right_node, submitted_by, database)
  SELECT u.id, v_instance_id, u.node_type, u.query, u.result_name, u.left_node, u.right_node, v_role, v_database
    FROM unnest(r_id, r_type, r_query, r_name, r_left, r_right)
         AS u(id, node_type, query, result_name, left_node, right_node);

  -- 8 and 9 (variables snapshot, hand-off): the instances_enqueue trigger did both.
  RETURN v_instance_id;
END
$$;

-- df.start runs with the caller's rights, so its helpers must stay executable by everyone, also
-- after R__010_engine.sql is re-applied on its own (it revokes EXECUTE on all of df_engine first).
GRANT EXECUTE ON FUNCTION df_engine.parse_root(text), df_engine.config_with(text, text, text) TO PUBLIC;

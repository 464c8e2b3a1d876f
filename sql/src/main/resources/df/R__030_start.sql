-- durable-sql: df.start (SPEC.md §5, R-EXT-6). Validates the Durofut, writes the instance, its nodes
-- and their retry/timeout policies in the caller's transaction with the caller's privileges (RLS
-- applies), and leaves the hand-off to the engines to the df_engine.instances_enqueue trigger. Works
-- while no engine runs (R-DIFF-6). transaction_mode => 'new' runs the same start in a loopback
-- session opened through the dblink extension (R-START-3).

-- Strict top-level parse of df.start (R-DSL-5): plain text and JSON without a node_type become a
-- SQL node; an unknown node_type or malformed structure is an error. A JSON null child counts as
-- absent, as the composers treat it.
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
    -- df_engine.sql_node(p_fut)::jsonb, built directly.
    RETURN jsonb_build_object('node_type', 'SQL', 'query', p_fut);
  END IF;
  v_type := v->>'node_type';
  IF NOT v_type = ANY (df_engine.node_types()) THEN
    RAISE EXCEPTION 'Invalid durable function: Unknown node_type ''%'' (valid types: %)',
      v_type, array_to_string(df_engine.node_types(), ', ');
  END IF;
  IF jsonb_typeof(v->'left_node') NOT IN ('object', 'null')
     OR jsonb_typeof(v->'right_node') NOT IN ('object', 'null')
     OR jsonb_typeof(v->'condition_node') NOT IN ('object', 'null')
     OR jsonb_typeof(v->'extra_nodes') NOT IN ('array', 'null') THEN
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

-- The retry/timeout policy a node carries in its Durofut (R-EXT-1, R-EXT-2), as the row that
-- df_engine.node_policies keeps for it: {"retry":{…}} and/or {"timeout_seconds":n}; NULL without one.
-- A JSON null counts as absent.
CREATE OR REPLACE FUNCTION df_engine.node_policy(p_node jsonb, p_path text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_retry jsonb := p_node->'retry';
  v_timeout jsonb := p_node->'timeout_seconds';
  v_policy jsonb := '{}';
  v_field text;
BEGIN
  IF jsonb_typeof(v_retry) <> 'null' THEN
    IF jsonb_typeof(v_retry) <> 'object' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: retry must be a JSON object such as {"max_attempts":3}', p_path;
    END IF;
    IF jsonb_typeof(v_retry->'max_attempts') IS DISTINCT FROM 'number' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: retry.max_attempts must be a whole number of at least 1', p_path;
    END IF;
    IF (v_retry->>'max_attempts')::numeric < 1
       OR (v_retry->>'max_attempts')::numeric <> trunc((v_retry->>'max_attempts')::numeric) THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: retry.max_attempts must be a whole number of at least 1, not %',
        p_path, v_retry->>'max_attempts';
    END IF;
    FOREACH v_field IN ARRAY ARRAY['initial_delay_seconds', 'backoff_multiplier', 'max_delay_seconds'] LOOP
      IF jsonb_typeof(v_retry->v_field) NOT IN ('number', 'null') THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: retry.% must be a number', p_path, v_field;
      END IF;
      IF jsonb_typeof(v_retry->v_field) = 'number' AND (v_retry->>v_field)::numeric < 0 THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: retry.% must not be negative, was %',
          p_path, v_field, v_retry->>v_field;
      END IF;
    END LOOP;
    v_policy := jsonb_build_object('retry', v_retry);
  END IF;
  IF jsonb_typeof(v_timeout) <> 'null' THEN
    IF jsonb_typeof(v_timeout) <> 'number' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: timeout_seconds must be a number of seconds', p_path;
    END IF;
    IF (v_timeout::text)::numeric <= 0 THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: timeout_seconds must be positive, was %', p_path, v_timeout::text;
    END IF;
    v_policy := v_policy || jsonb_build_object('timeout_seconds', v_timeout);
  END IF;
  RETURN CASE WHEN v_policy = '{}' THEN NULL ELSE v_policy END;
END
$$;

-- The structure of durable-sql's own node types (R-EXT-3, R-EXT-4), checked with a clear message
-- rather than left to the table's CHECK constraint: MAP has its body in left_node and a query
-- {"rows_query":"…","max_parallel":n}; ACTIVITY has no children and a query
-- {"activity_type":"…","config":{…}}.
CREATE OR REPLACE FUNCTION df_engine.check_extension_node(p_node jsonb, p_type text, p_path text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_config jsonb;
BEGIN
  IF p_type = 'MAP' THEN
    IF jsonb_typeof(p_node->'left_node') IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: a MAP node needs its body as a Durofut object in left_node', p_path;
    END IF;
    IF jsonb_typeof(p_node->'right_node') = 'object' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: right_node is not valid for MAP nodes (the body is left_node)', p_path;
    END IF;
  ELSIF p_type = 'ACTIVITY' THEN
    IF jsonb_typeof(p_node->'left_node') = 'object' OR jsonb_typeof(p_node->'right_node') = 'object' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: ACTIVITY nodes take no child nodes', p_path;
    END IF;
  ELSE
    RETURN;
  END IF;
  IF jsonb_typeof(p_node->'query') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION 'Invalid durable function graph: %: a % node needs its configuration as JSON text in query', p_path, p_type;
  END IF;
  BEGIN
    v_config := (p_node->>'query')::jsonb;
  EXCEPTION WHEN others THEN
    v_config := NULL;
  END;
  IF jsonb_typeof(v_config) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'Invalid durable function graph: %: query in % must be a JSON config object', p_path, p_type;
  END IF;
  IF p_type = 'MAP' THEN
    IF jsonb_typeof(v_config->'rows_query') IS DISTINCT FROM 'string' OR btrim(v_config->>'rows_query') = '' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: query in MAP must give the rows to map over: {"rows_query":"<sql>"}', p_path;
    END IF;
    IF jsonb_typeof(v_config->'max_parallel') NOT IN ('number', 'null') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: max_parallel in MAP must be a whole number of at least 1', p_path;
    END IF;
    IF jsonb_typeof(v_config->'max_parallel') = 'number'
       AND ((v_config->>'max_parallel')::numeric < 1
            OR (v_config->>'max_parallel')::numeric <> trunc((v_config->>'max_parallel')::numeric)) THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: max_parallel in MAP must be a whole number of at least 1, not %',
        p_path, v_config->>'max_parallel';
    END IF;
  ELSE
    IF jsonb_typeof(v_config->'activity_type') IS DISTINCT FROM 'string' OR btrim(v_config->>'activity_type') = '' THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: query in ACTIVITY must name the activity: {"activity_type":"<type>"}', p_path;
    END IF;
    IF jsonb_typeof(v_config->'config') NOT IN ('object', 'null') THEN
      RAISE EXCEPTION 'Invalid durable function graph: %: config in ACTIVITY must be a JSON object', p_path;
    END IF;
  END IF;
END
$$;

-- The instance this role already started with this idempotency key (R-EXT-6), as far as the caller's
-- snapshot shows; NULL if none. Runs with the caller's rights: RLS shows each role only its own keys,
-- and the explicit filter keeps a superuser, who bypasses RLS, to its own keys too.
CREATE OR REPLACE FUNCTION df_engine.started_with_key(p_role regrole, p_key text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT k.instance_id::text FROM df_engine.start_keys k
   WHERE k.submitted_by OPERATOR(pg_catalog.=) p_role
     AND k.idempotency_key OPERATOR(pg_catalog.=) p_key
$$;

-- Inserts the instance row (R-START-2, step 6) with a fresh random id, re-rolling it on a collision
-- with any instance, visible to the caller or not. The instances_enqueue trigger queues it.
CREATE OR REPLACE FUNCTION df_engine.insert_instance(p_label text, p_root_node text, p_role regrole, p_database text)
RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_instance_id text;
BEGIN
  FOR i IN 1 .. 10 LOOP
    INSERT INTO df.instances AS inst (id, label, root_node, submitted_by, database)
    VALUES (right(gen_random_uuid()::text, 8), p_label, p_root_node, p_role, p_database)
    ON CONFLICT (id) DO NOTHING
    RETURNING inst.id INTO v_instance_id;
    IF v_instance_id IS NOT NULL THEN
      RETURN v_instance_id;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'could not find a free instance id after 10 attempts';
END
$$;

-- Quotes a value for a libpq connection string.
CREATE OR REPLACE FUNCTION df_engine.conninfo_value(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT '''' OPERATOR(pg_catalog.||)
         pg_catalog.replace(pg_catalog.replace(p_value, '\', '\\'), '''', '\''')
         OPERATOR(pg_catalog.||) ''''
$$;

-- df.start(…, transaction_mode => 'new') (R-START-3): takes a launch slot, opens a loopback session
-- logged in as p_role through dblink, runs df.start there in caller mode (autocommit), and closes
-- the session and frees the slot on every path.
--
-- SECURITY DEFINER because dblink lets non-superusers open only sessions that authenticate with a
-- password given in the connection string, and this session logs in as the engine does, without
-- one (trust, peer or the server's pgpass; docs/sql-reference/start.md): the owner calls
-- dblink_connect_u. This function cannot see its caller's current_user, so it opens a session only
-- as a role that the session user may become anyway (itself, or a role it may SET ROLE to): nobody
-- gains a role through it.
--
-- Slots are session advisory locks (1346982470, slot): pg_locks shows classid 1346982470, objid =
-- slot, objsubid 2. Like every advisory lock they are counted per database.
CREATE OR REPLACE FUNCTION df_engine.start_in_new_transaction(
    p_role text, p_fut text, p_label text, p_database text, p_idempotency_key text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c_lock_class constant integer := 1346982470;
  c_session_timeout_ms constant integer := 30000;
  v_dblink name;
  v_slots integer;
  v_timeout numeric;
  v_deadline timestamptz;
  v_slot integer;
  v_connection text := 'df_start_new_' || replace(gen_random_uuid()::text, '-', '');
  v_host text;
  v_port text;
  v_conninfo text;
  v_statement text;
  v_open boolean;
  v_id text;
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
  v_context text;
BEGIN
  IF p_role IS DISTINCT FROM session_user::text
     AND NOT pg_has_role(session_user, p_role,
                         CASE WHEN current_setting('server_version_num')::integer >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
    RAISE EXCEPTION 'df.start(transaction_mode => ''new'') cannot open a session as role "%": session user "%" may not SET ROLE to it', p_role, session_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'This happens inside SECURITY DEFINER functions owned by another role. Use transaction_mode => ''caller'' there.';
  END IF;

  SELECT n.nspname INTO v_dblink
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'dblink';
  IF v_dblink IS NULL THEN
    RAISE EXCEPTION 'transaction_mode => ''new'' needs the dblink extension: CREATE EXTENSION dblink'
      USING ERRCODE = 'feature_not_supported',
            HINT = format('A superuser runs CREATE EXTENSION dblink in database %s; or use transaction_mode => ''caller'' (the default).',
                          current_database());
  END IF;
  IF NOT has_function_privilege(format('%I.dblink_connect_u(text, text)', v_dblink), 'EXECUTE') THEN
    RAISE EXCEPTION 'transaction_mode => ''new'' needs EXECUTE on dblink_connect_u for role "%", the owner of the df schema', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('A superuser runs: GRANT EXECUTE ON FUNCTION %I.dblink_connect_u(text, text) TO %I', v_dblink, current_user);
  END IF;

  v_slots := df_engine.setting('max_new_transaction_starts', '2')::integer;
  v_timeout := trim_scale(df_engine.setting('new_transaction_start_timeout', '5')::numeric);
  IF v_slots < 1 OR v_timeout < 0 THEN
    RAISE EXCEPTION 'df.settings max_new_transaction_starts=% and new_transaction_start_timeout=% are out of range: at least 1 slot and 0 seconds',
      v_slots, v_timeout;
  END IF;
  v_deadline := clock_timestamp() + v_timeout * interval '1 second';
  LOOP
    FOR s IN 0 .. v_slots - 1 LOOP
      IF pg_try_advisory_lock(c_lock_class, s) THEN
        v_slot := s;
        EXIT;
      END IF;
    END LOOP;
    EXIT WHEN v_slot IS NOT NULL;
    IF clock_timestamp() >= v_deadline THEN
      RAISE EXCEPTION 'df.start(transaction_mode => ''new'') found all max_new_transaction_starts=% launch slots busy. Timed out after %s waiting for a launch slot; nothing was started',
        v_slots, v_timeout
        USING ERRCODE = 'configuration_limit_exceeded',
              HINT = 'Retry later, or let the schema owner raise max_new_transaction_starts or new_transaction_start_timeout in df.settings.';
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;

  -- From here on the slot is held: every path below releases it. (A session advisory lock
  -- survives the rollback of the block that took it, so the handler must release it too.)
  BEGIN
    v_host := host(inet_server_addr());
    v_port := inet_server_port()::text;
    IF v_host IS NULL THEN
      -- A Unix-socket session: the same socket directory and port (libpq's default directory if
      -- the setting cannot be read).
      BEGIN
        v_host := nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), '');
      EXCEPTION WHEN others THEN
        v_host := NULL;
      END;
      v_port := current_setting('port');
    END IF;
    v_conninfo := concat_ws(' ',
      'host=' || df_engine.conninfo_value(v_host),
      'port=' || df_engine.conninfo_value(v_port),
      'dbname=' || df_engine.conninfo_value(current_database()),
      'user=' || df_engine.conninfo_value(p_role),
      'connect_timeout=10',
      'application_name=' || df_engine.conninfo_value('df.start new transaction'),
      'options=' || df_engine.conninfo_value(format('-c lock_timeout=%s -c statement_timeout=%s -c df.in_workflow=false',
                                                     c_session_timeout_ms, c_session_timeout_ms)));
    EXECUTE format('SELECT %I.dblink_connect_u($1, $2)', v_dblink) USING v_connection, v_conninfo;
    IF p_idempotency_key IS NULL THEN
      v_statement := format('SELECT df.start(%L, %L, %L)', p_fut, p_label, p_database);
    ELSE
      v_statement := format('SELECT df.start(%L, %L, %L, ''caller'', %L)', p_fut, p_label, p_database, p_idempotency_key);
    END IF;
    EXECUTE format('SELECT t.id FROM %I.dblink($1, $2) AS t(id text)', v_dblink) INTO v_id
      USING v_connection, v_statement;
    EXECUTE format('SELECT %I.dblink_disconnect($1)', v_dblink) USING v_connection;
  EXCEPTION WHEN others OR query_canceled THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                            v_hint = PG_EXCEPTION_HINT, v_context = PG_EXCEPTION_CONTEXT;
    BEGIN
      EXECUTE format('SELECT $1 = ANY (%I.dblink_get_connections())', v_dblink) INTO v_open USING v_connection;
      IF v_open THEN
        EXECUTE format('SELECT %I.dblink_disconnect($1)', v_dblink) USING v_connection;
      END IF;
    EXCEPTION WHEN others THEN
      NULL; -- the first error is the one to report
    END;
    PERFORM pg_advisory_unlock(c_lock_class, v_slot);
    IF v_state = '55P03' THEN
      RAISE EXCEPTION 'df.start(transaction_mode => ''new'') timed out: the new session waited more than lock_timeout (% ms) for a lock; nothing was started',
        c_session_timeout_ms
        USING ERRCODE = 'lock_not_available', DETAIL = v_message,
              HINT = 'Another transaction holds a lock the start needs (for example an uncommitted start with the same idempotency_key); retry once it has finished.';
    ELSIF v_state = '57014' AND strpos(coalesce(v_context, ''), v_connection) > 0 THEN
      RAISE EXCEPTION 'df.start(transaction_mode => ''new'') timed out: the start ran longer than statement_timeout (% ms) in the new session; nothing was started',
        c_session_timeout_ms
        USING ERRCODE = 'query_canceled', DETAIL = v_message;
    ELSIF v_state = '57014' THEN
      RAISE; -- the caller's own cancel or statement_timeout
    ELSIF v_state LIKE '08%' THEN
      RAISE EXCEPTION 'df.start() on new transaction failed: % as role "%": %', v_message, p_role, coalesce(v_detail, '')
        USING ERRCODE = v_state,
              HINT = 'The new session logs in to this server without a password, as the engine does: trust or peer authentication for the role, or a pgpass entry of the server''s operating-system user (docs/sql-reference/start.md).';
    ELSIF coalesce(v_detail, '') <> '' AND coalesce(v_hint, '') <> '' THEN
      RAISE EXCEPTION 'df.start() on new transaction failed: %', v_message
        USING ERRCODE = v_state, DETAIL = v_detail, HINT = v_hint;
    ELSIF coalesce(v_detail, '') <> '' THEN
      RAISE EXCEPTION 'df.start() on new transaction failed: %', v_message USING ERRCODE = v_state, DETAIL = v_detail;
    ELSIF coalesce(v_hint, '') <> '' THEN
      RAISE EXCEPTION 'df.start() on new transaction failed: %', v_message USING ERRCODE = v_state, HINT = v_hint;
    ELSE
      RAISE EXCEPTION 'df.start() on new transaction failed: %', v_message USING ERRCODE = v_state;
    END IF;
  END;
  PERFORM pg_advisory_unlock(c_lock_class, v_slot);
  RETURN v_id;
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
  v_key text := $5;
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
  -- The nodes that carry a retry or timeout policy, and their policies.
  p_id text[] := '{}';
  p_policy jsonb[] := '{}';
  v_policy jsonb;
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
  j_left jsonb;
  j_right jsonb;
  j_cond jsonb;
  i integer;
  v_instance_id text;
  v_constraint text;
BEGIN
  IF v_mode NOT IN ('caller', 'new') THEN
    RAISE EXCEPTION 'invalid transaction_mode ''%'': use ''caller'' (the default) or ''new''', $4;
  END IF;
  IF v_mode = 'new' AND current_setting('df.in_workflow', true) = 'true' THEN
    RAISE EXCEPTION 'df.start(transaction_mode => ''new'') cannot be called inside a workflow'
      USING HINT = 'Inside a workflow step, df.start in caller mode (the default) starts an independent instance.';
  END IF;
  -- A value returned by df.setvar and friends is not a workflow (R-DSL-6); the DSL owns that check,
  -- which only these four values can trip.
  IF fut IN ('OK', 'completed', 'failed', 'cancelled')
     AND to_regprocedure('df_engine.check_non_future(text)') IS NOT NULL THEN
    EXECUTE 'SELECT df_engine.check_non_future($1)' USING fut;
  END IF;
  IF v_key = '' THEN
    RAISE EXCEPTION 'idempotency_key must not be empty'
      USING HINT = 'Pass NULL (the default) to start without a key.';
  END IF;

  IF v_mode = 'new' THEN
    SELECT r.rolcanlogin INTO v_login FROM pg_roles r WHERE r.rolname = current_user;
    IF NOT v_login THEN
      RAISE EXCEPTION 'role "%" cannot start workflows: it lacks the LOGIN attribute, and the new session (like the engine) must log in as the submitting role', current_user
        USING HINT = 'Start the workflow as a role with LOGIN (after SET ROLE, current_user must be a login role).';
    END IF;
    -- A start with this key earlier in the caller's own transaction is invisible to the new
    -- session, which would wait for it until its lock_timeout: answer it here.
    IF v_key IS NOT NULL THEN
      v_instance_id := df_engine.started_with_key(v_role, v_key);
      IF v_instance_id IS NOT NULL THEN
        RETURN v_instance_id;
      END IF;
    END IF;
    RETURN df_engine.start_in_new_transaction(current_user, fut, v_label, v_database, v_key);
  END IF;

  -- 1. Parse.
  v_root := df_engine.parse_root(fut);

  -- 2. Target database.
  IF v_database IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = v_database) THEN
      RAISE EXCEPTION 'database "%" does not exist', v_database;
    END IF;
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

  -- Idempotency (R-EXT-6): a key this role already used, committed or earlier in this transaction.
  IF v_key IS NOT NULL THEN
    v_instance_id := df_engine.started_with_key(v_role, v_key);
    IF v_instance_id IS NOT NULL THEN
      RETURN v_instance_id;
    END IF;
  END IF;

  -- 5. Materialise: pre-order walk; ids assigned on discovery (left, right, condition, extras).
  -- Count the nodes on the parsed value: its text spells every key plainly (the input may escape
  -- them, as in "node\u005ftype") and escapes every quote inside strings.
  v_text := v_root::text;
  v_bound := greatest(1, (length(v_text) - length(replace(v_text, '"node_type"', ''))) / length('"node_type"'));
  IF v_bound <= 32 THEN
    -- As many distinct random ids as df_engine.random_ids gives (the bound and four more), drawn
    -- here without its query: most graphs are this small.
    v_ids := '{}';
    WHILE cardinality(v_ids) < v_bound + 4 LOOP
      v_node_id := right(gen_random_uuid()::text, 8);
      IF NOT v_node_id = ANY (v_ids) THEN
        v_ids := v_ids || v_node_id;
      END IF;
    END LOOP;
  ELSE
    v_ids := df_engine.random_ids(least(v_bound, 10001));
  END IF;
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
    v_type := v_node->>'node_type';
    j_left := v_node->'left_node';
    j_right := v_node->'right_node';
    j_cond := v_node->'condition_node';
    v_extras := v_node->'extra_nodes';
    -- The common node passes every check below at a glance: a known type (->> gives a type name
    -- only for a JSON string), object children or none, no condition_node, extra_nodes, retry or
    -- timeout_seconds key, not an extension node. Any other node takes the checks one by one, in
    -- their order, so that the first problem is the one reported.
    IF (v_type = ANY (df_engine.node_types()) AND j_cond IS NULL AND v_extras IS NULL
        AND (j_left IS NULL OR jsonb_typeof(j_left) = 'object')
        AND (j_right IS NULL OR jsonb_typeof(j_right) = 'object')
        AND v_type NOT IN ('MAP', 'ACTIVITY')
        AND NOT v_node ?| ARRAY['retry', 'timeout_seconds']) IS NOT TRUE THEN
      IF jsonb_typeof(v_node->'node_type') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: node_type is missing', v_path;
      END IF;
      IF NOT v_type = ANY (df_engine.node_types()) THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: Unknown node_type ''%'' (valid types: %)',
          v_path, v_type, array_to_string(df_engine.node_types(), ', ');
      END IF;
      IF jsonb_typeof(j_cond) <> 'null' AND v_type NOT IN ('IF', 'LOOP') THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: condition_node is not valid for % nodes', v_path, v_type;
      END IF;
      IF jsonb_typeof(v_extras) <> 'null' AND v_type <> 'JOIN' THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: extra_nodes is not valid for % nodes', v_path, v_type;
      END IF;
      IF jsonb_typeof(j_left) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: left_node must be a Durofut JSON object', v_path;
      END IF;
      IF jsonb_typeof(j_right) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: right_node must be a Durofut JSON object', v_path;
      END IF;
      IF jsonb_typeof(j_cond) NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'Invalid durable function graph: %: condition_node must be a Durofut JSON object', v_path;
      END IF;
      IF jsonb_typeof(v_extras) = 'null' THEN
        v_extras := NULL;
      END IF;
      IF v_extras IS NOT NULL THEN
        IF jsonb_typeof(v_extras) <> 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_extras) e WHERE jsonb_typeof(e) <> 'object') THEN
          RAISE EXCEPTION 'Invalid durable function graph: %: extra_nodes entries must be Durofut JSON objects', v_path;
        END IF;
      END IF;
      IF v_type IN ('MAP', 'ACTIVITY') THEN
        PERFORM df_engine.check_extension_node(v_node, v_type, v_path);
      END IF;
      v_policy := df_engine.node_policy(v_node, v_path);
      IF v_policy IS NOT NULL THEN
        p_id := p_id || v_node_id;
        p_policy := p_policy || v_policy;
      END IF;
    END IF;

    -- Discover children in order, assigning ids.
    v_left := NULL; v_right := NULL; v_cond := NULL; v_extra_ids := '{}';
    IF jsonb_typeof(j_left) = 'object' THEN
      v_left := v_ids[v_next]; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(j_right) = 'object' THEN
      v_right := v_ids[v_next]; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(j_cond) = 'object' THEN
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
      s_node[v_top] := j_cond; s_id[v_top] := v_cond;
      s_path[v_top] := v_path || '.condition_node'; s_depth[v_top] := v_depth + 1;
    END IF;
    IF v_right IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := j_right; s_id[v_top] := v_right;
      s_path[v_top] := v_path || '.right'; s_depth[v_top] := v_depth + 1;
    END IF;
    IF v_left IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := j_left; s_id[v_top] := v_left;
      s_path[v_top] := v_path || '.left'; s_depth[v_top] := v_depth + 1;
    END IF;
  END LOOP;

  -- 6. The instance row. With a key, the instances_enqueue trigger records it in
  -- df_engine.start_keys; the setting that passes the key on lives only for this insert, so a later
  -- start in the same transaction is unaffected. If another transaction holds the same key
  -- uncommitted, the trigger's insert waits on the unique index: if that transaction commits, its
  -- instance is the answer; if it rolls back, this start goes on.
  IF v_key IS NULL THEN
    v_instance_id := df_engine.insert_instance(v_label, r_id[1], v_role, v_database);
  ELSE
    BEGIN
      PERFORM set_config('df.start_idempotency_key', v_key, true);
      v_instance_id := df_engine.insert_instance(v_label, r_id[1], v_role, v_database);
      PERFORM set_config('df.start_idempotency_key', '', true);
    EXCEPTION WHEN unique_violation THEN
      GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
      PERFORM set_config('df.start_idempotency_key', '', true);
      IF v_constraint IS DISTINCT FROM 'start_keys_pkey' THEN
        RAISE;
      END IF;
      -- Under READ COMMITTED this statement sees the other transaction's commit.
      v_instance_id := df_engine.started_with_key(v_role, v_key);
      IF v_instance_id IS NULL THEN
        RAISE EXCEPTION 'could not serialize access: another transaction started an instance with idempotency_key ''%'' concurrently', v_key
          USING ERRCODE = 'serialization_failure',
                HINT = 'Retry the transaction: df.start then returns that instance.';
      END IF;
      RETURN v_instance_id;
    END;
  END IF;

  -- 7. The node rows, in pre-order (the root first).
  INSERT INTO df.nodes (id, instance_id, node_type, query, result_name, left_node, right_node, submitted_by, database)
  SELECT u.id, v_instance_id, u.node_type, u.query, u.result_name, u.left_node, u.right_node, v_role, v_database
    FROM unnest(r_id, r_type, r_query, r_name, r_left, r_right)
         AS u(id, node_type, query, result_name, left_node, right_node);

  -- Retry and timeout policies (R-EXT-1, R-EXT-2), one row per node that has one.
  IF cardinality(p_id) > 0 THEN
    INSERT INTO df_engine.node_policies (instance_id, node_id, policy)
    SELECT v_instance_id, u.node_id, u.policy FROM unnest(p_id, p_policy) AS u(node_id, policy);
  END IF;

  -- 8 and 9 (variables snapshot, hand-off): the instances_enqueue trigger did both.
  RETURN v_instance_id;
END
$$;

-- df.start runs with the caller's rights, so its helpers must stay executable by everyone, also
-- after R__010_engine.sql is re-applied on its own (it revokes EXECUTE on its own functions first).
-- start_in_new_transaction is SECURITY DEFINER, and opens sessions only as roles that the caller's
-- session user may become (see there).
GRANT EXECUTE ON FUNCTION df_engine.parse_root(text), df_engine.config_with(text, text, text),
  df_engine.node_policy(jsonb, text), df_engine.check_extension_node(jsonb, text, text),
  df_engine.started_with_key(regrole, text), df_engine.insert_instance(text, text, regrole, text),
  df_engine.conninfo_value(text), df_engine.start_in_new_transaction(text, text, text, text, text) TO PUBLIC;

-- durable-sql: reading instances (SPEC.md §12) and the compatibility shims (§16). Everything reads
-- with the caller's privileges, so RLS shows each role only its own instances.

CREATE OR REPLACE FUNCTION df.status(instance_id text) RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.status FROM df.instances i WHERE i.id OPERATOR(pg_catalog.=) $1
$$;

CREATE OR REPLACE FUNCTION df.result(instance_id text) RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT n.result::text
    FROM df.instances i
    JOIN df.nodes n ON n.instance_id OPERATOR(pg_catalog.=) i.id AND n.id OPERATOR(pg_catalog.=) i.root_node
   WHERE i.id OPERATOR(pg_catalog.=) $1 AND n.status OPERATOR(pg_catalog.=) 'completed'
$$;

-- Blocks until the instance is terminal (R-MON-2), polling every 100 ms with a fresh snapshot.
CREATE OR REPLACE FUNCTION df.await_instance(instance_id text, timeout_seconds integer DEFAULT 30) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_id text := $1;
  v_deadline timestamptz;
  v_status text;
BEGIN
  IF current_setting('df.in_workflow', true) = 'true' THEN
    RAISE EXCEPTION 'df.await_instance() cannot be called inside a workflow';
  END IF;
  IF timeout_seconds <= 0 THEN
    RAISE EXCEPTION 'timeout_seconds must be positive, was %', timeout_seconds;
  END IF;
  v_deadline := clock_timestamp() + make_interval(secs => timeout_seconds);
  LOOP
    SELECT i.status INTO v_status FROM df.instances i WHERE i.id = v_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'Instance not found: %', v_id;
    END IF;
    IF v_status IN ('completed', 'failed', 'cancelled') THEN
      -- The status word is no workflow step: composers and df.start refuse it (R-DSL-6).
      PERFORM set_config('df.non_future_helper',
                         'df.await_instance()' || E'\n' || statement_timestamp()::text, true);
      RETURN v_status;
    END IF;
    IF clock_timestamp() >= v_deadline THEN
      RAISE EXCEPTION 'Timed out after % seconds waiting for instance % (last status: %)',
        timeout_seconds, v_id, v_status;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;

-- Deprecated alias of df.await_instance.
CREATE OR REPLACE FUNCTION df.wait_for_completion(instance_id text, timeout_seconds integer DEFAULT 30) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE WARNING 'df.wait_for_completion() is deprecated; use df.await_instance()';
  RETURN df.await_instance($1, $2);
END
$$;

CREATE OR REPLACE FUNCTION df.version() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT '0.1.0 (built 2026-11-24)'::text
$$;

-- The database that holds this df schema (R-COMPAT-4). IMMUTABLE as in the reference; it reads the
-- current database so that a copy made with CREATE DATABASE ... TEMPLATE answers for itself.
CREATE OR REPLACE FUNCTION df.target_database() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.current_database()::text
$$;

-- Where the readiness table _worker_ready lives (R-COMPAT-1).
CREATE OR REPLACE FUNCTION df.duroxide_schema() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT 'df_engine'::text
$$;

-- ---------------------------------------------------------------------------------------------------
-- Listing and inspecting instances (R-MON-3 to R-MON-10). Every function below but df.metrics reads
-- with the caller's privileges, so RLS limits it to the caller's own instances and an id the caller
-- cannot see behaves like an unknown one.
--
-- Generations come from the status stamps the engine writes (R-EXEC-25): a stamp is
-- "<scope id>::<generation>", the root scope's id is the instance id, and a child scope's id is
-- "<parent scope id>::<parent generation>::<node id>". An instance's execution count is the highest
-- generation among its root-scope stamps ("<instance id>::<n>", exactly two parts), 1 when none.

-- The reason of an instance's cancellations, read from the engine's event log, which users cannot
-- read directly. A view rather than a SECURITY DEFINER function because a view keeps CURRENT_USER:
-- it shows only the events of instances that RLS on df.instances would show the caller (all of them
-- when RLS does not apply to the caller: superusers, BYPASSRLS roles, the owner). security_barrier
-- keeps callers' own conditions from seeing rows before that filter.
CREATE OR REPLACE VIEW df_engine.cancel_reasons WITH (security_barrier = true) AS
SELECT e.instance_id, e.id AS event_id, e.detail OPERATOR(pg_catalog.->>) 'reason' AS reason
  FROM df_engine.events e
 WHERE e.kind OPERATOR(pg_catalog.=) 'cancel_requested'
   AND EXISTS (SELECT 1
                 FROM df.instances i
                WHERE i.id OPERATOR(pg_catalog.=) e.instance_id
                  AND (NOT pg_catalog.row_security_active('df.instances'::pg_catalog.regclass)
                       OR i.submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::pg_catalog.regrole));
REVOKE ALL ON df_engine.cancel_reasons FROM PUBLIC;
GRANT SELECT ON df_engine.cancel_reasons TO PUBLIC;

-- The execution count and output of the given instances that the caller can see (R-MON-3): output
-- is the root node's result when the instance completed, the error when it failed (the failed root
-- node's result without JSON quotes) or was cancelled (the newest cancel reason, else 'Cancelled'),
-- and NULL otherwise. Takes a whole page of ids at once so that a listing runs it once.
CREATE OR REPLACE FUNCTION df_engine.instance_summaries(p_ids text[])
RETURNS TABLE (instance_id text, execution_count bigint, output text)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.id::text,
         COALESCE((SELECT max(substr(n.status_details ->> 'execution_id', length(i.id) + 3)::bigint)
                     FROM df.nodes n
                    WHERE n.instance_id = i.id
                      AND left(n.status_details ->> 'execution_id', length(i.id) + 2) = i.id || '::'
                      AND substr(n.status_details ->> 'execution_id', length(i.id) + 3) ~ '^[0-9]{1,18}$'),
                  1)::bigint,
         CASE i.status
           WHEN 'completed' THEN
             (SELECT r.result::text FROM df.nodes r
               WHERE r.instance_id = i.id AND r.id = i.root_node AND r.status = 'completed')
           WHEN 'failed' THEN
             (SELECT r.result #>> '{}' FROM df.nodes r
               WHERE r.instance_id = i.id AND r.id = i.root_node AND r.status = 'failed')
           WHEN 'cancelled' THEN
             COALESCE((SELECT c.reason FROM df_engine.cancel_reasons c
                        WHERE c.instance_id = i.id ORDER BY c.event_id DESC LIMIT 1),
                      'Cancelled')
         END
    FROM df.instances i
   WHERE i.id = ANY (p_ids)
$$;
REVOKE ALL ON FUNCTION df_engine.instance_summaries(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.instance_summaries(text[]) TO PUBLIC;

-- Checks a listing's page size against 1 and the cap in df.settings (R-MON-5).
CREATE OR REPLACE FUNCTION df_engine.check_list_limit(p_limit integer) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_setting text := btrim(df_engine.setting('list_instances_max_limit', '1000'));
  v_cap integer;
BEGIN
  IF p_limit IS NULL THEN
    RAISE EXCEPTION 'df.list_instances: limit_count must not be NULL'
      USING HINT = 'Pass the number of rows per page, at least 1.';
  END IF;
  IF p_limit < 1 THEN
    RAISE EXCEPTION 'df.list_instances: limit_count must be at least 1, was %', p_limit;
  END IF;
  IF v_setting !~ '^[0-9]{1,9}$' THEN
    RAISE EXCEPTION 'df.list_instances: the setting list_instances_max_limit in df.settings is not a whole number: %',
      v_setting USING HINT = 'Ask the owner of the df schema to set it to a number from 1 to 1000000.';
  END IF;
  v_cap := v_setting::integer;
  IF p_limit > v_cap THEN
    RAISE EXCEPTION 'df.list_instances: limit_count % exceeds list_instances_max_limit (%)', p_limit, v_cap
      USING HINT = 'Ask for at most that many rows and fetch the rest page by page with after_cursor.';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION df_engine.check_list_limit(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.check_list_limit(integer) TO PUBLIC;

-- The keyset cursor of a listing row (R-MON-4): lower-case hex of "v1|<created_at>|<id>", the
-- timestamp with microseconds and the session's UTC offset.
CREATE OR REPLACE FUNCTION df_engine.list_cursor(p_created_at timestamptz, p_id text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT encode(convert_to('v1|' || to_char(p_created_at, 'YYYY-MM-DD"T"HH24:MI:SS.USOF') || '|' || p_id, 'UTF8'), 'hex')
$$;
REVOKE ALL ON FUNCTION df_engine.list_cursor(timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.list_cursor(timestamptz, text) TO PUBLIC;

-- Decodes a cursor made by df_engine.list_cursor. Anything malformed is an error, never a silent
-- restart from the first page.
CREATE OR REPLACE FUNCTION df_engine.parse_list_cursor(p_cursor text, OUT created_at timestamptz, OUT instance_id text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_text text;
  v_rest text;
  v_version text;
  v_timestamp text;
  v_problem text;
BEGIN
  IF p_cursor = '' THEN
    v_problem := 'it is empty';
  ELSIF length(p_cursor) > 512 THEN
    v_problem := format('it is %s characters long, more than 512', length(p_cursor));
  ELSIF length(p_cursor) % 2 <> 0 THEN
    v_problem := 'it has an odd number of hex digits';
  ELSIF p_cursor !~ '^[0-9a-fA-F]+$' THEN
    v_problem := 'it is not hexadecimal';
  END IF;
  IF v_problem IS NULL THEN
    BEGIN
      v_text := convert_from(decode(p_cursor, 'hex'), 'UTF8');
    EXCEPTION WHEN others THEN
      v_problem := 'it does not decode to UTF-8 text';
    END;
  END IF;
  IF v_problem IS NULL THEN
    v_version := split_part(v_text, '|', 1);
    v_rest := substr(v_text, length(v_version) + 2);
    v_timestamp := split_part(v_rest, '|', 1);
    instance_id := substr(v_rest, length(v_timestamp) + 2);
    IF v_version <> 'v1' THEN
      v_problem := 'its version is not v1';
    ELSIF strpos(v_text, '|') = 0 OR strpos(v_rest, '|') = 0 OR v_timestamp = '' OR instance_id = '' THEN
      v_problem := 'it does not have the three non-empty parts version|created_at|id';
    ELSIF v_timestamp !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}(:\d{2})?$' THEN
      v_problem := 'its timestamp is not of the form YYYY-MM-DDTHH:MI:SS.UUUUUU+HH';
    ELSE
      BEGIN
        created_at := v_timestamp::timestamptz;
      EXCEPTION WHEN others THEN
        v_problem := 'its timestamp is not a valid date and time';
      END;
    END IF;
  END IF;
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION 'df.list_instances: invalid after_cursor: %', v_problem
      USING HINT = 'Pass NULL for the first page and then the next_cursor of the previous page, unchanged.';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION df_engine.parse_list_cursor(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.parse_list_cursor(text) TO PUBLIC;

-- Basic listing (R-MON-3), newest first.
CREATE OR REPLACE FUNCTION df.list_instances(status_filter text DEFAULT NULL, limit_count integer DEFAULT 100)
RETURNS TABLE (instance_id text, label text, function_name text, status text, execution_count bigint, output text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
  PERFORM df_engine.check_list_limit(limit_count);
  RETURN QUERY
    WITH page AS (
      SELECT i.id, i.label, i.status, i.created_at,
             row_number() OVER (ORDER BY i.created_at DESC, i.id) AS position
        FROM (SELECT i0.id, i0.label, i0.status, i0.created_at
                FROM df.instances i0
               WHERE status_filter IS NULL OR i0.status = status_filter
               ORDER BY i0.created_at DESC, i0.id
               LIMIT limit_count) i
    )
    SELECT p.id::text, p.label, 'pg_durable::orchestration::execute-function-graph'::text, p.status,
           s.execution_count, s.output
      FROM page p
      LEFT JOIN df_engine.instance_summaries((SELECT array_agg(p2.id::text) FROM page p2)) s
        ON s.instance_id = p.id
     ORDER BY p.position;
END
$$;

-- Paginated listing (R-MON-4): keyset pages in the order created_at DESC, id ASC.
CREATE OR REPLACE FUNCTION df.list_instances(status_filter text, limit_count integer, label_filter text,
                                             after_cursor text DEFAULT NULL)
RETURNS TABLE (instance_id text, label text, function_name text, status text, execution_count bigint, output text,
               created_at timestamptz, completed_at timestamptz, next_cursor text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_after_at timestamptz;
  v_after_id text;
BEGIN
  PERFORM df_engine.check_list_limit(limit_count);
  IF after_cursor IS NOT NULL THEN
    SELECT c.created_at, c.instance_id INTO v_after_at, v_after_id FROM df_engine.parse_list_cursor(after_cursor) c;
  END IF;
  RETURN QUERY
    WITH fetched AS (
      SELECT i.id, i.label, i.status, i.created_at, i.completed_at,
             row_number() OVER (ORDER BY i.created_at DESC, i.id) AS position
        FROM (SELECT i0.id, i0.label, i0.status, i0.created_at, i0.completed_at
                FROM df.instances i0
               WHERE i0.created_at IS NOT NULL
                 AND (status_filter IS NULL OR i0.status = status_filter)
                 AND (label_filter IS NULL OR i0.label = label_filter)
                 AND (v_after_at IS NULL
                      OR i0.created_at < v_after_at
                      OR (i0.created_at = v_after_at AND i0.id > v_after_id))
               ORDER BY i0.created_at DESC, i0.id
               LIMIT limit_count + 1) i
    ),
    page AS (
      SELECT f.* FROM fetched f WHERE f.position <= limit_count
    ),
    cursor AS (
      SELECT CASE WHEN (SELECT count(*) FROM fetched) > limit_count
                  THEN df_engine.list_cursor(l.created_at, l.id::text) END AS next_cursor
        FROM page l
       WHERE l.position = limit_count
    )
    SELECT p.id::text, p.label, 'pg_durable::orchestration::execute-function-graph'::text, p.status,
           s.execution_count, s.output, p.created_at,
           CASE WHEN p.status = 'completed' THEN p.completed_at END,
           (SELECT c.next_cursor FROM cursor c)
      FROM page p
      LEFT JOIN df_engine.instance_summaries((SELECT array_agg(p2.id::text) FROM page p2)) s
        ON s.instance_id = p.id
     ORDER BY p.position;
END
$$;

-- One instance in the terms of the listings (R-MON-6). A SQL function: PL/pgSQL does not accept a
-- parameter and a result column both named instance_id.
CREATE OR REPLACE FUNCTION df.instance_info(instance_id text)
RETURNS TABLE (instance_id text, label text, function_name text, function_version text, current_execution_id bigint,
               status text, output text)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT i.id::text, i.label, 'pg_durable::orchestration::execute-function-graph'::text, '1.0.0'::text,
         s.execution_count, i.status, s.output
    FROM df.instances i
    JOIN df_engine.instance_summaries(ARRAY[$1]) s ON s.instance_id = i.id
   WHERE i.id = $1
$$;

-- One row per root-scope generation, newest first (R-MON-7). Earlier generations ended by starting
-- the next one (ContinuedAsNew). A generation's event count is the number of nodes whose stamp still
-- belongs to it (child scopes included), its duration the span of those nodes' updated_at.
CREATE OR REPLACE FUNCTION df.instance_executions(instance_id text, limit_count integer DEFAULT 5)
RETURNS TABLE (execution_id bigint, status text, event_count bigint, duration_ms bigint, output text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_id text := $1;
  v_status text;
  v_current bigint;
  v_output text;
BEGIN
  IF limit_count IS NULL OR limit_count < 1 THEN
    RAISE EXCEPTION 'df.instance_executions: limit_count must be at least 1, was %', coalesce(limit_count::text, 'NULL');
  END IF;
  SELECT i.status INTO v_status FROM df.instances i WHERE i.id = v_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT s.execution_count, s.output INTO STRICT v_current, v_output
    FROM df_engine.instance_summaries(ARRAY[v_id]) s;
  RETURN QUERY
    WITH stamped AS (
      SELECT split_part(n.status_details ->> 'execution_id', '::', 2)::bigint AS generation,
             n.updated_at
        FROM df.nodes n
       WHERE n.instance_id = v_id
         AND split_part(n.status_details ->> 'execution_id', '::', 1) = v_id
         AND split_part(n.status_details ->> 'execution_id', '::', 2) ~ '^[0-9]{1,18}$'
    ),
    per_generation AS (
      SELECT st.generation, count(*) AS nodes, max(st.updated_at) - min(st.updated_at) AS span
        FROM stamped st
       GROUP BY st.generation
    )
    SELECT g.generation,
           CASE WHEN g.generation < v_current THEN 'ContinuedAsNew'
                WHEN v_status = 'completed' THEN 'Completed'
                WHEN v_status IN ('failed', 'cancelled') THEN 'Failed'
                ELSE 'Running' END,
           COALESCE(stats.nodes, 0)::bigint,
           CASE WHEN g.generation = v_current AND v_status IN ('pending', 'running') THEN 0::bigint
                ELSE COALESCE(floor(extract(epoch FROM stats.span) * 1000)::bigint, 0) END,
           CASE WHEN g.generation = v_current THEN v_output END
      FROM generate_series(v_current, 1, -1) AS g(generation)
      LEFT JOIN per_generation stats ON stats.generation = g.generation
     ORDER BY g.generation DESC
     LIMIT least(limit_count, 10000);
END
$$;

-- System-wide counts (R-MON-8). SECURITY DEFINER, a deliberate exception to R-SEC-1: the reference
-- counts every user's instances, which RLS would hide from the caller. No caller-supplied value
-- reaches a query, and only roles granted EXECUTE explicitly may call it.
CREATE OR REPLACE FUNCTION df.metrics()
RETURNS TABLE (total_instances bigint, running_instances bigint, completed_instances bigint, failed_instances bigint,
               total_executions bigint, total_events bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*)::bigint,
         (count(*) FILTER (WHERE i.status IN ('pending', 'running')))::bigint,
         (count(*) FILTER (WHERE i.status = 'completed'))::bigint,
         (count(*) FILTER (WHERE i.status IN ('failed', 'cancelled')))::bigint,
         COALESCE(sum(COALESCE(g.generation, 1)), 0)::bigint,
         (SELECT count(*) FROM df_engine.events)::bigint
    FROM df.instances i
    LEFT JOIN (SELECT n.instance_id, max(substr(n.status_details ->> 'execution_id', 11)::bigint) AS generation
                 FROM df.nodes n
                WHERE n.status_details ->> 'execution_id' ~ '^[0-9a-f]{8}::[0-9]{1,18}$'
                  AND left(n.status_details ->> 'execution_id', 8) = n.instance_id
                GROUP BY n.instance_id) g
      ON g.instance_id = i.id
$$;
REVOKE EXECUTE ON FUNCTION df.metrics() FROM PUBLIC;

-- Every node of an instance with its inferred status (R-MON-9), computed at read time:
--   1. scope_max[scope] = the highest generation among the nodes' parseable stamps "<scope>::<gen>";
--   2. a stamp is superseded when its generation is below its scope's maximum, or when its scope is
--      a child scope "<parent>::<pgen>::<node>" and (parent, pgen) is superseded;
--   3. a depth-first walk from the root carries nta, the nearest ancestor that is terminal and not
--      superseded, and hga, the ancestor with the highest own generation (the deeper one on ties);
--   4. terminal and superseded: skipped (from nta) if there is one, else pending (from hga); terminal
--      and current: the stored status; not terminal: skipped (from nta) if there is one, else running
--      or pending as stored;
--   5. nodes the walk does not reach keep their stored status.
-- A node that the engine stamped failed with a result starting "cancelled" because its instance was
-- cancelled or its RACE branch lost (R-DIFF-9) counts as unfinished, as the reference leaves such
-- nodes running: under a terminal ancestor it is skipped, and it is never an nta itself.
-- The walk uses an explicit stack (no recursion, however deep the graph) and visits each node once,
-- so hand-made rows with cycles or shared children cannot make it loop. Rows come in walk order.
CREATE OR REPLACE FUNCTION df.instance_nodes(instance_id_param text)
RETURNS TABLE (node_id text, node_type text, query text, result_name text, left_node text, right_node text,
               status text, result text, status_details text, inferred_status text,
               inferred_status_from_ancestor_id text, updated_at timestamptz)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_root text;
  -- The nodes, one array element per node, read in one statement (one snapshot).
  a_id text[];
  a_type text[];
  a_query text[];
  a_name text[];
  a_left text[];
  a_right text[];
  a_status text[];
  a_result text[];
  a_details text[];
  a_updated timestamptz[];
  a_stamp text[];
  a_interrupted boolean[];
  v_count integer;
  v_position jsonb;   -- node id -> array position
  v_scope_max jsonb;  -- scope id -> highest generation
  -- Per node: own generation (NULL without a parseable stamp), superseded, the walk's answers.
  a_generation numeric[];
  a_superseded boolean[];
  a_terminal boolean[];
  a_visited boolean[];
  a_order integer[];
  a_inferred text[];
  a_from text[];
  -- The walk's stack: node position, its nta and hga positions.
  s_node integer[] := '{}';
  s_nta integer[] := '{}';
  s_hga integer[] := '{}';
  v_top integer := 0;
  v_visits integer := 0;
  v_parts text[];
  v_level integer;
  v_scope_generation numeric;
  v_config jsonb;
  v_children text[];
  v_node integer;
  v_nta integer;
  v_hga integer;
  v_child integer;
  v_child_nta integer;
  v_child_hga integer;
  v_stored text;
  i integer;
BEGIN
  SELECT i.root_node INTO v_root FROM df.instances i WHERE i.id = instance_id_param;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  SELECT array_agg(n.id::text ORDER BY n.id), array_agg(n.node_type ORDER BY n.id),
         array_agg(n.query ORDER BY n.id), array_agg(n.result_name ORDER BY n.id),
         array_agg(n.left_node::text ORDER BY n.id), array_agg(n.right_node::text ORDER BY n.id),
         array_agg(n.status ORDER BY n.id), array_agg(n.result::text ORDER BY n.id),
         array_agg(n.status_details::text ORDER BY n.id), array_agg(n.updated_at ORDER BY n.id),
         array_agg(n.status_details ->> 'execution_id' ORDER BY n.id),
         array_agg(COALESCE(n.status = 'failed' AND jsonb_typeof(n.result) = 'string'
                            AND (n.result #>> '{}') LIKE 'cancelled%', false) ORDER BY n.id)
    INTO a_id, a_type, a_query, a_name, a_left, a_right, a_status, a_result, a_details, a_updated, a_stamp,
         a_interrupted
    FROM df.nodes n
   WHERE n.instance_id = instance_id_param;
  v_count := coalesce(cardinality(a_id), 0);
  IF v_count = 0 THEN
    RETURN;
  END IF;

  SELECT jsonb_object_agg(u.id, u.position) INTO v_position
    FROM unnest(a_id) WITH ORDINALITY AS u(id, position);

  -- Step 1.
  SELECT COALESCE(jsonb_object_agg(m.scope, m.generation), '{}') INTO v_scope_max
    FROM (SELECT array_to_string(p.parts[1:cardinality(p.parts) - 1], '::') AS scope,
                 max(p.parts[cardinality(p.parts)]::numeric) AS generation
            FROM (SELECT string_to_array(st.stamp, '::') AS parts FROM unnest(a_stamp) AS st(stamp)) p
           WHERE cardinality(p.parts) >= 2 AND p.parts[cardinality(p.parts)] ~ '^[0-9]+$'
           GROUP BY 1) m;

  -- Step 2: walk up the stamp's levels, generation at position v_level, its scope before it.
  a_generation := array_fill(NULL::numeric, ARRAY[v_count]);
  a_superseded := array_fill(false, ARRAY[v_count]);
  a_terminal := array_fill(false, ARRAY[v_count]);
  FOR i IN 1 .. v_count LOOP
    a_terminal[i] := coalesce(a_status[i] IN ('completed', 'failed'), false) AND NOT a_interrupted[i];
    v_parts := string_to_array(a_stamp[i], '::');
    v_level := coalesce(cardinality(v_parts), 0);
    IF v_level >= 2 AND v_parts[v_level] ~ '^[0-9]+$' THEN
      a_generation[i] := v_parts[v_level]::numeric;
      WHILE v_level >= 2 AND v_parts[v_level] ~ '^[0-9]+$' LOOP
        v_scope_generation := (v_scope_max ->> array_to_string(v_parts[1:v_level - 1], '::'))::numeric;
        IF v_parts[v_level]::numeric < v_scope_generation THEN
          a_superseded[i] := true;
          EXIT;
        END IF;
        v_level := v_level - 2;
      END LOOP;
    END IF;
  END LOOP;

  -- Steps 3 and 4.
  a_visited := array_fill(false, ARRAY[v_count]);
  a_order := array_fill(NULL::integer, ARRAY[v_count]);
  a_inferred := array_fill(NULL::text, ARRAY[v_count]);
  a_from := array_fill(NULL::text, ARRAY[v_count]);
  v_node := (v_position ->> v_root)::integer;
  IF v_node IS NOT NULL THEN
    v_top := 1;
    s_node[1] := v_node;
    s_nta[1] := NULL;
    s_hga[1] := NULL;
  END IF;
  WHILE v_top > 0 LOOP
    v_node := s_node[v_top];
    v_nta := s_nta[v_top];
    v_hga := s_hga[v_top];
    v_top := v_top - 1;
    CONTINUE WHEN a_visited[v_node];
    a_visited[v_node] := true;
    v_visits := v_visits + 1;
    a_order[v_node] := v_visits;

    v_stored := coalesce(a_status[v_node], 'pending');
    IF v_stored IN ('completed', 'failed') THEN
      IF (a_superseded[v_node] OR a_interrupted[v_node]) AND v_nta IS NOT NULL THEN
        a_inferred[v_node] := 'skipped';
        a_from[v_node] := a_id[v_nta];
      ELSIF a_superseded[v_node] THEN
        a_inferred[v_node] := 'pending';
        a_from[v_node] := a_id[v_hga];
      ELSE
        a_inferred[v_node] := v_stored;
      END IF;
    ELSIF v_nta IS NOT NULL THEN
      a_inferred[v_node] := 'skipped';
      a_from[v_node] := a_id[v_nta];
    ELSIF v_stored = 'running' THEN
      a_inferred[v_node] := 'running';
    ELSE
      a_inferred[v_node] := 'pending';
    END IF;

    v_child_nta := CASE WHEN a_terminal[v_node] AND NOT a_superseded[v_node] THEN v_node ELSE v_nta END;
    v_child_hga := CASE WHEN a_generation[v_node] IS NOT NULL
                             AND (v_hga IS NULL OR a_generation[v_node] >= a_generation[v_hga])
                        THEN v_node ELSE v_hga END;

    -- Children in walk order; IF and LOOP keep their condition, JOIN its extra branches, in query.
    v_config := NULL;
    IF a_type[v_node] IN ('IF', 'LOOP', 'JOIN') AND ltrim(a_query[v_node], E' \t\r\n') LIKE '{%' THEN
      BEGIN
        v_config := a_query[v_node]::jsonb;
      EXCEPTION WHEN others THEN
        v_config := NULL;
      END;
      IF jsonb_typeof(v_config) IS DISTINCT FROM 'object' THEN
        v_config := NULL;
      END IF;
    END IF;
    v_children := CASE a_type[v_node]
      WHEN 'THEN' THEN ARRAY[a_left[v_node], a_right[v_node]]
      WHEN 'RACE' THEN ARRAY[a_left[v_node], a_right[v_node]]
      WHEN 'JOIN' THEN ARRAY[a_left[v_node], a_right[v_node]]
                       || CASE WHEN jsonb_typeof(v_config -> 'extra_nodes') = 'array'
                               THEN ARRAY(SELECT jsonb_array_elements_text(v_config -> 'extra_nodes'))
                               ELSE '{}'::text[] END
      WHEN 'IF' THEN ARRAY[v_config ->> 'condition_node', a_left[v_node], a_right[v_node]]
      WHEN 'LOOP' THEN ARRAY[a_left[v_node], v_config ->> 'condition_node']
      WHEN 'MAP' THEN ARRAY[a_left[v_node]]
      ELSE '{}'::text[] END;
    -- Pushed last child first, so that children are visited in order.
    FOR i IN REVERSE coalesce(cardinality(v_children), 0) .. 1 LOOP
      v_child := (v_position ->> v_children[i])::integer;
      IF v_child IS NOT NULL AND NOT a_visited[v_child] THEN
        v_top := v_top + 1;
        s_node[v_top] := v_child;
        s_nta[v_top] := v_child_nta;
        s_hga[v_top] := v_child_hga;
      END IF;
    END LOOP;
  END LOOP;

  -- Step 5 and the rows.
  RETURN QUERY
    SELECT u.id, u.node_type, u.query, u.result_name, u.left_node, u.right_node, u.status, u.result, u.details,
           COALESCE(u.inferred, u.status, 'pending'), u.inferred_from, u.updated_at
      FROM unnest(a_id, a_type, a_query, a_name, a_left, a_right, a_status, a_result, a_details, a_inferred, a_from,
                  a_updated, a_order)
           AS u(id, node_type, query, result_name, left_node, right_node, status, result, details, inferred,
                inferred_from, updated_at, walk_order)
     ORDER BY u.walk_order NULLS LAST, u.id;
END
$$;

-- The legacy form (R-MON-10): no inference; the integer is accepted and ignored.
CREATE OR REPLACE FUNCTION df.instance_nodes(instance_id_param text, _last_n_executions integer)
RETURNS TABLE (execution_id bigint, node_id text, node_type text, query text, result_name text, left_node text,
               right_node text, status text, result text, updated_at timestamptz)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT 1::bigint, n.id::text, n.node_type, n.query, n.result_name, n.left_node::text, n.right_node::text,
         n.status, n.result::text, n.updated_at
    FROM df.nodes n
   WHERE n.instance_id = $1
   ORDER BY n.created_at, n.id
$$;

-- durable-sql: df.explain (SPEC.md §12.1), a text picture of a workflow graph. Dry-run mode draws a
-- Durofut (given as JSON, as SQL text or as a DSL expression) without writing anything; live mode
-- draws a started instance with the inferred status of every node (R-MON-9). Problems with the input
-- are returned as text, never raised (R-EXPL-1). Every walk over a graph keeps an explicit stack, so
-- graphs as deep as df.start accepts (R-DSL-7) render without recursion.

-- A node's query parsed as a JSON config, or NULL when it is not JSON. Only text that starts like
-- an object is parsed (a block with an exception handler costs a subtransaction).
CREATE OR REPLACE FUNCTION df_engine.explain_config(p_query text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_query IS NULL OR ltrim(p_query, E' \t\r\n') NOT LIKE '{%' THEN
    RETURN NULL;
  END IF;
  BEGIN
    RETURN p_query::jsonb;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END
$$;

-- Shortens text longer than p_max characters to its first p_max - 3 characters and '...'.
CREATE OR REPLACE FUNCTION df_engine.explain_truncate(p_text text, p_max integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN length(p_text) > p_max THEN left(p_text, p_max - 3) || '...' ELSE p_text END
$$;

-- The label of one node (R-EXPL-3). p_node is an entry of the node list built by
-- df_engine.explain_nodes or df_engine.explain_live: {"type", "query", "name", "left", "right",
-- "cond", "extras", "marker"} and, for a live MAP, "progress".
CREATE OR REPLACE FUNCTION df_engine.explain_label(p_node jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_type text := p_node->>'type';
  v_query text := p_node->>'query';
  v_config jsonb := CASE WHEN p_node->>'type' NOT IN ('SQL', 'SLEEP', 'THEN', 'IF', 'LOOP', 'JOIN', 'RACE')
                         THEN df_engine.explain_config(p_node->>'query') END;
  v_suffix text := coalesce(' |=> ''' || (p_node->>'name') || '''', '');
  v_count integer;
BEGIN
  CASE v_type
    WHEN 'SQL' THEN
      RETURN 'SQL: ' || coalesce(df_engine.explain_truncate(v_query, 50), '') || v_suffix;
    WHEN 'SLEEP' THEN
      RETURN 'SLEEP ' || coalesce(v_query, '') || 's' || v_suffix;
    WHEN 'WAIT_SCHEDULE' THEN
      RETURN 'WAIT ''' || coalesce(v_config->>'cron_expr', v_query, '') || ''''
             || coalesce(' (' || (v_config->>'time_zone') || ')', '') || v_suffix;
    WHEN 'HTTP', 'HTTP_MULTIPART' THEN
      RETURN v_type || ' ' || coalesce(v_config->>'method', '?') || ' '
             || coalesce(df_engine.explain_truncate(v_config->>'url', 40), '?') || v_suffix;
    WHEN 'SIGNAL' THEN
      RETURN 'SIGNAL ''' || coalesce(v_config->>'signal_name', '') || ''''
             || coalesce(' (' || (v_config->>'timeout_seconds') || 's)', '') || v_suffix;
    WHEN 'LOOP' THEN
      RETURN CASE WHEN p_node->'cond' IS NULL OR jsonb_typeof(p_node->'cond') = 'null'
                  THEN 'LOOP (infinite)' ELSE 'LOOP (while)' END || v_suffix;
    WHEN 'BREAK' THEN
      RETURN 'BREAK' || coalesce(' ''' || df_engine.explain_truncate(v_config #>> '{break_value}', 20) || '''', '')
             || v_suffix;
    WHEN 'IF' THEN
      RETURN 'IF' || v_suffix;
    WHEN 'JOIN' THEN
      v_count := (SELECT count(*) FROM (VALUES (p_node->'left'), (p_node->'right')) c(v)
                   WHERE jsonb_typeof(c.v) = 'number')
                 + coalesce(jsonb_array_length(CASE WHEN jsonb_typeof(p_node->'extras') = 'array'
                                                    THEN p_node->'extras' END), 0);
      RETURN 'JOIN (' || v_count || ')' || v_suffix;
    WHEN 'RACE' THEN
      RETURN 'RACE';
    WHEN 'THEN' THEN
      RETURN 'SEQUENCE';
    WHEN 'MAP' THEN
      -- Live mode: the progress the engine keeps on the node (R-EXT-3); before it starts, or in a dry
      -- run, the most rows that run at a time.
      IF jsonb_typeof(p_node->'progress') = 'object' THEN
        RETURN 'MAP (rows ' || coalesce(p_node->'progress'->>'done', '0') || '/'
               || coalesce(p_node->'progress'->>'rows', '?') || ' done'
               || CASE WHEN (p_node->'progress'->>'failed')::integer > 0
                       THEN ', ' || (p_node->'progress'->>'failed') || ' failed' ELSE '' END
               || CASE WHEN (p_node->'progress'->>'running')::integer > 0
                       THEN ', ' || (p_node->'progress'->>'running') || ' running' ELSE '' END
               || ')' || v_suffix;
      END IF;
      RETURN 'MAP (' || coalesce(v_config->>'max_parallel', '?') || ')' || v_suffix;
    WHEN 'ACTIVITY' THEN
      RETURN 'ACTIVITY ' || coalesce(v_config->>'activity_type', '?') || v_suffix;
    ELSE
      RETURN coalesce(v_type, '?') || v_suffix;
  END CASE;
END
$$;

-- Materialises a Durofut for a dry run without writing rows: the validation of df.start's walk
-- (R-START-4, R-DSL-7), the same pre-order and the same messages, with list positions instead of
-- node ids (given on discovery, as df.start gives ids). Returns the node list (the root first,
-- children as positions in it) or the error text.
CREATE OR REPLACE FUNCTION df_engine.explain_nodes(p_root jsonb, OUT nodes jsonb[], OUT error text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s_node jsonb[] := ARRAY[p_root];
  s_path text[] := ARRAY['root'];
  s_depth integer[] := ARRAY[0];
  s_position integer[] := ARRAY[1];
  v_top integer := 1;
  v_next integer := 2;
  v_count integer := 0;
  v_position integer;
  v_node jsonb;
  v_path text;
  v_depth integer;
  v_type text;
  v_key text;
  v_config jsonb;
  v_extras jsonb;
  v_left integer;
  v_right integer;
  v_cond integer;
  v_extra_positions integer[];
BEGIN
  nodes := '{}';
  WHILE v_top > 0 LOOP
    v_node := s_node[v_top];
    v_path := s_path[v_top];
    v_depth := s_depth[v_top];
    v_position := s_position[v_top];
    v_top := v_top - 1;
    v_count := v_count + 1;
    IF v_count > 10000 THEN
      error := format('Invalid durable function graph: %s: the graph has more than 10000 nodes', v_path);
      RETURN;
    END IF;
    IF v_depth > 256 THEN
      error := format('Invalid durable function graph: %s: maximum nesting depth of 256 exceeded', v_path);
      RETURN;
    END IF;
    IF jsonb_typeof(v_node->'node_type') IS DISTINCT FROM 'string' THEN
      error := format('Invalid durable function graph: %s: node_type is missing', v_path);
      RETURN;
    END IF;
    v_type := v_node->>'node_type';
    IF NOT v_type = ANY (df_engine.node_types()) THEN
      error := format('Invalid durable function graph: %s: Unknown node_type ''%s'' (valid types: %s)',
                      v_path, v_type, array_to_string(df_engine.node_types(), ', '));
      RETURN;
    END IF;
    IF jsonb_typeof(v_node->'condition_node') IS NOT NULL AND v_type NOT IN ('IF', 'LOOP') THEN
      error := format('Invalid durable function graph: %s: condition_node is not valid for %s nodes', v_path, v_type);
      RETURN;
    END IF;
    IF jsonb_typeof(v_node->'extra_nodes') IS NOT NULL AND v_type <> 'JOIN' THEN
      error := format('Invalid durable function graph: %s: extra_nodes is not valid for %s nodes', v_path, v_type);
      RETURN;
    END IF;
    FOREACH v_key IN ARRAY ARRAY['left_node', 'right_node', 'condition_node'] LOOP
      IF jsonb_typeof(v_node->v_key) NOT IN ('object', 'null') THEN
        error := format('Invalid durable function graph: %s: %s must be a Durofut JSON object', v_path, v_key);
        RETURN;
      END IF;
    END LOOP;
    v_extras := CASE WHEN jsonb_typeof(v_node->'extra_nodes') = 'null' THEN NULL ELSE v_node->'extra_nodes' END;
    IF v_extras IS NOT NULL AND (jsonb_typeof(v_extras) <> 'array'
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_extras) e WHERE jsonb_typeof(e) <> 'object')) THEN
      error := format('Invalid durable function graph: %s: extra_nodes entries must be Durofut JSON objects', v_path);
      RETURN;
    END IF;

    -- Positions on discovery, in the order left, right, condition, extras (as df.start's ids).
    v_left := NULL; v_right := NULL; v_cond := NULL; v_extra_positions := '{}';
    IF jsonb_typeof(v_node->'left_node') = 'object' THEN
      v_left := v_next; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(v_node->'right_node') = 'object' THEN
      v_right := v_next; v_next := v_next + 1;
    END IF;
    IF jsonb_typeof(v_node->'condition_node') = 'object' THEN
      v_cond := v_next; v_next := v_next + 1;
    END IF;
    IF v_extras IS NOT NULL THEN
      FOR i IN 0 .. jsonb_array_length(v_extras) - 1 LOOP
        v_extra_positions := v_extra_positions || v_next; v_next := v_next + 1;
      END LOOP;
    END IF;

    -- The config checks of df.start (R-START-4); the config itself is not rewritten here.
    IF v_type IN ('IF', 'LOOP', 'JOIN') AND v_node->>'query' IS NOT NULL THEN
      BEGIN
        v_config := (v_node->>'query')::jsonb;
      EXCEPTION WHEN others THEN
        v_config := NULL;
      END;
      IF jsonb_typeof(v_config) = 'object' AND v_type IN ('IF', 'LOOP') AND v_config ? 'condition_node' THEN
        error := format('Invalid durable function graph: %s: condition_node in %s must be a first-class Durofut field',
                        v_path, v_type);
        RETURN;
      END IF;
      IF jsonb_typeof(v_config) = 'object' AND v_type = 'JOIN' AND v_config ? 'extra_nodes' THEN
        error := format('Invalid durable function graph: %s: extra_nodes in JOIN must be a first-class Durofut field', v_path);
        RETURN;
      END IF;
      IF (v_cond IS NOT NULL OR cardinality(v_extra_positions) > 0) AND v_config IS NULL THEN
        error := format('Invalid durable function graph: %s: query in %s must be valid JSON config', v_path, v_type);
        RETURN;
      END IF;
      IF (v_cond IS NOT NULL OR cardinality(v_extra_positions) > 0) AND jsonb_typeof(v_config) <> 'object' THEN
        error := format('Invalid durable function graph: %s: query in %s must be a JSON config object', v_path, v_type);
        RETURN;
      END IF;
    END IF;

    nodes[v_position] := jsonb_build_object(
      'type', v_type, 'query', v_node->>'query', 'name', v_node->>'result_name',
      'left', v_left, 'right', v_right, 'cond', v_cond,
      'extras', CASE WHEN cardinality(v_extra_positions) > 0 THEN to_jsonb(v_extra_positions) END,
      'marker', '');

    -- Push children in reverse so that they are visited left, right, condition, extras.
    IF v_extras IS NOT NULL THEN
      FOR i IN REVERSE jsonb_array_length(v_extras) - 1 .. 0 LOOP
        v_top := v_top + 1;
        s_node[v_top] := v_extras->i; s_path[v_top] := v_path || '.extra_nodes[' || i || ']';
        s_depth[v_top] := v_depth + 1; s_position[v_top] := v_extra_positions[i + 1];
      END LOOP;
    END IF;
    IF v_cond IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'condition_node'; s_path[v_top] := v_path || '.condition_node';
      s_depth[v_top] := v_depth + 1; s_position[v_top] := v_cond;
    END IF;
    IF v_right IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'right_node'; s_path[v_top] := v_path || '.right';
      s_depth[v_top] := v_depth + 1; s_position[v_top] := v_right;
    END IF;
    IF v_left IS NOT NULL THEN
      v_top := v_top + 1;
      s_node[v_top] := v_node->'left_node'; s_path[v_top] := v_path || '.left';
      s_depth[v_top] := v_depth + 1; s_position[v_top] := v_left;
    END IF;
  END LOOP;
END
$$;

-- Whether a node of the list is a THEN with a child: drawn as a flattened chain.
CREATE OR REPLACE FUNCTION df_engine.explain_is_chain(p_node jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT p_node->>'type' = 'THEN'
         AND (jsonb_typeof(p_node->'left') = 'number' OR jsonb_typeof(p_node->'right') = 'number')
$$;

-- Draws a node list as a tree (R-EXPL-4): its lines, each right-padded to the longest line's
-- length + 4, joined by line breaks. An explicit stack of tasks replaces the reference's recursion: draw a node
-- (kind 1), draw one item of a flattened THEN chain (kind 2), or print a block header (kind 3). Each
-- node is drawn at most once, so a cyclic node table (written by hand) cannot loop forever.
CREATE OR REPLACE FUNCTION df_engine.explain_tree(p_nodes jsonb[], p_root integer) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- The task stack.
  s_kind integer[] := ARRAY[1];
  s_node integer[] := ARRAY[p_root];
  s_prefix text[] := ARRAY[''];
  s_connector text[] := ARRAY[''];
  s_last boolean[] := ARRAY[true];
  v_top integer := 1;
  -- One node's child blocks in printing order; pushed onto the stack reversed.
  b_kind integer[];
  b_node integer[];
  b_prefix text[];
  b_connector text[];
  b_last boolean[];
  -- The THEN chain being flattened: a stack of nodes and the items found, in order.
  f_node integer[];
  f_top integer;
  v_items integer[];
  v_seen boolean[] := array_fill(false, ARRAY[cardinality(p_nodes)]);
  v_lines text[] := '{}'::text[];
  v_kind integer;
  v_index integer;
  v_prefix text;
  v_connector text;
  v_last boolean;
  v_node jsonb;
  v_type text;
  v_child_prefix text;
  v_children integer[];
  v_headers text[];
  v_child integer;
  v_part integer;
  v_width integer;
BEGIN
  v_seen[p_root] := true;
  WHILE v_top > 0 LOOP
    v_kind := s_kind[v_top];
    v_index := s_node[v_top];
    v_prefix := s_prefix[v_top];
    v_connector := s_connector[v_top];
    v_last := s_last[v_top];
    v_top := v_top - 1;
    IF v_kind = 3 THEN
      v_lines := v_lines || v_prefix;
      CONTINUE;
    END IF;
    v_node := p_nodes[v_index];
    v_type := v_node->>'type';

    -- A THEN is drawn as the chain of its non-THEN descendants, in order: the first item with the
    -- connector, the others with an arrow, all at the same prefix. (A THEN without children is an
    -- item of its own, labelled SEQUENCE.)
    IF v_kind = 1 AND df_engine.explain_is_chain(v_node) THEN
      v_items := '{}';
      f_node := ARRAY[v_index];
      f_top := 1;
      WHILE f_top > 0 LOOP
        v_child := f_node[f_top];
        f_top := f_top - 1;
        IF df_engine.explain_is_chain(p_nodes[v_child]) THEN
          FOREACH v_part IN ARRAY ARRAY[(p_nodes[v_child]->>'right')::integer,
                                        (p_nodes[v_child]->>'left')::integer] LOOP
            IF v_part IS NOT NULL AND NOT v_seen[v_part] THEN
              v_seen[v_part] := true;
              f_top := f_top + 1;
              f_node[f_top] := v_part;
            END IF;
          END LOOP;
        ELSE
          v_items := v_items || v_child;
        END IF;
      END LOOP;
      FOR i IN REVERSE cardinality(v_items) .. 1 LOOP
        v_top := v_top + 1;
        s_kind[v_top] := 2; s_node[v_top] := v_items[i]; s_prefix[v_top] := v_prefix;
        s_connector[v_top] := CASE WHEN i = 1 THEN v_connector ELSE '→ ' END; s_last[v_top] := v_last;
      END LOOP;
      CONTINUE;
    END IF;

    v_lines := v_lines || (v_prefix || v_connector || df_engine.explain_label(v_node) || (v_node->>'marker'));
    IF v_kind = 2 THEN
      -- Steps have no children; compound items of a chain draw theirs four spaces in.
      CONTINUE WHEN v_type IN ('SQL', 'SLEEP', 'WAIT_SCHEDULE', 'HTTP', 'HTTP_MULTIPART');
      v_child_prefix := v_prefix || '    ';
    ELSE
      v_child_prefix := v_prefix || CASE WHEN v_last THEN '    ' ELSE '│   ' END;
    END IF;

    -- The child blocks: a header at the child prefix, then the child's subtree two spaces further in.
    CASE v_type
      WHEN 'IF' THEN
        v_children := ARRAY[(v_node->>'cond')::integer, (v_node->>'left')::integer, (v_node->>'right')::integer];
        v_headers := ARRAY['? condition:', '✓ then:', '✗ else:'];
      WHEN 'LOOP' THEN
        v_children := ARRAY[(v_node->>'left')::integer, (v_node->>'cond')::integer];
        v_headers := ARRAY['↻ body:', '? while:'];
      WHEN 'MAP' THEN
        v_children := ARRAY[(v_node->>'left')::integer];
        v_headers := ARRAY['↻ each row:'];
      WHEN 'JOIN', 'RACE' THEN
        v_children := array_remove(ARRAY[(v_node->>'left')::integer, (v_node->>'right')::integer]
          || CASE WHEN v_type = 'JOIN' AND jsonb_typeof(v_node->'extras') = 'array'
                  THEN ARRAY(SELECT e::integer FROM jsonb_array_elements_text(v_node->'extras') e)
                  ELSE '{}'::integer[] END, NULL);
        v_headers := ARRAY(SELECT '║ branch ' || n || ':' FROM generate_series(1, cardinality(v_children)) n);
      ELSE
        v_children := '{}';
        v_headers := '{}';
    END CASE;
    b_kind := '{}'; b_node := '{}'; b_prefix := '{}'; b_connector := '{}'; b_last := '{}';
    FOR i IN 1 .. coalesce(cardinality(v_children), 0) LOOP
      v_child := v_children[i];
      CONTINUE WHEN v_child IS NULL OR v_seen[v_child];
      v_seen[v_child] := true;
      -- Only the last branch of a JOIN or RACE is "last"; every other block holds one child.
      v_last := v_type NOT IN ('JOIN', 'RACE') OR i = cardinality(v_children);
      b_kind := b_kind || ARRAY[3, 1];
      b_node := b_node || ARRAY[NULL, v_child];
      b_prefix := b_prefix || ARRAY[v_child_prefix || v_headers[i], v_child_prefix || '  '];
      b_connector := b_connector || ARRAY[NULL, CASE WHEN v_last THEN '└─' ELSE '├─' END];
      b_last := b_last || ARRAY[NULL, v_last];
    END LOOP;
    FOR i IN REVERSE cardinality(b_kind) .. 1 LOOP
      v_top := v_top + 1;
      s_kind[v_top] := b_kind[i]; s_node[v_top] := b_node[i]; s_prefix[v_top] := b_prefix[i];
      s_connector[v_top] := b_connector[i]; s_last[v_top] := b_last[i];
    END LOOP;
  END LOOP;

  FOR i IN 1 .. cardinality(v_lines) LOOP
    v_lines[i] := rtrim(v_lines[i], E' \t\r\n');
  END LOOP;
  SELECT max(length(t.line)) INTO v_width FROM unnest(v_lines) t(line);
  RETURN (SELECT string_agg(rpad(t.line, v_width + 4), E'\n' ORDER BY t.n)
            FROM unnest(v_lines) WITH ORDINALITY t(line, n));
END
$$;

-- Live mode (R-EXPL-2): the header of a visible instance, then its tree with a marker per node from
-- the inferred status that df.instance_nodes computes (R-MON-9). The status is df.instances', in
-- capitals as the reference prints its engine's (Completed, Failed, ...).
CREATE OR REPLACE FUNCTION df_engine.explain_live(p_id text) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_instance df.instances;
  v_output text;
  v_nodes jsonb[];
  v_root integer;
  v_header text;
BEGIN
  SELECT i.* INTO v_instance FROM df.instances i WHERE i.id OPERATOR(pg_catalog.=) p_id;
  IF NOT FOUND THEN
    RETURN format('Instance ''%s'' not found', p_id);
  END IF;

  -- The instance's output, as df.list_instances and df.instance_info show it.
  SELECT info.output INTO v_output FROM df.instance_info(p_id) info;

  v_header := 'Instance: ' || p_id || coalesce(' (' || v_instance.label || ')', '') || E'\n'
    || 'Status:   ' || CASE v_instance.status
                         WHEN 'completed' THEN '✓' WHEN 'failed' THEN '✗' WHEN 'cancelled' THEN '✗'
                         WHEN 'running' THEN '⏳' ELSE '○' END
    || ' ' || initcap(coalesce(v_instance.status, 'pending'))
    || coalesce(E'\nOutput:   ' || df_engine.explain_truncate(v_output, 60), '');

  WITH n AS (
    SELECT n.*, df_engine.explain_config(n.query) AS config
      FROM df.instance_nodes(p_id) WITH ORDINALITY AS n
  ), positions AS (
    SELECT jsonb_object_agg(n.node_id, n.ordinality) AS of FROM n
  )
  SELECT array_agg(jsonb_build_object(
           'type', n.node_type, 'query', n.query, 'name', n.result_name,
           'left', p.of->n.left_node, 'right', p.of->n.right_node,
           'cond', CASE WHEN n.node_type IN ('IF', 'LOOP') THEN p.of->(n.config->>'condition_node') END,
           'extras', CASE WHEN n.node_type = 'JOIN' AND jsonb_typeof(n.config->'extra_nodes') = 'array'
                          THEN (SELECT jsonb_agg(p.of->e.value ORDER BY e.ordinality)
                                  FROM jsonb_array_elements_text(n.config->'extra_nodes') WITH ORDINALITY e(value, ordinality)
                                 WHERE p.of ? e.value) END,
           -- A MAP's progress (R-EXT-3), while it runs or as it ended; rows count as running only
           -- while the map does.
           'progress', CASE WHEN n.node_type = 'MAP' AND n.inferred_status IN ('running', 'completed', 'failed')
                             AND jsonb_typeof(df_engine.explain_config(n.status_details) -> 'map') = 'object'
                            THEN df_engine.explain_config(n.status_details) -> 'map'
                                 || CASE WHEN n.inferred_status = 'running' THEN '{}'::jsonb
                                         ELSE '{"running": 0}'::jsonb END END,
           'marker', CASE n.inferred_status
                       WHEN 'completed' THEN ' ✓' WHEN 'failed' THEN ' ✗' WHEN 'running' THEN ' ⏳'
                       WHEN 'pending' THEN ' ○' WHEN 'skipped' THEN ' ⊘' ELSE '' END)
           ORDER BY n.ordinality),
         (p.of->>v_instance.root_node)::integer
    INTO v_nodes, v_root
    FROM n CROSS JOIN positions p
   GROUP BY p.of;

  IF v_root IS NULL THEN
    RETURN v_header;
  END IF;
  RETURN v_header || E'\n\n' || df_engine.explain_tree(v_nodes, v_root);
END
$$;

-- Dry-run mode for a parsed Durofut: the tree, or the graph error as text.
CREATE OR REPLACE FUNCTION df_engine.explain_graph(p_root jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_nodes jsonb[];
  v_error text;
BEGIN
  SELECT e.nodes, e.error INTO v_nodes, v_error FROM df_engine.explain_nodes(p_root) e;
  IF v_error IS NOT NULL THEN
    RETURN v_error;
  END IF;
  RETURN df_engine.explain_tree(v_nodes, 1);
END
$$;

-- Text that df.start would take as a Durofut (R-DSL-5): a JSON object with a string node_type, or
-- NULL for anything else.
CREATE OR REPLACE FUNCTION df_engine.explain_durofut(p_text text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
  SELECT c FROM (SELECT df_engine.explain_config(p_text) AS c) s
   WHERE jsonb_typeof(s.c->'node_type') = 'string'
$$;

-- Mode selection (R-EXPL-1). p_search_path is the caller's search_path, for the evaluation of a DSL
-- expression: that runs as the caller wrote it, with the caller's privileges and operators.
CREATE OR REPLACE FUNCTION df_engine.explain(p_input text, p_search_path text) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
  v_input text := btrim(p_input, E' \t\r\n\f\v');
  v_durofut jsonb := df_engine.explain_durofut(v_input);
  v_cursor refcursor;
  v_value text;
BEGIN
  IF v_input ~ '^[0-9a-fA-F]{8}$' THEN
    RETURN df_engine.explain_live(v_input);
  END IF;
  IF v_durofut IS NOT NULL THEN
    RETURN df_engine.explain_graph(v_durofut);
  END IF;
  IF strpos(v_input, '~>') = 0 AND strpos(v_input, '|=>') = 0 AND strpos(v_input, '?>') = 0
     AND strpos(v_input, '!>') = 0 AND strpos(v_input, '@>') = 0 AND strpos(v_input, 'df.') = 0 THEN
    IF v_input ~* '^(SELECT|INSERT|UPDATE|DELETE|WITH)[ \n]'
       OR v_input ~* '^(CREATE|ALTER|DROP|CALL|DO|TRUNCATE|GRANT|REVOKE|EXPLAIN) ' THEN
      RETURN df_engine.explain_graph(df_engine.sql_node(v_input)::jsonb);
    END IF;
    RETURN 'Cannot explain input: it is not an instance id (8 hex digits), a Durofut JSON, a SQL statement'
      || E' or a DSL expression.\nA SQL statement starts with SELECT, INSERT, UPDATE, DELETE, WITH, CREATE,'
      || ' ALTER, DROP, CALL, DO, TRUNCATE, GRANT, REVOKE or EXPLAIN; a DSL expression uses ~>, |=>, ?>, !>,'
      || E' @> or a df. function.\nExamples: df.explain(''a1b2c3d4''), df.explain(''SELECT 1''),'
      || ' df.explain($$''SELECT 1'' ~> ''SELECT 2''$$)';
  END IF;

  -- A DSL expression: evaluated as the caller's own SELECT, in the caller's search_path (so that
  -- the df operators resolve as they do for the caller); the function's SET clause restores ours
  -- on return. A cursor takes exactly one statement, so text such as "df.sql('x'); DROP TABLE t"
  -- fails before anything runs instead of running a second statement.
  BEGIN
    PERFORM set_config('search_path', p_search_path, true);
    OPEN v_cursor FOR EXECUTE 'SELECT ' || v_input;
    FETCH v_cursor INTO v_value;
    CLOSE v_cursor;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
  EXCEPTION WHEN others THEN
    RETURN 'Failed to evaluate expression: ' || SQLERRM;
  END;
  IF v_value IS NULL THEN
    RETURN 'Expression returned NULL';
  END IF;
  -- What df.start would run: a Durofut, or any other text as one SQL step.
  RETURN df_engine.explain_graph(coalesce(df_engine.explain_durofut(v_value), df_engine.sql_node(v_value)::jsonb));
END
$body$;

-- The entry point. It has no SET search_path, unlike every other df function, because it must hand
-- the caller's search_path to the evaluation of a DSL expression (a SET clause would hide it). Its
-- body is parsed once, here, with schema-qualified names, so no search_path can redirect it.
CREATE OR REPLACE FUNCTION df.explain(input text) RETURNS text
LANGUAGE sql VOLATILE STRICT
RETURN df_engine.explain(input, pg_catalog.current_setting('search_path'));

-- df.explain runs with the caller's rights, so its helpers must be executable by everyone.
GRANT EXECUTE ON FUNCTION df_engine.explain_config(text), df_engine.explain_truncate(text, integer),
  df_engine.explain_label(jsonb), df_engine.explain_nodes(jsonb), df_engine.explain_is_chain(jsonb),
  df_engine.explain_tree(jsonb[], integer), df_engine.explain_live(text), df_engine.explain_graph(jsonb),
  df_engine.explain_durofut(text), df_engine.explain(text, text) TO PUBLIC;

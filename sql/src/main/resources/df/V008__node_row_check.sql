-- durable-sql schema, version 8: df.nodes checks its rows with one CHECK that calls a function,
-- instead of ten CHECK expressions (docs/performance.md, "The fifth round").
--
-- Why: PostgreSQL prepares a table's CHECK expressions afresh for every statement that writes the
-- table (it reads each stored expression back from text, simplifies and compiles it), not once per
-- session. df.nodes' ten expressions come to 16 kB of stored expression text, and preparing them
-- cost about 120 µs per statement, more than the write itself (a one-row UPDATE: 0.31 ms with them,
-- 0.20 with the function, 0.18 with no check; pgbench, PostgreSQL 15). Every df.start, every step's
-- checkpoint and every batch of status marks writes df.nodes once. The function costs a few µs per
-- row instead, so a statement of up to about 30 rows is cheaper, and one of 50 about even.
--
-- What a user sees does not change: the same rows pass (a condition that is NULL passes, as in a
-- CHECK), and a row that fails raises the same error as before — SQLSTATE 23514, "new row for
-- relation "nodes" violates check constraint "nodes_status_check"", with that constraint name in the
-- error's fields — naming the first of the former constraints that fails, in their name order (the
-- order PostgreSQL checks them in), with a DETAIL that says what is allowed.
--
-- The function qualifies every operator and type with pg_catalog: it runs with the caller's
-- search_path (a SET clause would cost more per row than the checks), and a role's own objects
-- must not be able to change what it accepts.

CREATE OR REPLACE FUNCTION df_engine.node_row_valid(
    p_id text, p_instance_id text, p_node_type text, p_query text, p_result_name text,
    p_left_node text, p_right_node text, p_status text, p_result jsonb, p_submitted_by regrole)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  -- The structure rule of SPEC R-DATA-3 (with durable-sql's MAP and ACTIVITY): which children and
  -- query each node type has. An unknown type fails it (and nodes_node_type_check before it).
  v_shape boolean := CASE
    WHEN p_node_type OPERATOR(pg_catalog.=) ANY (ARRAY['SQL', 'SLEEP', 'WAIT_SCHEDULE', 'BREAK', 'HTTP',
           'HTTP_MULTIPART', 'SIGNAL', 'ACTIVITY']::pg_catalog.text[])
      THEN p_left_node IS NULL AND p_right_node IS NULL AND p_query IS NOT NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'THEN'
      THEN p_left_node IS NOT NULL AND p_right_node IS NOT NULL AND p_query IS NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'IF'
      THEN p_left_node IS NOT NULL AND p_right_node IS NOT NULL AND p_query IS NOT NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'LOOP' THEN p_left_node IS NOT NULL AND p_right_node IS NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'JOIN' THEN p_left_node IS NOT NULL AND p_right_node IS NOT NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'RACE'
      THEN p_left_node IS NOT NULL AND p_right_node IS NOT NULL AND p_query IS NULL
    WHEN p_node_type OPERATOR(pg_catalog.=) 'MAP'
      THEN p_left_node IS NOT NULL AND p_right_node IS NULL AND p_query IS NOT NULL
    WHEN p_node_type IS NULL THEN NULL
    ELSE false
  END;
  v_constraint text;
  v_detail text;
BEGIN
  -- A conjunction is false exactly when one of its terms is false; NULL terms pass, as in a CHECK.
  IF (p_id OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$'
      AND p_instance_id OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$'
      AND (p_left_node IS NULL OR p_left_node OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$')
      AND p_node_type OPERATOR(pg_catalog.=) ANY (ARRAY['SQL', 'THEN', 'IF', 'JOIN', 'LOOP', 'BREAK',
            'RACE', 'SLEEP', 'WAIT_SCHEDULE', 'HTTP', 'HTTP_MULTIPART', 'SIGNAL', 'MAP', 'ACTIVITY']::pg_catalog.text[])
      AND (p_result IS NULL OR p_status OPERATOR(pg_catalog.=) ANY (ARRAY['completed', 'failed']::pg_catalog.text[]))
      AND (p_result_name IS NULL OR p_result_name OPERATOR(pg_catalog.~) '^[A-Za-z_][A-Za-z0-9_]*$')
      AND (p_right_node IS NULL OR p_right_node OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$')
      AND p_status OPERATOR(pg_catalog.=) ANY (ARRAY['pending', 'running', 'completed', 'failed']::pg_catalog.text[])
      AND v_shape
      AND p_submitted_by IS NOT NULL) IS NOT FALSE THEN
    RETURN true;
  END IF;

  -- Which one failed, in the order PostgreSQL checked the former constraints (by name).
  IF (p_id OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$') IS FALSE THEN
    v_constraint := 'nodes_id_check';
    v_detail := pg_catalog.format('id is %L; a node id is 8 lowercase hex digits.', p_id);
  ELSIF (p_instance_id OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$') IS FALSE THEN
    v_constraint := 'nodes_instance_id_check';
    v_detail := pg_catalog.format('instance_id is %L; an instance id is 8 lowercase hex digits.', p_instance_id);
  ELSIF (p_left_node IS NULL OR p_left_node OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$') IS FALSE THEN
    v_constraint := 'nodes_left_node_check';
    v_detail := pg_catalog.format('left_node is %L; it is NULL or a node id of 8 lowercase hex digits.', p_left_node);
  ELSIF (p_node_type OPERATOR(pg_catalog.=) ANY (ARRAY['SQL', 'THEN', 'IF', 'JOIN', 'LOOP', 'BREAK',
            'RACE', 'SLEEP', 'WAIT_SCHEDULE', 'HTTP', 'HTTP_MULTIPART', 'SIGNAL', 'MAP', 'ACTIVITY']::pg_catalog.text[])) IS FALSE THEN
    v_constraint := 'nodes_node_type_check';
    v_detail := pg_catalog.format('node_type is %L; valid types: SQL, THEN, IF, JOIN, LOOP, BREAK, RACE, SLEEP, WAIT_SCHEDULE, HTTP, HTTP_MULTIPART, SIGNAL, MAP, ACTIVITY.', p_node_type);
  ELSIF (p_result IS NULL OR p_status OPERATOR(pg_catalog.=) ANY (ARRAY['completed', 'failed']::pg_catalog.text[])) IS FALSE THEN
    v_constraint := 'nodes_result_check';
    v_detail := pg_catalog.format('status is %L; only a completed or failed node has a result.', p_status);
  ELSIF (p_result_name IS NULL OR p_result_name OPERATOR(pg_catalog.~) '^[A-Za-z_][A-Za-z0-9_]*$') IS FALSE THEN
    v_constraint := 'nodes_result_name_check';
    v_detail := pg_catalog.format('result_name is %L; it is NULL or an identifier: a letter or _, then letters, digits or _.', p_result_name);
  ELSIF (p_right_node IS NULL OR p_right_node OPERATOR(pg_catalog.~) '^[0-9a-f]{8}$') IS FALSE THEN
    v_constraint := 'nodes_right_node_check';
    v_detail := pg_catalog.format('right_node is %L; it is NULL or a node id of 8 lowercase hex digits.', p_right_node);
  ELSIF (p_status OPERATOR(pg_catalog.=) ANY (ARRAY['pending', 'running', 'completed', 'failed']::pg_catalog.text[])) IS FALSE THEN
    v_constraint := 'nodes_status_check';
    v_detail := pg_catalog.format('status is %L; a stored status is pending, running, completed or failed (skipped is never stored).', p_status);
  ELSIF v_shape IS FALSE THEN
    v_constraint := 'nodes_structure_check';
    v_detail := pg_catalog.format('a %s node with left_node %s, right_node %s and query %s; see the structure rules of df.nodes (SPEC R-DATA-3).',
      p_node_type,
      CASE WHEN p_left_node IS NULL THEN 'NULL' ELSE 'set' END,
      CASE WHEN p_right_node IS NULL THEN 'NULL' ELSE 'set' END,
      CASE WHEN p_query IS NULL THEN 'NULL' ELSE 'set' END);
  ELSE
    v_constraint := 'nodes_submitted_by_check';
    v_detail := 'submitted_by is NULL; every node names the role that submitted it.';
  END IF;
  RAISE EXCEPTION 'new row for relation "nodes" violates check constraint "%"', v_constraint
    USING ERRCODE = 'check_violation', CONSTRAINT = v_constraint, TABLE = 'nodes', SCHEMA = 'df',
          DETAIL = v_detail;
END
$$;

-- CHECK expressions run with the rights of the role that writes the row: df.start writes df.nodes
-- as its caller.
GRANT EXECUTE ON FUNCTION df_engine.node_row_valid(text, text, text, text, text, text, text, text, jsonb, regrole)
  TO PUBLIC;

ALTER TABLE df.nodes
    DROP CONSTRAINT nodes_id_check,
    DROP CONSTRAINT nodes_instance_id_check,
    DROP CONSTRAINT nodes_node_type_check,
    DROP CONSTRAINT nodes_result_name_check,
    DROP CONSTRAINT nodes_left_node_check,
    DROP CONSTRAINT nodes_right_node_check,
    DROP CONSTRAINT nodes_status_check,
    DROP CONSTRAINT nodes_result_check,
    DROP CONSTRAINT nodes_submitted_by_check,
    DROP CONSTRAINT nodes_structure_check,
    ADD CONSTRAINT nodes_row_check CHECK (df_engine.node_row_valid(
        id, instance_id, node_type, query, result_name, left_node, right_node, status, result, submitted_by))
        NOT VALID;

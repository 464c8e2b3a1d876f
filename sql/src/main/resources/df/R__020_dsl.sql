-- durable-sql: DSL constructors and operators (SPEC.md §2–§4, §1b). Each constructor returns a
-- Durofut: compact JSON text with the fields in the order of R-DSL-2. They write nothing, read
-- nothing but df.settings (through df_engine.setting) and the catalog, and are SECURITY INVOKER.

-- ---------------------------------------------------------------------------------------------------
-- Helpers (schema df_engine; executable by PUBLIC, granted at the end of this file).

-- The non-future helper guard (R-DSL-6). df.setvar, df.unsetvar, df.clearvars and df.await_instance
-- mark the transaction-local setting df.non_future_helper = '<helper>' || E'\n' ||
-- statement_timestamp(). If the same top-level statement then feeds a text that does not start
-- with '{' into a composer or df.start, and that text is one of the values these helpers return
-- ('OK', 'completed', 'failed', 'cancelled'), it is the helper's return value used as a step: an
-- error. Comparing the value as well avoids the reference's false positive of a DO block that calls
-- df.setvar() and later df.start('<plain SQL>') (R-DSL-6 allows avoiding it).
CREATE OR REPLACE FUNCTION df_engine.check_non_future(p_input text) RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_mark text;
BEGIN
  IF p_input IS NULL OR p_input NOT IN ('OK', 'completed', 'failed', 'cancelled') THEN
    RETURN;
  END IF;
  v_mark := current_setting('df.non_future_helper', true);
  IF v_mark IS NULL OR v_mark = '' OR position(E'\n' IN v_mark) = 0 THEN
    RETURN;
  END IF;
  IF split_part(v_mark, E'\n', 2) = statement_timestamp()::text THEN
    RAISE EXCEPTION '% cannot be used as a workflow step', split_part(v_mark, E'\n', 1)
      USING HINT = 'It returns plain text, not a Durofut. Call it in a statement of its own, before building the workflow.';
  END IF;
END
$$;

-- Auto-wrap of a composer parameter (R-DSL-5) behind the non-future guard (R-DSL-6). The same as
-- check_non_future(p_input) followed by ensure_node(p_input, p_parameter), with both fast paths
-- inline: only the four helper values can trip the guard, and text that does not start with '{'
-- becomes a SQL node as sql_node writes it. Every composer call runs this, so it stays cheap.
CREATE OR REPLACE FUNCTION df_engine.dsl_node(p_input text, p_parameter text) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_input IN ('OK', 'completed', 'failed', 'cancelled') THEN
    PERFORM df_engine.check_non_future(p_input);
  END IF;
  IF ltrim(p_input, E' \t\r\n') NOT LIKE '{%' THEN
    RETURN '{"node_type":"SQL","query":' || to_json(p_input)::text || '}';
  END IF;
  RETURN df_engine.ensure_node(p_input, p_parameter);
END
$$;

-- Compact text of a JSON value: jsonb's own output without the blanks it puts after ':' and ','.
-- Keys stay in jsonb order; blanks inside strings are kept.
CREATE OR REPLACE FUNCTION df_engine.compact_json(p_value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN regexp_replace(p_value::text, '("(?:[^"\\]|\\.)*")|\s+', '\1', 'g');
END
$$;

-- A leaf node (SLEEP, BREAK, ...) whose query is the given configuration text.
CREATE OR REPLACE FUNCTION df_engine.leaf_node(p_type text, p_query text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":' || to_json(p_type)::text || ',"query":' || to_json(p_query)::text || '}';
END
$$;

-- One value of a cron field (R-DIFF-4): a number or, in the month and day-of-week fields, a
-- three-letter name (case-insensitive). SUN is 0, except as the end of a range, where it is 7, so
-- that MON-SUN means Monday to Sunday. Sets exactly one of value and problem.
CREATE OR REPLACE FUNCTION df_engine.cron_value(
    p_text text, p_field integer, p_range_end boolean, OUT value integer, OUT problem text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c_min constant integer[] := ARRAY[0, 0, 1, 1, 0];
  c_max constant integer[] := ARRAY[59, 23, 31, 12, 7];
  c_months constant text[] := ARRAY['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  c_days constant text[] := ARRAY['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  v_index integer;
BEGIN
  IF p_text ~ '^[0-9]+$' THEN
    -- At most four digits, so that the cast cannot overflow.
    value := CASE WHEN length(p_text) <= 4 THEN p_text::integer END;
    IF value IS NULL OR value NOT BETWEEN c_min[p_field] AND c_max[p_field] THEN
      value := NULL;
      problem := format('value %s is out of range %s-%s', p_text, c_min[p_field], c_max[p_field]);
    END IF;
  ELSIF p_text ~ '^[A-Za-z]{3}$' AND p_field = 4 THEN
    v_index := array_position(c_months, upper(p_text));
    IF v_index IS NULL THEN
      problem := format('unknown month name ''%s'' (use JAN to DEC or 1 to 12)', p_text);
    ELSE
      value := v_index;
    END IF;
  ELSIF p_text ~ '^[A-Za-z]{3}$' AND p_field = 5 THEN
    v_index := array_position(c_days, upper(p_text));
    IF v_index IS NULL THEN
      problem := format('unknown day name ''%s'' (use SUN to SAT or 0 to 7)', p_text);
    ELSIF v_index = 1 AND p_range_end THEN
      value := 7;
    ELSE
      value := v_index - 1;
    END IF;
  ELSIF p_text ~ '[LW#]' THEN
    problem := format('''%s'' is not classic cron: L, W and # are not supported', p_text);
  ELSIF p_text ~ '^[A-Za-z]+$' THEN
    problem := format('''%s'' is not a number%s', p_text,
      CASE WHEN p_field IN (4, 5) THEN ' or a three-letter name' ELSE ' (names are allowed only for months and days of the week)' END);
  ELSE
    problem := format('cannot parse ''%s''', p_text);
  END IF;
END
$$;

-- Why a cron expression is invalid, or NULL when it is valid (R-DIFF-4, §7.8). The dialect is
-- classic five-field cron, the UNIX definition of the engine's cron-utils: minute (0-59), hour
-- (0-23), day-of-month (1-31), month (1-12 or JAN-DEC), day-of-week (0-7, 0 and 7 both Sunday, or
-- SUN-SAT); in each field a comma-separated list of '*', a value, a range 'a-b' (a <= b), each of
-- these three optionally with a step '/n', or '?' (day-of-month and day-of-week only, same as '*').
CREATE OR REPLACE FUNCTION df_engine.cron_problem(p_expression text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c_names constant text[] := ARRAY['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  c_min constant integer[] := ARRAY[0, 0, 1, 1, 0];
  c_max constant integer[] := ARRAY[59, 23, 31, 12, 7];
  v_trimmed text := btrim(p_expression, E' \t\r\n');
  v_fields text[];
  v_item text;
  v_base text;
  v_step text;
  v_bounds text[];
  v_low record;
  v_high record;
  v_problem text;
  f integer;
BEGIN
  IF v_trimmed = '' THEN
    RETURN 'the expression is empty; write five fields: minute hour day-of-month month day-of-week';
  END IF;
  IF v_trimmed LIKE '@%' THEN
    RETURN format('shorthands such as %s are not supported; write five fields: minute hour day-of-month month day-of-week',
                  split_part(v_trimmed, ' ', 1));
  END IF;
  v_fields := regexp_split_to_array(v_trimmed, '\s+');
  IF cardinality(v_fields) <> 5 THEN
    RETURN format('expected 5 fields (minute hour day-of-month month day-of-week), found %s', cardinality(v_fields));
  END IF;
  FOR f IN 1 .. 5 LOOP
    FOREACH v_item IN ARRAY string_to_array(v_fields[f], ',') LOOP
      v_problem := NULL;
      v_base := split_part(v_item, '/', 1);
      v_step := CASE WHEN position('/' IN v_item) > 0 THEN substr(v_item, position('/' IN v_item) + 1) END;
      IF v_item = '' THEN
        v_problem := 'empty element in a list';
      ELSIF v_step IS NOT NULL AND v_step !~ '^[0-9]+$' THEN
        v_problem := format('step ''%s'' in ''%s'' is not a number', v_step, v_item);
      ELSIF v_step IS NOT NULL
            AND coalesce(CASE WHEN length(v_step) <= 4 THEN v_step::integer END, 0)
                NOT BETWEEN 1 AND c_max[f] - c_min[f] + 1 THEN
        v_problem := format('step %s in ''%s'' is out of range 1-%s', v_step, v_item, c_max[f] - c_min[f] + 1);
      ELSIF v_base = '*' THEN
        NULL;
      ELSIF v_base = '?' THEN
        IF f NOT IN (3, 5) THEN
          v_problem := '''?'' is allowed only in the day-of-month and day-of-week fields';
        ELSIF v_step IS NOT NULL THEN
          v_problem := format('''%s'': ''?'' cannot have a step', v_item);
        END IF;
      ELSIF position('-' IN v_base) > 0 THEN
        v_bounds := string_to_array(v_base, '-');
        IF cardinality(v_bounds) <> 2 OR v_bounds[1] = '' OR v_bounds[2] = '' THEN
          v_problem := format('cannot parse ''%s''', v_item);
        ELSE
          SELECT * INTO v_low FROM df_engine.cron_value(v_bounds[1], f, false);
          SELECT * INTO v_high FROM df_engine.cron_value(v_bounds[2], f, true);
          v_problem := coalesce(v_low.problem, v_high.problem);
          IF v_problem IS NULL AND v_low.value > v_high.value THEN
            v_problem := format('range ''%s'' starts after it ends', v_base);
          END IF;
        END IF;
      ELSE
        SELECT * INTO v_low FROM df_engine.cron_value(v_base, f, false);
        v_problem := v_low.problem;
      END IF;
      IF v_problem IS NOT NULL THEN
        RETURN c_names[f] || ' field: ' || v_problem;
      END IF;
    END LOOP;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION df_engine.check_cron(p_expression text) RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_problem text := df_engine.cron_problem(p_expression);
BEGIN
  IF v_problem IS NOT NULL THEN
    RAISE EXCEPTION 'Invalid cron expression ''%'': %', p_expression, v_problem
      USING HINT = 'Use classic five-field cron: minute hour day-of-month month day-of-week, e.g. ''*/5 * * * *'' or ''0 9 * * MON-FRI''.';
  END IF;
END
$$;

-- The build-time checks that df.http and df.http_multipart share (R-HTTP-1, R-HTTP-3), in order:
-- deployment policy, URL scheme, method, timeout. Returns the upper-cased method.
CREATE OR REPLACE FUNCTION df_engine.check_http(
    p_function text, p_url text, p_method text, p_methods text[], p_timeout_seconds integer)
RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_scheme text;
  v_method text := upper(p_method);
BEGIN
  IF lower(df_engine.setting('http_policy', 'allowlist')) = 'disabled' THEN
    RAISE EXCEPTION '%() is disabled: outbound HTTP requests are disabled in this deployment', p_function
      USING HINT = 'The engine''s http.policy is "disabled"; ask the operator to set it to an allowlist.';
  END IF;
  IF p_url IS NULL THEN
    RAISE EXCEPTION '%(): url must not be NULL', p_function;
  END IF;
  IF position('{' IN p_url) = 0 THEN
    v_scheme := lower(split_part(p_url, '://', 1));
    IF v_scheme NOT IN ('http', 'https') THEN
      RAISE EXCEPTION '%(): unsupported URL scheme ''%'' in ''%'': use http:// or https://', p_function, v_scheme, p_url;
    END IF;
  END IF;
  IF p_method IS NULL THEN
    RAISE EXCEPTION '%(): method must not be NULL: use %', p_function, array_to_string(p_methods, ', ');
  END IF;
  IF NOT v_method = ANY (p_methods) THEN
    RAISE EXCEPTION '%(): unsupported HTTP method ''%'': use %', p_function, p_method, array_to_string(p_methods, ', ');
  END IF;
  IF p_timeout_seconds IS NULL OR p_timeout_seconds <= 0 THEN
    RAISE EXCEPTION '%(): timeout_seconds must be positive, was %', p_function, coalesce(p_timeout_seconds::text, 'NULL');
  END IF;
  RETURN v_method;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Node constructors (§3.1).

CREATE OR REPLACE FUNCTION df.sql(query text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF query IN ('OK', 'completed', 'failed', 'cancelled') THEN
    PERFORM df_engine.check_non_future(query);
  END IF;
  RETURN '{"node_type":"SQL","query":' || to_json(query)::text || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.seq(a text, b text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"THEN","left_node":' || df_engine.dsl_node(a, 'a')
         || ',"right_node":' || df_engine.dsl_node(b, 'b')
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.as(fut text, name text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF name = '' THEN
    RAISE EXCEPTION 'result name cannot be empty'
      USING HINT = 'Name the result with an identifier such as ''order_row''.';
  END IF;
  IF name !~ '^[A-Za-z_][A-Za-z0-9_]*$' THEN
    RAISE EXCEPTION 'result name ''%'' is not a valid identifier', name
      USING HINT = 'A result name starts with a letter or _ and continues with letters, digits or _ (ASCII).';
  END IF;
  RETURN df_engine.render_node(
    pg_catalog.jsonb_set(df_engine.dsl_node(fut, 'fut')::jsonb, '{result_name}', pg_catalog.to_jsonb(name)), 'fut');
END
$$;

CREATE OR REPLACE FUNCTION df.sleep(seconds bigint) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF seconds < 0 THEN
    RAISE EXCEPTION 'df.sleep(): seconds must be non-negative, was %', seconds;
  END IF;
  RETURN df_engine.leaf_node('SLEEP', seconds::text);
END
$$;

CREATE OR REPLACE FUNCTION df.wait_for_schedule(cron_expr text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM df_engine.check_cron(cron_expr);
  RETURN df_engine.leaf_node('WAIT_SCHEDULE', '{"cron_expr":' || to_json(cron_expr)::text || '}');
END
$$;

-- The extension of R-DIFF-4: the next tick is computed in the given time zone.
CREATE OR REPLACE FUNCTION df.wait_for_schedule(cron_expr text, time_zone text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM df_engine.check_cron(cron_expr);
  -- The engine resolves the zone with java.time; posix/ and right/ variants and the pseudo-zones
  -- of the tz database are not zone ids there.
  IF time_zone ~ '^(posix|right)/' OR time_zone IN ('posixrules', 'Factory', 'localtime')
     OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z WHERE z.name = time_zone) THEN
    RAISE EXCEPTION 'Invalid time zone ''%'': use a name from pg_timezone_names such as ''Europe/Paris'' or ''UTC''', time_zone;
  END IF;
  RETURN df_engine.leaf_node('WAIT_SCHEDULE',
    '{"cron_expr":' || to_json(cron_expr)::text || ',"time_zone":' || to_json(time_zone)::text || '}');
END
$$;

-- Not STRICT (the condition is optional); a NULL body gives NULL, as a strict function would.
CREATE OR REPLACE FUNCTION df.loop(body text, condition text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF body IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN '{"node_type":"LOOP","left_node":' || df_engine.dsl_node(body, 'body')
         || CASE WHEN condition IS NULL THEN ''
                 ELSE ',"condition_node":' || df_engine.dsl_node(condition, 'condition') END
         || '}';
END
$$;

-- The value is a literal (never auto-wrapped); NULL breaks with a JSON null.
CREATE OR REPLACE FUNCTION df.break(value text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN df_engine.leaf_node('BREAK', '{"break_value":' || COALESCE(to_json(value)::text, 'null') || '}');
END
$$;

CREATE OR REPLACE FUNCTION df.if(condition text, then_branch text, else_branch text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"IF","left_node":' || df_engine.dsl_node(then_branch, 'then_branch')
         || ',"right_node":' || df_engine.dsl_node(else_branch, 'else_branch')
         || ',"condition_node":' || df_engine.dsl_node(condition, 'condition')
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.if_rows(result_name text, then_branch text, else_branch text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"IF","left_node":' || df_engine.dsl_node(then_branch, 'then_branch')
         || ',"right_node":' || df_engine.dsl_node(else_branch, 'else_branch')
         || ',"query":'
         || to_json('{"condition_type":"result_has_rows","result_name":' || to_json(result_name)::text || '}')::text
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.join(a text, b text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"JOIN","left_node":' || df_engine.dsl_node(a, 'a')
         || ',"right_node":' || df_engine.dsl_node(b, 'b')
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.join3(a text, b text, c text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"JOIN","left_node":' || df_engine.dsl_node(a, 'a')
         || ',"right_node":' || df_engine.dsl_node(b, 'b')
         || ',"extra_nodes":[' || df_engine.dsl_node(c, 'c')
         || ']}';
END
$$;

CREATE OR REPLACE FUNCTION df.race(a text, b text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN '{"node_type":"RACE","left_node":' || df_engine.dsl_node(a, 'a')
         || ',"right_node":' || df_engine.dsl_node(b, 'b')
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.wait_for_signal(name text, timeout_seconds integer DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF name IS NULL OR name = '' THEN
    RAISE EXCEPTION 'df.wait_for_signal(): the signal name cannot be empty';
  END IF;
  IF timeout_seconds <= 0 THEN
    RAISE EXCEPTION 'df.wait_for_signal(): Timeout must be positive, was % (pass NULL to wait without a timeout)', timeout_seconds;
  END IF;
  RETURN df_engine.leaf_node('SIGNAL',
    '{"signal_name":' || to_json(name)::text || ',"timeout_seconds":' || coalesce(timeout_seconds::text, 'null') || '}');
END
$$;

CREATE OR REPLACE FUNCTION df.http(
    url text,
    method text DEFAULT 'POST',
    body text DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    timeout_seconds integer DEFAULT 30)
RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_method text := df_engine.check_http('df.http', url, method, ARRAY['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], timeout_seconds);
BEGIN
  RETURN df_engine.leaf_node('HTTP',
    '{"url":' || to_json(url)::text
    || ',"method":' || to_json(v_method)::text
    || ',"body":' || coalesce(to_json(body)::text, 'null')
    || ',"headers":' || coalesce(df_engine.compact_json(headers), 'null')
    || ',"timeout_seconds":' || timeout_seconds || '}');
END
$$;

CREATE OR REPLACE FUNCTION df.http_multipart(
    url text,
    method text DEFAULT 'POST',
    parts jsonb DEFAULT NULL,
    headers jsonb DEFAULT NULL,
    timeout_seconds integer DEFAULT 30)
RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_method text := df_engine.check_http('df.http_multipart', url, method, ARRAY['POST', 'PUT', 'PATCH'], timeout_seconds);
BEGIN
  IF parts IS NULL OR jsonb_typeof(parts) = 'null' THEN
    RAISE EXCEPTION 'df.http_multipart(): parts is required: pass a JSON array of {"name", "data_b64", "filename"?, "content_type"?} objects';
  END IF;
  IF jsonb_typeof(parts) <> 'array' THEN
    RAISE EXCEPTION 'df.http_multipart(): parts must be a JSON array of {"name", "data_b64", "filename"?, "content_type"?} objects, got a JSON %', jsonb_typeof(parts);
  END IF;
  IF jsonb_array_length(parts) = 0 THEN
    RAISE EXCEPTION 'df.http_multipart(): parts must contain at least one part';
  END IF;
  RETURN df_engine.leaf_node('HTTP_MULTIPART',
    '{"url":' || to_json(url)::text
    || ',"method":' || to_json(v_method)::text
    || ',"parts":' || df_engine.compact_json(parts)
    || ',"headers":' || coalesce(df_engine.compact_json(headers), 'null')
    || ',"timeout_seconds":' || timeout_seconds || '}');
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- durable-sql's extensions (§1b). Policies ride in the Durofut after result_name (R-EXT-1, R-EXT-2).

CREATE OR REPLACE FUNCTION df.retry(
    node text,
    max_attempts integer,
    initial_delay_seconds numeric DEFAULT 1,
    backoff_multiplier numeric DEFAULT 2,
    max_delay_seconds numeric DEFAULT 300)
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF max_attempts < 1 THEN
    RAISE EXCEPTION 'df.retry(): max_attempts must be at least 1 (it counts the first try), was %', max_attempts;
  END IF;
  IF initial_delay_seconds < 0 THEN
    RAISE EXCEPTION 'df.retry(): initial_delay_seconds must be non-negative, was %', initial_delay_seconds;
  END IF;
  IF backoff_multiplier < 1 THEN
    RAISE EXCEPTION 'df.retry(): backoff_multiplier must be at least 1, was %', backoff_multiplier;
  END IF;
  IF max_delay_seconds < 0 THEN
    RAISE EXCEPTION 'df.retry(): max_delay_seconds must be non-negative, was %', max_delay_seconds;
  END IF;
  RETURN df_engine.render_node(
    df_engine.dsl_node(node, 'node')::jsonb
      || jsonb_build_object('retry', jsonb_build_object(
           'max_attempts', max_attempts, 'initial_delay_seconds', initial_delay_seconds,
           'backoff_multiplier', backoff_multiplier, 'max_delay_seconds', max_delay_seconds)),
    'node');
END
$$;

CREATE OR REPLACE FUNCTION df.timeout(node text, seconds numeric) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF seconds <= 0 THEN
    RAISE EXCEPTION 'df.timeout(): seconds must be positive, was %', seconds;
  END IF;
  RETURN df_engine.render_node(
    df_engine.dsl_node(node, 'node')::jsonb || jsonb_build_object('timeout_seconds', seconds), 'node');
END
$$;

CREATE OR REPLACE FUNCTION df.map(rows_query text, body text, max_parallel integer DEFAULT 8) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF btrim(rows_query, E' \t\r\n') = '' THEN
    RAISE EXCEPTION 'df.map(): rows_query cannot be empty'
      USING HINT = 'Pass the query whose rows the body runs for, e.g. ''SELECT id FROM orders''.';
  END IF;
  IF rows_query IN ('OK', 'completed', 'failed', 'cancelled') THEN
    PERFORM df_engine.check_non_future(rows_query);
  END IF;
  IF max_parallel < 1 THEN
    RAISE EXCEPTION 'df.map(): max_parallel must be at least 1, was %', max_parallel;
  END IF;
  RETURN '{"node_type":"MAP","left_node":' || df_engine.dsl_node(body, 'body')
         || ',"query":' || to_json('{"rows_query":' || to_json(rows_query)::text
                                   || ',"max_parallel":' || max_parallel || '}')::text
         || '}';
END
$$;

CREATE OR REPLACE FUNCTION df.activity(activity_type text, config jsonb DEFAULT '{}') RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF btrim(activity_type, E' \t\r\n') = '' THEN
    RAISE EXCEPTION 'df.activity(): activity_type cannot be empty'
      USING HINT = 'Pass the type an activity plugin declares, e.g. ''embed''.';
  END IF;
  IF jsonb_typeof(config) <> 'object' THEN
    RAISE EXCEPTION 'df.activity(): config must be a JSON object, got a JSON %', jsonb_typeof(config);
  END IF;
  RETURN df_engine.leaf_node('ACTIVITY',
    '{"activity_type":' || to_json(activity_type)::text || ',"config":' || df_engine.compact_json(config) || '}');
END
$$;

-- Not STRICT (the model is optional): a NULL input gives NULL, as a strict function would; a NULL
-- model means the engine's default model; NULL options are the same as '{}'.
CREATE OR REPLACE FUNCTION df.embed(input text, model text DEFAULT NULL, options jsonb DEFAULT '{}') RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF input IS NULL THEN
    RETURN NULL;
  END IF;
  IF options IS NOT NULL AND jsonb_typeof(options) <> 'object' THEN
    RAISE EXCEPTION 'df.embed(): options must be a JSON object, got a JSON %', jsonb_typeof(options);
  END IF;
  RETURN df_engine.leaf_node('ACTIVITY',
    '{"activity_type":"embed","config":{"input":' || to_json(input)::text
    || ',"model":' || coalesce(to_json(model)::text, 'null')
    || ',"options":' || coalesce(df_engine.compact_json(options), '{}') || '}}');
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The functions behind the operators (§3.2, §4).

CREATE OR REPLACE FUNCTION df.as_op(fut text, name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN df.as(fut, name);
END
$$;

-- A partial IF (R-OP-2): the operands stay raw text until !> completes it through df.if.
CREATE OR REPLACE FUNCTION df.if_then_op(condition text, then_branch text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN jsonb_build_object('_partial_if', true, 'condition', condition, 'then_branch', then_branch)::text;
END
$$;

CREATE OR REPLACE FUNCTION df.if_else_op(partial_if text, else_branch text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v jsonb;
BEGIN
  IF ltrim(partial_if, E' \t\r\n') LIKE '{%' THEN
    BEGIN
      v := partial_if::jsonb;
    EXCEPTION WHEN others THEN
      v := NULL;
    END;
  END IF;
  IF jsonb_typeof(v) IS DISTINCT FROM 'object' OR NOT v ? '_partial_if' THEN
    RAISE EXCEPTION 'Invalid if-then-else: left side of !> must be a ?> expression'
      USING HINT = 'Write cond ?> then_branch !> else_branch, and parenthesise compound branches: c ?> (a ~> b) !> e.';
  END IF;
  IF jsonb_typeof(v->'condition') IS DISTINCT FROM 'string' OR jsonb_typeof(v->'then_branch') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION 'Invalid if-then-else: the ?> expression on the left of !> has no condition or then branch';
  END IF;
  RETURN df.if(v->>'condition', v->>'then_branch', else_branch);
END
$$;

CREATE OR REPLACE FUNCTION df.loop_prefix_op(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN df.loop(body);
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Operators (R-OP-1). All have PostgreSQL's single precedence of user-defined operators and are
-- left-associative (R-OP-3). Created only when missing: an operator cannot be replaced in place,
-- and CREATE OR REPLACE FUNCTION above keeps the functions they point to.

DO $$
DECLARE
  v_operator record;
BEGIN
  FOR v_operator IN
      SELECT * FROM (VALUES ('~>', 'text'::regtype, 'df.seq'),
                            ('|=>', 'text'::regtype, 'df.as_op'),
                            ('&', 'text'::regtype, 'df.join'),
                            ('|', 'text'::regtype, 'df.race'),
                            ('?>', 'text'::regtype, 'df.if_then_op'),
                            ('!>', 'text'::regtype, 'df.if_else_op'),
                            ('@>', NULL::regtype, 'df.loop_prefix_op')) AS o(name, left_type, function_name) LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
                    WHERE o.oprname = v_operator.name AND o.oprnamespace = 'df'::regnamespace
                      AND o.oprleft = coalesce(v_operator.left_type::oid, 0::oid)
                      AND o.oprright = 'text'::regtype) THEN
      IF v_operator.left_type IS NULL THEN
        EXECUTE format('CREATE OPERATOR df.%s (RIGHTARG = text, FUNCTION = %s)', v_operator.name, v_operator.function_name);
      ELSE
        EXECUTE format('CREATE OPERATOR df.%s (LEFTARG = text, RIGHTARG = text, FUNCTION = %s)',
                       v_operator.name, v_operator.function_name);
      END IF;
    END IF;
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Privileges. HTTP nodes need an explicit grant (R-HTTP-2, R-SEC-2: df.grant_usage(role,
-- include_http => true)); df.embed is gated at execution time only (R-EXT-5).
REVOKE EXECUTE ON FUNCTION df.http(text, text, text, jsonb, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION df.http_multipart(text, text, jsonb, jsonb, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION df_engine.check_non_future(text), df_engine.dsl_node(text, text),
  df_engine.compact_json(jsonb), df_engine.leaf_node(text, text), df_engine.cron_value(text, integer, boolean),
  df_engine.cron_problem(text), df_engine.check_cron(text),
  df_engine.check_http(text, text, text, text[], integer) TO PUBLIC;

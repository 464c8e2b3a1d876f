-- Activities seen from SQL (docs/resilience.md): the circuit breakers the engines keep per target.
-- A breaker named http:<host> is shown only to roles that may make HTTP calls (the host list of
-- other roles' workflows is not everyone's business); activity:<type> breakers to every role.
-- The view reads df_engine.breakers with its owner's rights; current_user inside it is the caller.
CREATE OR REPLACE VIEW df_engine.breaker_states WITH (security_barrier = true) AS
  SELECT b.name, b.state, b.engine_name AS engine, b.failure_rate, b.failed_calls, b.calls,
         b.changed_at
    FROM df_engine.breakers b
   WHERE b.name NOT LIKE 'http:%'
      OR pg_catalog.has_function_privilege('df.http(text,text,text,jsonb,integer)', 'EXECUTE');

REVOKE ALL ON df_engine.breaker_states FROM PUBLIC;
GRANT SELECT ON df_engine.breaker_states TO PUBLIC;

-- df.breakers(): one row per engine and breaker, as of its last change of state.
CREATE OR REPLACE FUNCTION df.breakers()
RETURNS TABLE (name text, state text, engine text, failure_rate real, failed_calls integer,
               calls integer, changed_at timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.name, s.state, s.engine, s.failure_rate, s.failed_calls, s.calls, s.changed_at
    FROM df_engine.breaker_states s
   ORDER BY s.name, s.engine
$$;

COMMENT ON FUNCTION df.breakers() IS
  'Circuit breakers of activity targets (http:<host>, activity:<type>), one row per engine, as of their last change of state.';

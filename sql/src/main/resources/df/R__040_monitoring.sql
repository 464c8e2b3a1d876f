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

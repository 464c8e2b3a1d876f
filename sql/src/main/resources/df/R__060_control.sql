-- durable-sql: workflow variables (SPEC.md §8.1), signals and cancellation (§10), the df.run stub,
-- and the PUBLIC EXECUTE revocations of §14 (R-SEC-1). Every function is SECURITY INVOKER: RLS and
-- the column grants of df.grant_usage decide what a caller may see and change.
--
-- This file is the last of migrations.list, so its REVOKEs apply after whichever file creates the
-- sensitive functions.

-- df.setvar, df.unsetvar, df.clearvars and (on success) df.await_instance return plain text that must
-- not end up as a workflow step. They note which helper ran in which statement, transaction-locally,
-- and the composers and df.start refuse such a value in the same statement (R-DSL-6).

CREATE OR REPLACE FUNCTION df.setvar(name text, value text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF current_setting('df.in_workflow', true) = 'true' THEN
    RAISE EXCEPTION 'df.setvar() cannot be called inside a workflow'
      USING HINT = 'Variables are snapshotted when df.start runs; set them before starting the workflow.';
  END IF;
  -- The owner is explicit, so that a superuser (who bypasses RLS) also writes only its own row.
  INSERT INTO df.vars AS v (owner, name, value)
  VALUES (quote_ident(current_user)::regrole, $1, $2)
  ON CONFLICT ON CONSTRAINT vars_pkey DO UPDATE SET value = EXCLUDED.value;
  PERFORM set_config('df.non_future_helper', 'df.setvar()' || E'\n' || statement_timestamp()::text, true);
  RETURN 'OK';
END
$$;

CREATE OR REPLACE FUNCTION df.getvar(name text) RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT v.value FROM df.vars v
   WHERE v.owner OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole
     AND v.name OPERATOR(pg_catalog.=) $1
$$;

CREATE OR REPLACE FUNCTION df.unsetvar(name text) RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF current_setting('df.in_workflow', true) = 'true' THEN
    RAISE EXCEPTION 'df.unsetvar() cannot be called inside a workflow'
      USING HINT = 'Variables are snapshotted when df.start runs; change them outside the workflow.';
  END IF;
  DELETE FROM df.vars v
   WHERE v.owner = quote_ident(current_user)::regrole AND v.name = $1;
  PERFORM set_config('df.non_future_helper', 'df.unsetvar()' || E'\n' || statement_timestamp()::text, true);
  RETURN 'OK';
END
$$;

CREATE OR REPLACE FUNCTION df.clearvars() RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF current_setting('df.in_workflow', true) = 'true' THEN
    RAISE EXCEPTION 'df.clearvars() cannot be called inside a workflow'
      USING HINT = 'Variables are snapshotted when df.start runs; change them outside the workflow.';
  END IF;
  DELETE FROM df.vars v WHERE v.owner = quote_ident(current_user)::regrole;
  PERFORM set_config('df.non_future_helper', 'df.clearvars()' || E'\n' || statement_timestamp()::text, true);
  RETURN 'OK';
END
$$;

-- Sends a signal (R-SIG-2): kept in the instance's inbox until a wait takes it (R-DIFF-3). The INSERT
-- runs with the caller's rights; the RLS policy on df_engine.signals accepts only instances the caller
-- can see, which the visibility check below has already established.
CREATE OR REPLACE FUNCTION df.signal(instance_id text, signal_name text, signal_data text DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_id text := $1;
  v_status text;
  v_payload jsonb;
BEGIN
  IF v_id = '' THEN
    RAISE EXCEPTION 'df.signal(): instance_id cannot be empty'
      USING HINT = 'Pass the id that df.start returned.';
  END IF;
  IF signal_name = '' THEN
    RAISE EXCEPTION 'df.signal(): signal_name cannot be empty'
      USING HINT = 'Pass the name the workflow waits for with df.wait_for_signal.';
  END IF;
  SELECT i.status INTO v_status FROM df.instances i WHERE i.id = v_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Instance % not found or access denied', v_id
      USING HINT = 'Only the role that started an instance can signal it.';
  END IF;
  IF v_status IN ('completed', 'failed', 'cancelled') THEN
    -- Accepted and dropped: nothing will ever wait for it (R-SIG-2).
    RETURN 'OK';
  END IF;
  BEGIN
    v_payload := signal_data::jsonb;
  EXCEPTION WHEN data_exception THEN
    v_payload := to_jsonb(signal_data);
  END;
  INSERT INTO df_engine.signals (instance_id, name, payload) VALUES (v_id, signal_name, v_payload);
  RETURN 'OK';
END
$$;

-- Cancels an instance (R-SIG-5). The UPDATE runs with the caller's rights (column grant on status and
-- updated_at, RLS); the instances_status_changed trigger records the reason from df.cancel_reason and
-- wakes the engines, which stop the running execution.
CREATE OR REPLACE FUNCTION df.cancel(instance_id text, reason text DEFAULT 'Cancelled by user')
RETURNS text
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_id text := $1;
BEGIN
  PERFORM 1 FROM df.instances i WHERE i.id = v_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Instance % not found or access denied', v_id
      USING HINT = 'Only the role that started an instance can cancel it.';
  END IF;
  PERFORM set_config('df.cancel_reason', reason, true);
  -- Terminal states are sticky: cancelling a finished instance changes nothing.
  UPDATE df.instances i
     SET status = 'cancelled', updated_at = now()
   WHERE i.id = v_id AND i.status NOT IN ('completed', 'failed', 'cancelled');
  -- Not left behind for a later status change in the same transaction.
  PERFORM set_config('df.cancel_reason', '', true);
  RETURN format('Instance %s cancelled: %s', v_id, reason);
END
$$;

-- A no-op kept for compatibility: the engines pick up work on their own.
CREATE OR REPLACE FUNCTION df.run(instance_id text DEFAULT NULL) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN $1 IS NULL THEN 'Triggered run for all pending instances'
              ELSE 'Triggered run for instance ' OPERATOR(pg_catalog.||) $1 END
$$;

-- R-SEC-1: only explicit grants (df.grant_usage with include_http or with_grant) open these. Guarded,
-- so that this file applies whether or not the file that creates a function has landed yet.
DO $$
DECLARE
  v_function text;
BEGIN
  FOREACH v_function IN ARRAY ARRAY['df.http(text,text,text,jsonb,integer)',
                                    'df.http_multipart(text,text,jsonb,jsonb,integer)',
                                    'df.metrics()',
                                    'df.grant_usage(text,boolean,boolean)',
                                    'df.revoke_usage(text)'] LOOP
    IF pg_catalog.to_regprocedure(v_function) IS NOT NULL THEN
      EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', v_function);
    END IF;
  END LOOP;
END
$$;

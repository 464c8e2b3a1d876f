-- durable-sql: grants (SPEC.md §14). USAGE on schema df is the access gate; nothing is granted to
-- PUBLIC but EXECUTE on the ordinary functions, which is useless without that USAGE.

CREATE OR REPLACE FUNCTION df.grant_usage(p_role text, include_http boolean DEFAULT false, with_grant boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_suffix text := CASE WHEN with_grant THEN ' WITH GRANT OPTION' ELSE '' END;
  v_role text := CASE WHEN lower(p_role) = 'public' THEN 'PUBLIC' ELSE quote_ident(p_role) END;
  v_function text;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA df TO %s', v_role) || v_suffix;
  IF include_http THEN
    FOREACH v_function IN ARRAY ARRAY['df.http(text,text,text,jsonb,integer)',
                                      'df.http_multipart(text,text,jsonb,jsonb,integer)'] LOOP
      IF to_regprocedure(v_function) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_function, v_role) || v_suffix;
      END IF;
    END LOOP;
  END IF;
  IF with_grant THEN
    FOREACH v_function IN ARRAY ARRAY['df.grant_usage(text,boolean,boolean)', 'df.revoke_usage(text)',
                                      'df.metrics()'] LOOP
      IF to_regprocedure(v_function) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', v_function, v_role) || v_suffix;
      END IF;
    END LOOP;
  END IF;
  EXECUTE format('GRANT SELECT ON df.instances TO %s', v_role) || v_suffix;
  EXECUTE format('GRANT UPDATE (status, updated_at) ON df.instances TO %s', v_role) || v_suffix;
  EXECUTE format('GRANT SELECT ON df.nodes TO %s', v_role) || v_suffix;
  EXECUTE format('GRANT INSERT (id, label, root_node, submitted_by, database) ON df.instances TO %s', v_role) || v_suffix;
  EXECUTE format('GRANT INSERT (id, instance_id, node_type, query, result_name, left_node, right_node, submitted_by, database) ON df.nodes TO %s', v_role) || v_suffix;
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON df.vars TO %s', v_role) || v_suffix;
  RAISE NOTICE 'Granted durable-sql usage to %', p_role;
END
$$;

CREATE OR REPLACE FUNCTION df.revoke_usage(p_role text) RETURNS void
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_role text := CASE WHEN lower(p_role) = 'public' THEN 'PUBLIC' ELSE quote_ident(p_role) END;
  v_function text;
BEGIN
  FOREACH v_function IN ARRAY ARRAY['df.http(text,text,text,jsonb,integer)',
                                    'df.http_multipart(text,text,jsonb,jsonb,integer)',
                                    'df.grant_usage(text,boolean,boolean)', 'df.revoke_usage(text)',
                                    'df.metrics()'] LOOP
    IF to_regprocedure(v_function) IS NOT NULL THEN
      BEGIN
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %s CASCADE', v_function, v_role);
      EXCEPTION WHEN insufficient_privilege THEN
        NULL;
      END;
    END IF;
  END LOOP;
  EXECUTE format('REVOKE SELECT, INSERT, UPDATE ON df.instances FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE UPDATE (status, updated_at) ON df.instances FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE INSERT (id, label, root_node, submitted_by, database) ON df.instances FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE SELECT ON df.nodes FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE INSERT (id, instance_id, node_type, query, result_name, left_node, right_node, submitted_by, database) ON df.nodes FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE SELECT, INSERT, UPDATE, DELETE ON df.vars FROM %s CASCADE', v_role);
  EXECUTE format('REVOKE USAGE ON SCHEMA df FROM %s CASCADE', v_role);
  RAISE NOTICE 'Revoked durable-sql usage from %', p_role;
END
$$;

REVOKE EXECUTE ON FUNCTION df.grant_usage(text, boolean, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION df.revoke_usage(text) FROM PUBLIC;

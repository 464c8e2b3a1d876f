-- durable-sql: grants (SPEC.md §14). USAGE on schema df is the access gate; nothing is granted to
-- PUBLIC but EXECUTE on the ordinary functions, which is useless without that USAGE.
--
-- Both functions run with the caller's rights: whoever calls them needs the privileges they grant
-- WITH GRANT OPTION (the schema owner has them; df.grant_usage(..., with_grant => true) hands them
-- on), and otherwise gets PostgreSQL's own "permission denied". The role is quoted with %I, so only
-- the lower-case name 'public' means PUBLIC, as in the reference; 'PUBLIC' names a role of that name.

CREATE OR REPLACE FUNCTION df.grant_usage(p_role text, include_http boolean DEFAULT false, with_grant boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_suffix text := CASE WHEN with_grant THEN ' WITH GRANT OPTION' ELSE '' END;
  v_function text;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA df TO %I', p_role) || v_suffix;
  IF include_http THEN
    -- Guarded: the HTTP constructors may not exist in this schema version yet.
    FOREACH v_function IN ARRAY ARRAY['df.http(text,text,text,jsonb,integer)',
                                      'df.http_multipart(text,text,jsonb,jsonb,integer)'] LOOP
      IF to_regprocedure(v_function) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, p_role) || v_suffix;
      END IF;
    END LOOP;
  END IF;
  IF with_grant THEN
    FOREACH v_function IN ARRAY ARRAY['df.grant_usage(text,boolean,boolean)', 'df.revoke_usage(text)',
                                      'df.metrics()'] LOOP
      IF to_regprocedure(v_function) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_function, p_role) || v_suffix;
      END IF;
    END LOOP;
  END IF;
  EXECUTE format('GRANT SELECT ON df.instances TO %I', p_role) || v_suffix;
  EXECUTE format('GRANT UPDATE (status, updated_at) ON df.instances TO %I', p_role) || v_suffix;
  EXECUTE format('GRANT SELECT ON df.nodes TO %I', p_role) || v_suffix;
  EXECUTE format('GRANT INSERT (id, label, root_node, submitted_by, database) ON df.instances TO %I',
                 p_role) || v_suffix;
  EXECUTE format('GRANT INSERT (id, instance_id, node_type, query, result_name, left_node, right_node,'
                 ' submitted_by, database) ON df.nodes TO %I', p_role) || v_suffix;
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON df.vars TO %I', p_role) || v_suffix;
  RAISE NOTICE '%', format('Granted durable-sql usage to %s%s%s', p_role,
    CASE WHEN include_http THEN ', including df.http and df.http_multipart' ELSE '' END,
    CASE WHEN with_grant THEN ', with grant option' ELSE '' END);
END
$$;

-- Revokes what df.grant_usage grants (R-SEC-3), each with CASCADE, so that what the role passed on
-- goes too. PostgreSQL revokes only the grants made by the calling role, so a delegated admin can
-- take back only what it gave. A caller without any privilege on one of the five sensitive functions
-- (a delegate never given the HTTP grant, say) gets insufficient_privilege there: skipped.
CREATE OR REPLACE FUNCTION df.revoke_usage(p_role text) RETURNS void
LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_function text;
BEGIN
  FOREACH v_function IN ARRAY ARRAY['df.http(text,text,text,jsonb,integer)',
                                    'df.http_multipart(text,text,jsonb,jsonb,integer)',
                                    'df.grant_usage(text,boolean,boolean)', 'df.revoke_usage(text)',
                                    'df.metrics()'] LOOP
    IF to_regprocedure(v_function) IS NOT NULL THEN
      BEGIN
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %I CASCADE', v_function, p_role);
      EXCEPTION WHEN insufficient_privilege THEN
        NULL;
      END;
    END IF;
  END LOOP;
  EXECUTE format('REVOKE SELECT ON df.instances FROM %I CASCADE', p_role);
  EXECUTE format('REVOKE UPDATE (status, updated_at) ON df.instances FROM %I CASCADE', p_role);
  EXECUTE format('REVOKE SELECT ON df.nodes FROM %I CASCADE', p_role);
  EXECUTE format('REVOKE INSERT (id, label, root_node, submitted_by, database) ON df.instances FROM %I CASCADE',
                 p_role);
  EXECUTE format('REVOKE INSERT (id, instance_id, node_type, query, result_name, left_node, right_node,'
                 ' submitted_by, database) ON df.nodes FROM %I CASCADE', p_role);
  EXECUTE format('REVOKE SELECT, INSERT, UPDATE, DELETE ON df.vars FROM %I CASCADE', p_role);
  EXECUTE format('REVOKE USAGE ON SCHEMA df FROM %I CASCADE', p_role);
  RAISE NOTICE 'Revoked durable-sql usage from %', p_role;
END
$$;

-- R__060_control.sql revokes these again together with the other sensitive functions; revoking here
-- as well keeps the two closed if this file alone is re-applied after a DROP.
REVOKE EXECUTE ON FUNCTION df.grant_usage(text, boolean, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION df.revoke_usage(text) FROM PUBLIC;

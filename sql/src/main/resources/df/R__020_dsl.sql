-- durable-sql: DSL constructors and operators (SPEC.md §2–§4). Each returns a Durofut: compact JSON
-- text with the fields in the order of R-DSL-2. They write nothing.

CREATE OR REPLACE FUNCTION df.sql(query text) RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT df_engine.sql_node(query)
$$;

CREATE OR REPLACE FUNCTION df.seq(a text, b text) RETURNS text
LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT '{"node_type":"THEN","left_node":' OPERATOR(pg_catalog.||) df_engine.ensure_node(a, 'a')
         OPERATOR(pg_catalog.||) ',"right_node":' OPERATOR(pg_catalog.||) df_engine.ensure_node(b, 'b')
         OPERATOR(pg_catalog.||) '}'
$$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
                  WHERE o.oprname = '~>' AND o.oprnamespace = 'df'::regnamespace
                    AND o.oprleft = 'text'::regtype AND o.oprright = 'text'::regtype) THEN
    CREATE OPERATOR df.~> (LEFTARG = text, RIGHTARG = text, FUNCTION = df.seq);
  END IF;
END
$$;

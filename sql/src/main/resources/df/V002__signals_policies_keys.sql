-- durable-sql schema, version 2: what the complete SQL surface (SPEC.md §3, §5, §10, §1b) needs to
-- store outside the df tables. Users write these tables only through RLS-checked INSERTs that the
-- df functions make with the caller's rights (R-SEC-1: every df function is SECURITY INVOKER); the
-- policies accept a row only for an instance the caller can see, which RLS on df.instances limits
-- to the caller's own.

-- The durable inbox of signals (R-SIG-2, R-DIFF-3): kept until a wait consumes it.
CREATE TABLE df_engine.signals (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    payload     jsonb,
    sent_by     regrole     NOT NULL DEFAULT pg_catalog.quote_ident(CURRENT_USER)::regrole,
    sent_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    -- Set by the engine when a wait takes the signal.
    consumed_at timestamptz,
    consumed_by text
);
CREATE INDEX signals_pending_idx ON df_engine.signals (instance_id, name, id) WHERE consumed_at IS NULL;
ALTER TABLE df_engine.signals ENABLE ROW LEVEL SECURITY;
CREATE POLICY signals_sender ON df_engine.signals FOR INSERT
    WITH CHECK (sent_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole
                AND EXISTS (SELECT 1 FROM df.instances i WHERE i.id OPERATOR(pg_catalog.=) instance_id));
GRANT INSERT (instance_id, name, payload) ON df_engine.signals TO PUBLIC;
GRANT USAGE ON SEQUENCE df_engine.signals_id_seq TO PUBLIC;

-- Retry and timeout policies of nodes (R-EXT-1, R-EXT-2), written by df.start.
CREATE TABLE df_engine.node_policies (
    instance_id varchar(8) NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id     varchar(8) NOT NULL,
    policy      jsonb      NOT NULL,
    PRIMARY KEY (instance_id, node_id)
);
ALTER TABLE df_engine.node_policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY node_policies_owner ON df_engine.node_policies FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM df.instances i WHERE i.id OPERATOR(pg_catalog.=) instance_id));
GRANT INSERT ON df_engine.node_policies TO PUBLIC;

-- df.start idempotency keys (R-EXT-6), unique per role; written by the instances_enqueue trigger,
-- read by df.start with the caller's rights (each role sees only its own keys).
CREATE TABLE df_engine.start_keys (
    submitted_by    regrole    NOT NULL,
    idempotency_key text       NOT NULL,
    instance_id     varchar(8) NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    PRIMARY KEY (submitted_by, idempotency_key)
);
ALTER TABLE df_engine.start_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY start_keys_owner ON df_engine.start_keys FOR SELECT
    USING (submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole);
GRANT SELECT ON df_engine.start_keys TO PUBLIC;

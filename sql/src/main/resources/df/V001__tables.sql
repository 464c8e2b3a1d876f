-- durable-sql schema, version 1: the tables of SPEC.md §6 (df) and the engine's own state (df_engine).
-- Applied once, in one transaction, by the engine's installer (docs/schema-installer.md). Never edit
-- this file after it has landed: add a new V<n>__*.sql instead. Functions, operators and grants live
-- in the repeatable R__*.sql files, re-applied whenever their text changes.

CREATE SCHEMA df;

-- ---------------------------------------------------------------------------------------------------
-- df.instances (R-DATA-2): one row per started workflow.
CREATE TABLE df.instances (
    id           varchar(8)  NOT NULL,
    label        text,
    root_node    varchar(8)  NOT NULL,
    status       text        DEFAULT 'pending',
    submitted_by regrole     NOT NULL,
    database     text,
    created_at   timestamptz DEFAULT pg_catalog.now(),
    updated_at   timestamptz DEFAULT pg_catalog.now(),
    completed_at timestamptz,
    CONSTRAINT instances_pkey PRIMARY KEY (id),
    CONSTRAINT instances_id_submitted_by_key UNIQUE (id, submitted_by)
);
ALTER TABLE df.instances
    ADD CONSTRAINT instances_id_check CHECK (id ~ '^[0-9a-f]{8}$') NOT VALID,
    ADD CONSTRAINT instances_root_node_check CHECK (root_node ~ '^[0-9a-f]{8}$') NOT VALID,
    ADD CONSTRAINT instances_status_check
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')) NOT VALID;
CREATE INDEX instances_status_created_idx ON df.instances (status, created_at DESC, id);
CREATE INDEX instances_created_idx ON df.instances (created_at DESC, id);
CREATE INDEX instances_label_created_idx ON df.instances (label, created_at DESC, id) WHERE label IS NOT NULL;

-- ---------------------------------------------------------------------------------------------------
-- df.nodes (R-DATA-3): one row per vertex of an instance's graph. Node ids are unique per instance.
CREATE TABLE df.nodes (
    id             varchar(8)  NOT NULL,
    instance_id    varchar(8)  NOT NULL,
    node_type      text        NOT NULL,
    query          text,
    result_name    text,
    left_node      varchar(8),
    right_node     varchar(8),
    status         text        DEFAULT 'pending',
    result         jsonb,
    error          text,
    submitted_by   regrole,
    database       text,
    created_at     timestamptz DEFAULT pg_catalog.now(),
    updated_at     timestamptz DEFAULT pg_catalog.now(),
    status_details jsonb,
    CONSTRAINT nodes_pkey PRIMARY KEY (instance_id, id)
);
CREATE INDEX nodes_instance_id_idx ON df.nodes (instance_id);
ALTER TABLE df.nodes
    ADD CONSTRAINT nodes_id_check CHECK (id ~ '^[0-9a-f]{8}$') NOT VALID,
    ADD CONSTRAINT nodes_instance_id_check CHECK (instance_id ~ '^[0-9a-f]{8}$') NOT VALID,
    -- MAP and ACTIVITY are durable-sql's extensions (SPEC.md §1b).
    ADD CONSTRAINT nodes_node_type_check CHECK (node_type IN (
        'SQL', 'THEN', 'IF', 'JOIN', 'LOOP', 'BREAK', 'RACE', 'SLEEP', 'WAIT_SCHEDULE', 'HTTP',
        'HTTP_MULTIPART', 'SIGNAL', 'MAP', 'ACTIVITY')) NOT VALID,
    ADD CONSTRAINT nodes_result_name_check
        CHECK (result_name IS NULL OR result_name ~ '^[A-Za-z_][A-Za-z0-9_]*$') NOT VALID,
    ADD CONSTRAINT nodes_left_node_check CHECK (left_node IS NULL OR left_node ~ '^[0-9a-f]{8}$') NOT VALID,
    ADD CONSTRAINT nodes_right_node_check CHECK (right_node IS NULL OR right_node ~ '^[0-9a-f]{8}$') NOT VALID,
    ADD CONSTRAINT nodes_status_check
        CHECK (status IN ('pending', 'running', 'completed', 'failed')) NOT VALID,
    ADD CONSTRAINT nodes_result_check
        CHECK (result IS NULL OR status IN ('completed', 'failed')) NOT VALID,
    ADD CONSTRAINT nodes_submitted_by_check CHECK (submitted_by IS NOT NULL) NOT VALID,
    ADD CONSTRAINT nodes_structure_check CHECK (
           (node_type IN ('SQL', 'SLEEP', 'WAIT_SCHEDULE', 'BREAK', 'HTTP', 'HTTP_MULTIPART', 'SIGNAL', 'ACTIVITY')
                AND left_node IS NULL AND right_node IS NULL AND query IS NOT NULL)
        OR (node_type = 'THEN' AND left_node IS NOT NULL AND right_node IS NOT NULL AND query IS NULL)
        OR (node_type = 'IF' AND left_node IS NOT NULL AND right_node IS NOT NULL AND query IS NOT NULL)
        OR (node_type = 'LOOP' AND left_node IS NOT NULL AND right_node IS NULL)
        OR (node_type = 'JOIN' AND left_node IS NOT NULL AND right_node IS NOT NULL)
        OR (node_type = 'RACE' AND left_node IS NOT NULL AND right_node IS NOT NULL AND query IS NULL)
        OR (node_type = 'MAP' AND left_node IS NOT NULL AND right_node IS NULL AND query IS NOT NULL)
    ) NOT VALID,
    ADD CONSTRAINT nodes_left_node_same_instance_fkey FOREIGN KEY (instance_id, left_node)
        REFERENCES df.nodes (instance_id, id) DEFERRABLE INITIALLY DEFERRED NOT VALID,
    ADD CONSTRAINT nodes_right_node_same_instance_fkey FOREIGN KEY (instance_id, right_node)
        REFERENCES df.nodes (instance_id, id) DEFERRABLE INITIALLY DEFERRED NOT VALID,
    ADD CONSTRAINT nodes_instance_submitted_by_fkey FOREIGN KEY (instance_id, submitted_by)
        REFERENCES df.instances (id, submitted_by) DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE df.instances
    ADD CONSTRAINT instances_root_node_same_instance_fkey FOREIGN KEY (id, root_node)
        REFERENCES df.nodes (instance_id, id) DEFERRABLE INITIALLY DEFERRED NOT VALID;

-- ---------------------------------------------------------------------------------------------------
-- df.vars (R-DATA-4): per-role workflow variables, snapshotted into each instance at df.start.
CREATE TABLE df.vars (
    name  text    NOT NULL,
    value text,
    owner regrole NOT NULL DEFAULT pg_catalog.quote_ident(CURRENT_USER)::regrole,
    CONSTRAINT vars_pkey PRIMARY KEY (owner, name)
);

-- df.settings (R-DIFF-7): the SQL-visible settings. Only the schema owner (or a superuser) can
-- change them: nothing is granted on this table; df functions read it through df_engine.setting().
CREATE TABLE df.settings (
    name  text NOT NULL PRIMARY KEY,
    value text NOT NULL
);

-- df._worker_epoch (R-DATA-5, R-DIFF-10): one heartbeat row per live engine.
CREATE TABLE df._worker_epoch (
    epoch_id     uuid PRIMARY KEY,
    started_at   timestamptz DEFAULT pg_catalog.now(),
    last_seen_at timestamptz DEFAULT pg_catalog.now()
);

-- Row-level security (R-SEC-4): ENABLE, not FORCE, so the owner (the engine) sees every row.
ALTER TABLE df.instances ENABLE ROW LEVEL SECURITY;
ALTER TABLE df.nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE df.vars ENABLE ROW LEVEL SECURITY;
CREATE POLICY instances_user_isolation ON df.instances FOR ALL
    USING (submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole)
    WITH CHECK (submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole);
CREATE POLICY nodes_user_isolation ON df.nodes FOR ALL
    USING (submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole)
    WITH CHECK (submitted_by OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole);
CREATE POLICY vars_user_isolation ON df.vars FOR ALL
    USING (owner OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole)
    WITH CHECK (owner OPERATOR(pg_catalog.=) pg_catalog.quote_ident(CURRENT_USER)::regrole);

-- ---------------------------------------------------------------------------------------------------
-- df_engine: the engine's own state (what df.duroxide_schema() names). Users get USAGE only so that
-- they can read _worker_ready and call the lease-guarded checkpoint function; no table is granted.
-- (The schema itself and df_engine.schema_migrations are created by the installer before this file.)

-- Readiness shim of R-COMPAT-2: a row while at least one engine is live.
CREATE TABLE df_engine._worker_ready (
    sentinel       boolean PRIMARY KEY,
    schema_version int,
    initialized_at timestamptz
);

-- One row per instance that is not finished yet: the claim queue, leases and the vars snapshot.
-- The row is written by a trigger when df.instances gets a row and deleted when the instance ends.
CREATE TABLE df_engine.runs (
    instance_id varchar(8)  PRIMARY KEY REFERENCES df.instances (id) ON DELETE CASCADE,
    wake_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    lease_owner text,
    lease_until timestamptz,
    -- A fresh random token per claim: the fence that a step's checkpoint must present.
    lease_token uuid,
    epoch       bigint      NOT NULL DEFAULT 0,
    vars        jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX runs_wake_at_idx ON df_engine.runs (wake_at);
CREATE INDEX runs_lease_owner_idx ON df_engine.runs (lease_owner) WHERE lease_owner IS NOT NULL;

-- The exact result text of every finished node (select-list column order kept: df.nodes.result is
-- jsonb, which re-orders keys, and "first column" semantics depend on the order, R-SUB-13).
CREATE TABLE df_engine.node_outputs (
    instance_id varchar(8) NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id     varchar(8) NOT NULL,
    output      text       NOT NULL,
    PRIMARY KEY (instance_id, node_id)
);

-- Append-only log of what happened to an instance, when, and by which engine.
CREATE TABLE df_engine.events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id varchar(8)  NOT NULL,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    engine      text,
    kind        text        NOT NULL,
    node_id     varchar(8),
    detail      jsonb
);
CREATE INDEX events_instance_idx ON df_engine.events (instance_id, id);

GRANT USAGE ON SCHEMA df_engine TO PUBLIC;
GRANT SELECT ON df_engine._worker_ready TO PUBLIC;

-- durable-sql schema, version 4: the executor's durable state beyond df.nodes (SPEC.md §7, §10).

-- One row per execution scope of an instance (R-EXEC-2): its current generation and its named
-- results (R-SUB-13) as {"name": "<exact result text>"}, so that both survive a restart.
CREATE TABLE df_engine.scopes (
    instance_id varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    scope_id    text        NOT NULL,
    generation  integer     NOT NULL DEFAULT 1,
    results     jsonb       NOT NULL DEFAULT '{}',
    -- When the current loop iteration started (R-EXEC-17 rate limit), on the database's clock.
    iteration_started_at timestamptz,
    PRIMARY KEY (instance_id, scope_id)
);

-- Durable timers of SLEEP and WAIT_SCHEDULE nodes (R-EXEC-22, R-EXEC-23): the deadline is fixed
-- when the node first runs in a scope generation and kept across restarts.
CREATE TABLE df_engine.timers (
    instance_id varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id     varchar(8)  NOT NULL,
    stamp       text        NOT NULL,
    due_at      timestamptz NOT NULL,
    PRIMARY KEY (instance_id, node_id, stamp)
);

-- Active signal waits (R-SIG-1, R-DIFF-3). A signal that arrives while waits on its name are active
-- is delivered to every one of them (R-SIG-3 fan-out); otherwise it stays in df_engine.signals
-- until the next wait on that name takes it.
CREATE TABLE df_engine.waits (
    instance_id  varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id      varchar(8)  NOT NULL,
    stamp        text        NOT NULL,
    signal_name  text        NOT NULL,
    due_at       timestamptz,
    signal_id    bigint,
    payload      jsonb,
    delivered_at timestamptz,
    PRIMARY KEY (instance_id, node_id, stamp)
);
CREATE INDEX waits_open_idx ON df_engine.waits (instance_id, signal_name) WHERE signal_id IS NULL;

-- Whether a completed node ended by raising a break (R-EXEC-21), so that a resumed walk re-raises
-- it instead of reading the break value as an ordinary result.
ALTER TABLE df_engine.node_outputs ADD COLUMN broke boolean NOT NULL DEFAULT false;

-- Bumped by every signal and cancel, so that an engine suspending an instance can tell whether
-- something arrived since it looked (and keeps the instance due instead of parking it).
ALTER TABLE df_engine.runs ADD COLUMN wake_seq bigint NOT NULL DEFAULT 0;

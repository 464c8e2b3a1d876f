-- durable-sql schema, version 3: attempt counts of steps (R-DIFF-2), so that a retry budget
-- survives an engine restart. Written by the engine after each failed attempt that will be retried.
CREATE TABLE df_engine.node_attempts (
    instance_id varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id     varchar(8)  NOT NULL,
    attempts    integer     NOT NULL,
    last_error  text,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (instance_id, node_id)
);

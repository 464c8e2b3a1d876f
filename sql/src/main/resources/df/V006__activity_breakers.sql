-- durable-sql schema, version 6: circuit breakers of activity targets (issue #5, docs/resilience.md),
-- and the scope stamp of attempt counts, so that each loop iteration gets a full retry budget.
ALTER TABLE df_engine.node_attempts ADD COLUMN stamp text;

-- Each engine keeps its own breakers in memory (Resilience4j); it writes a row here whenever one
-- changes state, so that operators can see them from SQL through the view df.breakers.
CREATE TABLE df_engine.breakers (
    engine_name   text        NOT NULL,
    name          text        NOT NULL,
    state         text        NOT NULL,
    failure_rate  real,
    failed_calls  integer     NOT NULL DEFAULT 0,
    calls         integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engine_name, name)
);

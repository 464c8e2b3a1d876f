-- durable-sql schema, version 5: the durable state of MAP nodes (R-EXT-3).

-- The rows a MAP runs its body for, stored once, in the transaction of the rows query that read
-- them, so that a resumed map maps over the same rows without running the query again. stamp is the
-- MAP node's stamp; its rows run in the child scope scope_id = "<stamp>::<node_id>", row n (from 1)
-- as that scope's generation n. rows is the query's result as the SQL step encoder writes it
-- ({"rows":[…],"row_count":n}, select-list order kept).
CREATE TABLE df_engine.map_runs (
    instance_id varchar(8)  NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    node_id     varchar(8)  NOT NULL,
    stamp       text        NOT NULL,
    scope_id    text        NOT NULL,
    row_count   integer     NOT NULL,
    rows        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (instance_id, node_id, stamp)
);

-- How the nodes of a map's body ended, per stamp. All rows share the body's df.nodes rows, so those
-- cannot say which rows finished; this table can. A SQL step in a map row writes its record in its
-- own checkpoint (df_engine.checkpoint_step), so a row whose body is one SQL step costs no extra
-- write; compound nodes and failures are recorded by the engine. The record of the body's root
-- under "<scope_id>::<n>" is row n's checkpoint.
CREATE TABLE df_engine.map_outputs (
    instance_id varchar(8) NOT NULL REFERENCES df.instances (id) ON DELETE CASCADE,
    stamp       text       NOT NULL,
    node_id     varchar(8) NOT NULL,
    status      text       NOT NULL CHECK (status IN ('completed', 'failed')),
    output      text       NOT NULL,
    is_json     boolean    NOT NULL,
    broke       boolean    NOT NULL DEFAULT false,
    -- Write order, so that the latest record of a node is known.
    seq         bigint     GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (instance_id, stamp, node_id)
);

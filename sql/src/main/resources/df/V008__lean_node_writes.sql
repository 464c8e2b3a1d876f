-- durable-sql schema, version 8: one index less to maintain on every node insert and update.
-- nodes_instance_id_idx duplicated the leading column of the primary key (instance_id, id), which
-- serves every lookup by instance as well; each of a workflow's node rows and each status write that
-- could not stay on its heap page paid for both.
DROP INDEX IF EXISTS df.nodes_instance_id_idx;

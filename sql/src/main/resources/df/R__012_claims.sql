-- durable-sql: how engines claim instances, fairly among submitting roles and within their quotas
-- (R-EXT-7; the design and its bound are in docs/architecture.md, "Fairness and quotas").
-- Repeatable: re-applied when this text changes. Only the engine (the schema owner) calls these.

-- A role's quota: the most instances of it that may run at once across all engines, from df.settings
-- (max_running_instances:<role name>, else max_running_instances); NULL when it has none. The values
-- are whole numbers (a CHECK on df.settings); 0 pauses the role.
CREATE OR REPLACE FUNCTION df_engine.role_quota(p_role regrole) RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT COALESCE(
           (SELECT s.value::integer FROM df.settings s, pg_catalog.pg_roles a
             WHERE a.oid OPERATOR(pg_catalog.=) p_role
               AND s.name OPERATOR(pg_catalog.=) ('max_running_instances:' OPERATOR(pg_catalog.||) a.rolname)),
           (SELECT s.value::integer FROM df.settings s
             WHERE s.name OPERATOR(pg_catalog.=) 'max_running_instances'))
$$;

-- How many instances of a role run now: claimed by some engine whose lease has not lapsed. A
-- waiting instance (sleep, schedule, signal) gave its claim back and does not count.
CREATE OR REPLACE FUNCTION df_engine.role_running(p_role regrole) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*) FROM df_engine.runs l
   WHERE l.submitted_by OPERATOR(pg_catalog.=) p_role AND l.lease_owner IS NOT NULL
     AND l.lease_until OPERATOR(pg_catalog.>=) pg_catalog.now()
$$;

-- The roles that have instances in the queue at all: one index probe per role (a loose scan of
-- runs_role_wake_at_idx), however many rows each has.
CREATE OR REPLACE FUNCTION df_engine.queued_roles() RETURNS SETOF regrole
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH RECURSIVE roles(role) AS (
      (SELECT r.submitted_by FROM df_engine.runs r ORDER BY r.submitted_by LIMIT 1)
    UNION ALL
      SELECT (SELECT r.submitted_by FROM df_engine.runs r
               WHERE r.submitted_by OPERATOR(pg_catalog.>) roles.role
               ORDER BY r.submitted_by LIMIT 1)
        FROM roles
       WHERE roles.role IS NOT NULL)
  SELECT role FROM roles WHERE role IS NOT NULL
$$;

-- Claims at most p_limit due instances for engine p_engine, for p_lease_seconds, sharing the batch
-- among roles. Each role contributes its due rows in wake order; a row's turn is the number of
-- instances its role runs now plus its rank among the role's due rows, and the batch takes the
-- lowest turns first (ties: the longest due). So the least-served role goes first and a batch
-- interleaves roles round-robin; a role with 10 000 due rows gets no more than one with one row
-- until it has fewer running. A role with a quota contributes at most quota - running rows, and the
-- claims of such roles are serialised across engines by an advisory lock per role, taken before
-- the claim reads the running counts, so that two engines cannot both fill the same last slot.
-- The engine calls it in autocommit: the locks go with the claim's transaction.
-- A claimed row's wake_at moves with its lease (here and at every heartbeat): a running instance
-- is due again only when its lease lapses, so the due-rows index range holds no running rows and a
-- claim does not walk past every instance in flight.
-- previous_owner: the engine whose lapsed lease this claim took over, NULL for a plain claim (for a
-- takeover log line or metric). A change of these columns needs the DROP: CREATE OR REPLACE cannot
-- change them.
DROP FUNCTION IF EXISTS df_engine.claim(text, integer, double precision);
CREATE FUNCTION df_engine.claim(p_engine text, p_limit integer, p_lease_seconds double precision)
RETURNS TABLE (instance_id varchar, lease_token uuid, epoch bigint, vars text, wake_seq bigint,
               previous_owner text)
-- Index scans in wake order and nested loops only. runs churns faster than autovacuum analyzes it,
-- and PL/pgSQL keeps a plan for the session: planned on statistics that saw a few due rows, the
-- claim fetched every due row of the role to sort them (a bitmap scan, 20 000 rows for a batch of
-- 50 behind a backlog of 20 000: 7 ms per claim), hashed them all to learn which roles have any,
-- and hashed runs again to lease the batch.
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_bitmapscan = off AS $$
#variable_conflict use_column
DECLARE
  v_roles regrole[];
  v_quotas integer[];
  v_role regrole;
  v_ids varchar[];
  v_owners text[];
BEGIN
  -- The roles with due rows, each with its quota. Written out rather than through the helper
  -- functions above, which PostgreSQL would plan again at every call of every claim.
  WITH RECURSIVE roles(role) AS (
      (SELECT r.submitted_by FROM df_engine.runs r ORDER BY r.submitted_by LIMIT 1)
    UNION ALL
      SELECT (SELECT r.submitted_by FROM df_engine.runs r
               WHERE r.submitted_by OPERATOR(pg_catalog.>) roles.role
               ORDER BY r.submitted_by LIMIT 1)
        FROM roles
       WHERE roles.role IS NOT NULL)
  SELECT array_agg(roles.role ORDER BY roles.role),
         array_agg(COALESCE(
           (SELECT s.value::integer FROM df.settings s, pg_catalog.pg_roles a
             WHERE a.oid OPERATOR(pg_catalog.=) roles.role
               AND s.name OPERATOR(pg_catalog.=) ('max_running_instances:' OPERATOR(pg_catalog.||) a.rolname)),
           (SELECT s.value::integer FROM df.settings s
             WHERE s.name OPERATOR(pg_catalog.=) 'max_running_instances')) ORDER BY roles.role)
    INTO v_roles, v_quotas
    FROM roles
   WHERE roles.role IS NOT NULL
     AND EXISTS (SELECT 1 FROM df_engine.runs d
                  WHERE d.submitted_by OPERATOR(pg_catalog.=) roles.role
                    AND d.wake_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                    AND (d.lease_until IS NULL OR d.lease_until OPERATOR(pg_catalog.<) pg_catalog.now()));
  IF v_roles IS NULL THEN
    PERFORM pg_catalog.set_config('df_engine.claimed', '', true);
    RETURN;
  END IF;
  -- One role due and no quota on it: its rows in wake order are the fair order, so the ranking,
  -- the running count and the advisory lock are skipped (they cost four times the plain claim).
  IF pg_catalog.array_length(v_roles, 1) OPERATOR(pg_catalog.=) 1 AND v_quotas[1] IS NULL THEN
    SELECT array_agg(q.instance_id), array_agg(q.lease_owner) INTO v_ids, v_owners
      FROM (SELECT q.instance_id, q.lease_owner
              FROM df_engine.runs q
             WHERE q.submitted_by OPERATOR(pg_catalog.=) v_roles[1]
               AND q.wake_at OPERATOR(pg_catalog.<=) pg_catalog.now()
               AND (q.lease_until IS NULL OR q.lease_until OPERATOR(pg_catalog.<) pg_catalog.now())
             ORDER BY q.wake_at
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED) q;
  ELSE
    -- In role order, so that two engines never wait for each other's locks in a cycle.
    FOR v_role IN SELECT u.role FROM ROWS FROM (pg_catalog.unnest(v_roles), pg_catalog.unnest(v_quotas)) u(role, quota)
                   WHERE u.quota IS NOT NULL ORDER BY u.role LOOP
      PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('df_engine.role_quota:' OPERATOR(pg_catalog.||) v_role::oid::text, 0));
    END LOOP;
    -- A new statement, so a new snapshot: it sees every claim committed before the locks were ours.
    WITH roles AS MATERIALIZED (
        SELECT u.role, u.quota,
               (SELECT count(*) FROM df_engine.runs l
                 WHERE l.submitted_by OPERATOR(pg_catalog.=) u.role AND l.lease_owner IS NOT NULL
                   AND l.lease_until OPERATOR(pg_catalog.>=) pg_catalog.now()) AS running
          FROM ROWS FROM (pg_catalog.unnest(v_roles), pg_catalog.unnest(v_quotas)) u(role, quota)),
    -- In claim order: the lowest turn first, then the longest due.
    candidates AS MATERIALIZED (
        SELECT c.instance_id,
               roles.running OPERATOR(pg_catalog.+) pg_catalog.row_number() OVER (
                 PARTITION BY roles.role ORDER BY c.wake_at) AS turn,
               c.wake_at
          FROM roles
          CROSS JOIN LATERAL (
              SELECT q.instance_id, q.wake_at
                FROM df_engine.runs q
               WHERE q.submitted_by OPERATOR(pg_catalog.=) roles.role
                 AND q.wake_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                 AND (q.lease_until IS NULL OR q.lease_until OPERATOR(pg_catalog.<) pg_catalog.now())
               ORDER BY q.wake_at
               LIMIT CASE WHEN roles.quota IS NULL THEN 2 OPERATOR(pg_catalog.*) p_limit
                          ELSE greatest(0, least(
                                 p_limit::bigint, roles.quota OPERATOR(pg_catalog.-) roles.running)) END) c
         ORDER BY 2, 3),
    -- Each candidate in that order is locked through the primary key, skipped if another engine is
    -- claiming it right now, until the batch is full: the scan of a materialized CTE returns its rows
    -- in the order they were stored, and the LATERAL keeps the lookups on the index whatever the
    -- planner believes about the size of runs. Without a quota a role offers twice the batch, so that
    -- such a race still leaves a full batch to take.
    chosen AS (
        SELECT l.instance_id, l.lease_owner
          FROM candidates
          CROSS JOIN LATERAL (
              SELECT q.instance_id, q.lease_owner
                FROM df_engine.runs q
               WHERE q.instance_id OPERATOR(pg_catalog.=) candidates.instance_id
                 AND q.wake_at OPERATOR(pg_catalog.<=) pg_catalog.now()
                 AND (q.lease_until IS NULL OR q.lease_until OPERATOR(pg_catalog.<) pg_catalog.now())
                 FOR UPDATE SKIP LOCKED) l
         LIMIT p_limit)
    SELECT array_agg(chosen.instance_id), array_agg(chosen.lease_owner) INTO v_ids, v_owners
      FROM chosen;
  END IF;
  -- The chosen ids, for reads that follow the claim in its transaction (the engine sends them in
  -- the same round trip: the instances' graphs); the setting ends with the transaction.
  PERFORM pg_catalog.set_config('df_engine.claimed',
                                COALESCE(pg_catalog.array_to_string(v_ids, ','), ''), true);
  -- The chosen rows are locked (by this transaction); lease them. lease_owner was read before.
  RETURN QUERY
  UPDATE df_engine.runs r
     SET lease_owner = p_engine,
         lease_until = pg_catalog.now() OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => p_lease_seconds),
         wake_at = pg_catalog.now() OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => p_lease_seconds),
         lease_token = pg_catalog.gen_random_uuid(), epoch = r.epoch OPERATOR(pg_catalog.+) 1
    FROM ROWS FROM (pg_catalog.unnest(v_ids), pg_catalog.unnest(v_owners)) chosen(instance_id, lease_owner)
   WHERE r.instance_id OPERATOR(pg_catalog.=) chosen.instance_id
  RETURNING r.instance_id, r.lease_token, r.epoch, r.vars::text, r.wake_seq, chosen.lease_owner;
END
$$;

-- When the next instance that a claim could take falls due, if any: the earliest unclaimed wake-up
-- of a role below its quota. Instances of a role at its quota are due but cannot be claimed, so
-- they must not make the engine poll without pause.
CREATE OR REPLACE FUNCTION df_engine.next_due() RETURNS timestamptz
-- PL/pgSQL with the helpers written out: it keeps its plan for the session, where the SQL helper
-- functions (which their SET clauses keep from being inlined) were planned again at every call.
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN (
    WITH RECURSIVE roles(role) AS (
        (SELECT r.submitted_by FROM df_engine.runs r ORDER BY r.submitted_by LIMIT 1)
      UNION ALL
        SELECT (SELECT r.submitted_by FROM df_engine.runs r
                 WHERE r.submitted_by OPERATOR(pg_catalog.>) roles.role
                 ORDER BY r.submitted_by LIMIT 1)
          FROM roles
         WHERE roles.role IS NOT NULL),
    quotas AS (
        SELECT roles.role,
               COALESCE(
                 (SELECT s.value::integer FROM df.settings s, pg_catalog.pg_roles a
                   WHERE a.oid OPERATOR(pg_catalog.=) roles.role
                     AND s.name OPERATOR(pg_catalog.=) ('max_running_instances:' OPERATOR(pg_catalog.||) a.rolname)),
                 (SELECT s.value::integer FROM df.settings s
                   WHERE s.name OPERATOR(pg_catalog.=) 'max_running_instances')) AS quota
          FROM roles
         WHERE roles.role IS NOT NULL)
    SELECT min(d.due)
      FROM quotas q
      CROSS JOIN LATERAL (
          SELECT min(r.wake_at) AS due FROM df_engine.runs r
           WHERE r.submitted_by OPERATOR(pg_catalog.=) q.role AND r.lease_owner IS NULL
             AND r.wake_at OPERATOR(pg_catalog.<) 'infinity') d
     WHERE q.quota IS NULL
        OR (SELECT count(*) FROM df_engine.runs l
             WHERE l.submitted_by OPERATOR(pg_catalog.=) q.role AND l.lease_owner IS NOT NULL
               AND l.lease_until OPERATOR(pg_catalog.>=) pg_catalog.now()) OPERATOR(pg_catalog.<) q.quota);
END
$$;

-- The claim state per role, for operators (docs/sql-reference.md): instances running now (claimed),
-- due and waiting for capacity or quota, and parked until a timer or a signal; with the role's quota.
-- Readable only by the schema owner and superusers, like df.settings.
CREATE OR REPLACE VIEW df.role_usage AS
  SELECT q.role AS submitted_by,
         df_engine.role_running(q.role) AS running,
         (SELECT count(*) FROM df_engine.runs r
           WHERE r.submitted_by OPERATOR(pg_catalog.=) q.role AND r.wake_at OPERATOR(pg_catalog.<=) pg_catalog.now()
             AND (r.lease_until IS NULL OR r.lease_until OPERATOR(pg_catalog.<) pg_catalog.now())) AS queued,
         (SELECT count(*) FROM df_engine.runs r
           WHERE r.submitted_by OPERATOR(pg_catalog.=) q.role AND r.wake_at OPERATOR(pg_catalog.>) pg_catalog.now()
             AND r.lease_owner IS NULL) AS waiting,
         df_engine.role_quota(q.role) AS max_running
    FROM df_engine.queued_roles() q(role);

REVOKE ALL ON FUNCTION df_engine.role_quota(regrole), df_engine.role_running(regrole),
  df_engine.queued_roles(), df_engine.claim(text, integer, double precision), df_engine.next_due()
  FROM PUBLIC;
REVOKE ALL ON df.role_usage FROM PUBLIC;

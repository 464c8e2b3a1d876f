-- ingest-pipeline.sql: stage raw rows, dedupe, transform, publish in batches.
--
-- What it shows
--   * a chain of SQL steps (~>), each exactly once: if the engine dies, the pipeline goes on from
--     the last committed step, and no step's effect is applied twice;
--   * named results (|=> 'dedupe') read by a later step ($dedupe.removed);
--   * df.loop with df.break: publish 100 rows per iteration until nothing is left, each batch its
--     own transaction, so a huge load never holds one long transaction;
--   * counting rows in a data-modifying CTE, so that a step's result stays one small row.
--
-- Run it against `./durable up`
--   psql "postgresql://app@127.0.0.1:55433/postgres" -f docs/examples/ingest-pipeline.sql
--   Optional: -v batch_size=50 (default 100).
--
-- Needs: df usage (df.grant_usage) and CREATE on schema public. No engine settings, no grants
-- beyond that. The script is idempotent: it empties its tables first.
--
-- Ends with the instance's status (completed), its result (duplicates removed, rows rejected,
-- rows published) and one line per published batch: 100, 100 and 30 rows.

\set ON_ERROR_STOP on
SET search_path = "$user", public, df;
\if :{?batch_size}
\else
  \set batch_size 100
\endif

-- Raw rows as they arrive: JSON from some source, duplicates and junk included.
CREATE TABLE IF NOT EXISTS ingest_raw (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source      text NOT NULL,
  payload     jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
-- Clean rows waiting to be published.
CREATE TABLE IF NOT EXISTS ingest_clean (
  external_id  text PRIMARY KEY,
  email        text NOT NULL,
  name         text,
  country      text,
  published_at timestamptz
);
-- The published table that the rest of the application reads.
CREATE TABLE IF NOT EXISTS ingest_customers (
  external_id text PRIMARY KEY,
  email       text NOT NULL,
  name        text,
  country     text,
  updated_at  timestamptz NOT NULL
);
-- One row per published batch.
CREATE TABLE IF NOT EXISTS ingest_batches (
  batch_no       int GENERATED ALWAYS AS IDENTITY,
  rows_published int NOT NULL,
  published_at   timestamptz NOT NULL DEFAULT now()
);
TRUNCATE ingest_raw, ingest_clean, ingest_customers;
TRUNCATE ingest_batches RESTART IDENTITY;

-- 300 raw rows for 230 customers (70 are older copies) and 3 rows without an e-mail address.
INSERT INTO ingest_raw (source, payload)
SELECT 'crm', jsonb_build_object(
         'id', 'cust-' || (g % 230),
         'email', '  User' || (g % 230) || '@Example.COM ',
         'name', 'customer ' || (g % 230),
         'country', (ARRAY['de', 'fr', 'us', 'jp'])[1 + g % 4])
  FROM generate_series(1, 300) AS g;
INSERT INTO ingest_raw (source, payload)
SELECT 'crm', jsonb_build_object('id', 'broken-' || g, 'name', 'no e-mail')
  FROM generate_series(1, 3) AS g;

SELECT df.start(
  -- 1. Dedupe: keep the newest raw row per external id.
  $$WITH removed AS (
      DELETE FROM ingest_raw r
       WHERE EXISTS (SELECT 1 FROM ingest_raw newer
                      WHERE newer.payload ->> 'id' = r.payload ->> 'id' AND newer.id > r.id)
      RETURNING 1)
    SELECT count(*) AS removed FROM removed$$ |=> 'dedupe'
  -- 2. Transform: normalise, reject rows without an e-mail, queue for publishing.
  ~> $$WITH moved AS (
      INSERT INTO ingest_clean (external_id, email, name, country)
      SELECT payload ->> 'id', lower(btrim(payload ->> 'email')), initcap(payload ->> 'name'),
             upper(payload ->> 'country')
        FROM ingest_raw
       WHERE payload ->> 'email' LIKE '%@%'
      ON CONFLICT (external_id) DO UPDATE
        SET email = EXCLUDED.email, name = EXCLUDED.name, country = EXCLUDED.country,
            published_at = NULL
      RETURNING 1)
    SELECT count(*) AS transformed,
           (SELECT count(*) FROM ingest_raw WHERE payload ->> 'email' IS NULL) AS rejected
      FROM moved$$ |=> 'transform'
  -- 3. Publish in batches until no clean row is left. Parenthesise the loop body.
  ~> df.loop(
       (format($$WITH batch AS (
           SELECT external_id FROM ingest_clean
            WHERE published_at IS NULL
            ORDER BY external_id
            LIMIT %s
              FOR UPDATE),
         published AS (
           INSERT INTO ingest_customers (external_id, email, name, country, updated_at)
           SELECT c.external_id, c.email, c.name, c.country, now()
             FROM ingest_clean c JOIN batch USING (external_id)
           ON CONFLICT (external_id) DO UPDATE
             SET email = EXCLUDED.email, name = EXCLUDED.name, country = EXCLUDED.country,
                 updated_at = EXCLUDED.updated_at
           RETURNING 1),
         marked AS (
           UPDATE ingest_clean c SET published_at = now()
             FROM batch WHERE c.external_id = batch.external_id
           RETURNING 1)
       INSERT INTO ingest_batches (rows_published)
       SELECT count(*) FROM marked
       RETURNING batch_no, rows_published$$, :batch_size::int) |=> 'batch')
       ~> df.if('SELECT NOT EXISTS (SELECT 1 FROM ingest_clean WHERE published_at IS NULL)',
                df.break('all batches published'),
                'SELECT ''more to publish'''))
  -- 4. Clean up the staging table and report.
  ~> $$WITH gone AS (DELETE FROM ingest_raw RETURNING 1)
       SELECT $dedupe.removed AS duplicates_removed,
              $transform.rejected AS rejected,
              (SELECT count(*) FROM ingest_customers) AS published,
              (SELECT count(*) FROM gone) AS staging_rows_deleted$$,
  'ingest-pipeline') AS id \gset

\echo started instance :id
SELECT df.await_instance(:'id', 120) AS status;
SELECT df.result(:'id') AS result;

SELECT batch_no, rows_published FROM ingest_batches ORDER BY batch_no;

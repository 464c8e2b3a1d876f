-- fanout-aggregation.sql: one query per region in parallel, then one report from all of them.
--
-- What it shows
--   * df.map fan-out: one branch per region (read from a table when the step starts), 4 at a time;
--     its result is a JSON array with one step result per region, in row order;
--   * df.join (&): the per-region map and an overall total run side by side, and both results
--     are named for the next step;
--   * aggregating the array in SQL with jsonb_array_elements.
--   In real use each region's step would be slow (a big scan, a regional API through df.http);
--   here it is a GROUP BY over a demo table.
--
-- Run it against `./durable up`
--   psql "postgresql://app@127.0.0.1:55433/postgres" -f docs/examples/fanout-aggregation.sql
--
-- Needs: df usage (df.grant_usage) and CREATE on schema public. No engine settings. The script is
-- idempotent: it empties its tables first.
--
-- Ends with the instance's status (completed) and the report: one row per region with its orders,
-- revenue and share of the total, the shares adding up to 100.

\set ON_ERROR_STOP on
SET search_path = "$user", public, df;

CREATE TABLE IF NOT EXISTS fanout_regions (region text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS fanout_orders (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  region text NOT NULL REFERENCES fanout_regions,
  amount numeric(12, 2) NOT NULL
);
CREATE TABLE IF NOT EXISTS fanout_report (
  region    text PRIMARY KEY,
  orders    bigint NOT NULL,
  revenue   numeric(14, 2) NOT NULL,
  share_pct numeric(5, 1) NOT NULL,
  built_at  timestamptz NOT NULL DEFAULT now()
);
TRUNCATE fanout_regions, fanout_orders, fanout_report;

INSERT INTO fanout_regions VALUES ('ap-south'), ('eu-west'), ('sa-east'), ('us-east');
-- 1000 orders: region i gets every 4th order, amounts 1.00 to 100.00.
INSERT INTO fanout_orders (region, amount)
SELECT (ARRAY['ap-south', 'eu-west', 'sa-east', 'us-east'])[1 + g % 4], 1 + (g * 37 % 100) * 0.99
  FROM generate_series(1, 1000) AS g;

SELECT df.start(
  -- 1. Fan out: per region (map) and overall (a plain step), in parallel.
  df.join(
    df.map('SELECT region FROM fanout_regions ORDER BY region',
           $$SELECT $item.region AS region, count(*) AS orders, sum(amount) AS revenue
               FROM fanout_orders WHERE region = $item.region$$,
           4) |=> 'per_region',
    'SELECT count(*) AS orders, sum(amount) AS revenue FROM fanout_orders' |=> 'overall')
  -- 2. Aggregate: $per_region is the map's JSON array, one {"rows": [...]} per region.
  ~> $$INSERT INTO fanout_report (region, orders, revenue, share_pct)
       SELECT r ->> 'region', (r ->> 'orders')::bigint, (r ->> 'revenue')::numeric,
              round(100 * (r ->> 'revenue')::numeric / $overall.revenue::numeric, 1)
         FROM jsonb_array_elements($per_region::jsonb) AS branch,
              LATERAL (SELECT branch -> 'rows' -> 0) AS row_of(r)
       ON CONFLICT (region) DO UPDATE
         SET orders = EXCLUDED.orders, revenue = EXCLUDED.revenue,
             share_pct = EXCLUDED.share_pct, built_at = now()$$
  ~> 'SELECT count(*) AS regions, sum(orders) AS orders, sum(share_pct) AS share_pct FROM fanout_report',
  'fanout-aggregation') AS id \gset

\echo started instance :id
SELECT df.await_instance(:'id', 120) AS status;

SELECT region, orders, revenue, share_pct FROM fanout_report ORDER BY region;
SELECT sum(orders) AS total_orders, sum(share_pct) AS total_share_pct FROM fanout_report;

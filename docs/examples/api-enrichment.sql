-- api-enrichment.sql: call an external API once per row and write the answers back.
--
-- What it shows
--   * df.map over the rows that still need data, 2 requests at a time;
--   * df.http inside the map, with the row's value in the URL ($item.domain);
--   * df.retry (up to 5 attempts; 429, 502, 503, 504, timeouts and refused connections are
--     retried, honouring Retry-After) and df.timeout (at most 60 s per row, retries included);
--   * reading the response envelope in SQL: $resp.status, $resp.ok, ($resp.body)::jsonb;
--   * a 404 is an answer, not a failure: the row records the status and the map goes on.
--
-- The API: GET <api_url>/companies/<domain> answers 200 with
--   {"industry": "...", "employees": 123}
-- or 404 with a JSON error. Set its base URL with -v api_url=... (default http://127.0.0.1:8089).
--
-- Run it against `./durable up`
--   1. An engine that may call the API. A host on the internet: add it to the allowlist,
--        ./durable up --set http.allowlist=api.example.com
--      a server on your own machine (127.0.0.1 is refused otherwise), for development only:
--        ./durable up --set http.policy=allow-all
--   2. Once, as the superuser: EXECUTE on df.http for the role that runs the script.
--        psql "postgresql://postgres@127.0.0.1:55433/postgres" \
--             -c "SELECT df.grant_usage('app', include_http => true)"
--   3. psql "postgresql://app@127.0.0.1:55433/postgres" -v api_url=https://api.example.com \
--           -f docs/examples/api-enrichment.sql
--
-- Needs: EXECUTE on df.http, CREATE on schema public, a host policy that lets the engine reach
-- api_url. The script is idempotent: it resets its table first.
--
-- Ends with the instance's status (completed), its result (enriched = 3, not_found = 1) and the
-- table: three companies with industry and employees, unknown.example with http_status 404.

\set ON_ERROR_STOP on
SET search_path = "$user", public, df;
\if :{?api_url}
\else
  \set api_url 'http://127.0.0.1:8089'
\endif

CREATE TABLE IF NOT EXISTS enrich_companies (
  id          int PRIMARY KEY,
  domain      text NOT NULL,
  industry    text,
  employees   int,
  http_status int,
  enriched_at timestamptz
);
TRUNCATE enrich_companies;
INSERT INTO enrich_companies (id, domain) VALUES
  (1, 'acme.example'), (2, 'globex.example'), (3, 'initech.example'), (4, 'unknown.example');

SELECT df.start(
  df.map(
    'SELECT id, domain FROM enrich_companies WHERE enriched_at IS NULL ORDER BY id',
    -- One request per row. The URL is completed when the step runs: $item.domain is the row's.
    (df.timeout(
       df.retry(
         df.http(:'api_url' || '/companies/$item.domain', 'GET',
                 headers => '{"Accept": "application/json"}', timeout_seconds => 10),
         5, 0.5),
       60) |=> 'resp')
    -- Write the answer back, in the same row of the map. A non-2xx answer keeps only its status.
    ~> $$UPDATE enrich_companies
          SET http_status = $resp.status,
              industry    = CASE WHEN $resp.ok THEN ($resp.body)::jsonb ->> 'industry' END,
              employees   = CASE WHEN $resp.ok THEN (($resp.body)::jsonb ->> 'employees')::int END,
              enriched_at = now()
        WHERE id = $item.id$$,
    2)
  ~> $$SELECT count(*) FILTER (WHERE industry IS NOT NULL) AS enriched,
              count(*) FILTER (WHERE http_status = 404) AS not_found
         FROM enrich_companies$$,
  'api-enrichment') AS id \gset

\echo started instance :id
SELECT df.await_instance(:'id', 120) AS status;
SELECT df.result(:'id') AS result;

SELECT id, domain, industry, employees, http_status FROM enrich_companies ORDER BY id;

-- embedding-pipeline.sql: chunk documents, embed every chunk with df.embed, store the vectors.
--
-- What it shows
--   * a SQL step that splits documents into paragraph chunks (re-run safe: unchanged chunks keep
--     their vector);
--   * df.map over the chunks that have no vector yet, 4 at a time; each row embeds its chunk
--     (df.embed, retried on rate limits with df.retry) and upserts the vector;
--   * pgvector when it is installed, else a float8[] column: a helper function, emb_vector(jsonb),
--     turns one vector of the df.embed result into whatever the column holds, so the workflow is
--     the same in both cases.
--
-- Run it against `./durable up`
--   1. Start the engine with an embeddings endpoint, for example a local Ollama:
--        ./durable up --set embed.base-url=http://127.0.0.1:11434 --set embed.model=nomic-embed-text
--      (OpenAI: --set embed.base-url=https://api.openai.com --set embed.model=text-embedding-3-small,
--      and the key in DURABLE_EMBED_API_KEY; see docs/embeddings.md.)
--   2. Once, as the superuser: df.embed needs the same privilege as df.http.
--        psql "postgresql://postgres@127.0.0.1:55433/postgres" \
--             -c "SELECT df.grant_usage('app', include_http => true)"
--      For pgvector, a superuser may also have to run CREATE EXTENSION vector; without it the
--      script stores float8[] vectors.
--   3. psql "postgresql://app@127.0.0.1:55433/postgres" -f docs/examples/embedding-pipeline.sql
--
-- Needs: EXECUTE on df.http (for df.embed), CREATE on schema public, the engine settings
-- embed.base-url and embed.model. The script is idempotent: it empties its tables first.
--
-- Ends with the instance's status (completed) and one row per chunk with its vector
-- (embedded = t).

\set ON_ERROR_STOP on
SET search_path = "$user", public, df;

-- pgvector if we may, else plain arrays.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS vector;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pgvector is not available (%), vectors are stored as float8[]', SQLERRM;
END $$;

CREATE TABLE IF NOT EXISTS emb_docs (
  id    bigint PRIMARY KEY,
  title text NOT NULL,
  body  text NOT NULL
);

DO $$
BEGIN
  IF to_regclass('emb_chunks') IS NULL THEN
    EXECUTE format(
      'CREATE TABLE emb_chunks (
         doc_id    bigint REFERENCES emb_docs ON DELETE CASCADE,
         chunk_no  int,
         body      text NOT NULL,
         embedding %s,          -- NULL until embedded
         PRIMARY KEY (doc_id, chunk_no))',
      CASE WHEN to_regtype('vector') IS NULL THEN 'float8[]' ELSE 'vector' END);
  END IF;
  -- One vector of a df.embed result (a JSON array of numbers) as the column's type.
  DROP FUNCTION IF EXISTS emb_vector(jsonb);
  IF (SELECT atttypid FROM pg_attribute
       WHERE attrelid = 'emb_chunks'::regclass AND attname = 'embedding') = 'float8[]'::regtype THEN
    CREATE FUNCTION emb_vector(v jsonb) RETURNS float8[] LANGUAGE sql IMMUTABLE
      AS 'SELECT ARRAY(SELECT jsonb_array_elements_text(v)::float8)';
  ELSE
    -- EXECUTE: the type vector exists only when pgvector is installed.
    EXECUTE 'CREATE FUNCTION emb_vector(v jsonb) RETURNS vector LANGUAGE sql IMMUTABLE
               AS ''SELECT v::text::vector''';
  END IF;
END $$;

TRUNCATE emb_docs CASCADE;
INSERT INTO emb_docs (id, title, body) VALUES
  (1, 'Durable workflows',
   E'A workflow is a graph of steps.\n\nEach step is checkpointed in PostgreSQL.\n\n'
   'After a crash the engine resumes from the last checkpoint.'),
  (2, 'Vectors',
   E'An embedding maps a text to a vector.\n\nSimilar texts get vectors that are close.');

SELECT df.start(
  -- 1. (Re)chunk: one row per non-empty paragraph. A changed paragraph loses its vector.
  $$INSERT INTO emb_chunks (doc_id, chunk_no, body)
    SELECT d.id, p.n, btrim(p.paragraph)
      FROM emb_docs d,
           regexp_split_to_table(d.body, '\n\s*\n') WITH ORDINALITY AS p(paragraph, n)
     WHERE btrim(p.paragraph) <> ''
    ON CONFLICT (doc_id, chunk_no) DO UPDATE
      SET body = EXCLUDED.body, embedding = NULL
      WHERE emb_chunks.body IS DISTINCT FROM EXCLUDED.body$$
  -- 2. Embed every chunk without a vector, 4 at a time; each row is checkpointed on its own.
  ~> df.map(
       'SELECT doc_id, chunk_no, body FROM emb_chunks WHERE embedding IS NULL ORDER BY doc_id, chunk_no',
       (df.retry(df.embed('$item.body'), 6, 2) |=> 'e')
       ~> $$INSERT INTO emb_chunks (doc_id, chunk_no, body, embedding)
             VALUES ($item.doc_id, $item.chunk_no, $item.body, emb_vector($e.embeddings::jsonb -> 0))
             ON CONFLICT (doc_id, chunk_no) DO UPDATE SET embedding = EXCLUDED.embedding$$,
       4)
  -- 3. The instance's result: how many chunks have a vector now.
  ~> 'SELECT count(*) FILTER (WHERE embedding IS NOT NULL) AS embedded_chunks FROM emb_chunks',
  'embedding-pipeline') AS id \gset

\echo started instance :id
SELECT df.await_instance(:'id', 120) AS status;

SELECT doc_id, chunk_no, left(body, 40) AS chunk, embedding IS NOT NULL AS embedded,
       left(embedding::text, 30) AS vector_start
  FROM emb_chunks
 ORDER BY doc_id, chunk_no;

-- With pgvector, the nearest chunks to a question are one query away, for example:
--   SELECT body FROM emb_chunks ORDER BY embedding <=> '[…the question''s vector…]' LIMIT 3;

-- Global search (0020) matches substrings with ILIKE '%…%', served by GIN trigram indexes. pg_trgm
-- ships with Postgres (contrib), with the embedded PostgreSQL 17 of `npm run dev`, and is on Neon's
-- list of supported extensions (https://neon.com/docs/extensions/pg_trgm).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

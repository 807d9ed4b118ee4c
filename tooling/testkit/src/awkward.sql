-- Content that trips up backup tools: every row must come back byte for byte.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcødé');
CREATE SCHEMA "Ärger";
CREATE TABLE "Ärger"."Tabelle mit Leerzeichen" (id serial PRIMARY KEY, "Größe" numeric(30, 10), note text);
CREATE TABLE awkward (
  id         bigserial PRIMARY KEY,
  raw        bytea,
  doc        jsonb,
  tags       text[],
  matrix     integer[][],
  amount     numeric(38, 12),
  feeling    mood,
  big        text,
  at         timestamptz,
  span       interval,
  flag       boolean,
  nothing    text
);
INSERT INTO awkward (raw, doc, tags, matrix, amount, feeling, big, at, span, flag, nothing)
SELECT decode(repeat(lpad(to_hex(i % 256), 2, '0'), 1 + i % 50), 'hex'),
       jsonb_build_object('i', i, 'nested', jsonb_build_array(i, 'x', null, true), 'quote', 'it''s "quoted"\n\t'),
       ARRAY['a', 'b c', 'd"e', NULL, 'ü'],
       ARRAY[[i, i + 1], [i + 2, i + 3]],
       (i * 12345.678901234567)::numeric(38, 12),
       (ARRAY['sad', 'ok', 'happy', 'ünïcødé']::mood[])[1 + i % 4],
       CASE WHEN i % 100 = 0 THEN repeat(md5(i::text), 20000) ELSE 'line1' || chr(10) || 'line2' || chr(9) || '\\backslash' END,
       timestamptz '2026-02-14 02:00:00+00' + (i || ' seconds')::interval,
       (i || ' hours 3 minutes')::interval,
       i % 3 = 0,
       NULL
FROM generate_series(1, 2000) AS i;
INSERT INTO "Ärger"."Tabelle mit Leerzeichen" ("Größe", note)
SELECT i / 7.0, 'Grüße ' || i FROM generate_series(1, 300) AS i;
SELECT setval('awkward_id_seq', 5000);
CREATE VIEW happy_rows AS SELECT id, doc FROM awkward WHERE feeling = 'happy';
CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';

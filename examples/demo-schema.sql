-- A small CivicQ-like database for `lifeboat demo`: cities, users, questions
-- and answers, with the types that trip up backup tools (enums, jsonb, arrays,
-- bytea, numeric, timestamptz, non-ASCII text, a view, a function, sequences).
SELECT setseed(0.42);

CREATE TYPE question_status AS ENUM ('draft', 'open', 'answered', 'closed');

CREATE TABLE cities (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  state       char(2) NOT NULL,
  population  integer NOT NULL,
  location    point
);

CREATE TABLE users (
  id          bigserial PRIMARY KEY,
  city_id     integer NOT NULL REFERENCES cities(id),
  email       text NOT NULL UNIQUE,
  display     text NOT NULL,
  interests   text[] NOT NULL DEFAULT '{}',
  settings    jsonb NOT NULL DEFAULT '{}',
  avatar      bytea,
  created_at  timestamptz NOT NULL
);

CREATE TABLE questions (
  id          bigserial PRIMARY KEY,
  author_id   bigint NOT NULL REFERENCES users(id),
  city_id     integer NOT NULL REFERENCES cities(id),
  title       text NOT NULL,
  body        text NOT NULL,
  status      question_status NOT NULL DEFAULT 'open',
  votes       integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL
);

CREATE TABLE answers (
  id           bigserial PRIMARY KEY,
  question_id  bigint NOT NULL REFERENCES questions(id),
  author_id    bigint NOT NULL REFERENCES users(id),
  body         text NOT NULL,
  confidence   numeric(5, 4),
  created_at   timestamptz NOT NULL
);

INSERT INTO cities (name, state, population, location)
SELECT (ARRAY['Springfield', 'Fairview', 'Riverside', 'Greenville', 'São Tomé', 'Kraków', 'Zürich', 'Ōsaka'])[1 + (i % 8)] || ' ' || i,
       (ARRAY['CA', 'TX', 'NY', 'WA', 'OR', 'IL', 'MA', 'CO'])[1 + (i % 8)],
       (random() * 900000)::int + 1000,
       point(random() * 180 - 90, random() * 360 - 180)
FROM generate_series(1, 60) AS i;

INSERT INTO users (city_id, email, display, interests, settings, avatar, created_at)
SELECT 1 + (i % 60), 'user' || i || '@example.org', 'Citizen ' || i,
       (ARRAY['housing', 'transit', 'schools', 'parks'])[1:1 + (i % 4)],
       jsonb_build_object('notify', i % 2 = 0, 'lang', (ARRAY['en', 'es', 'zh', 'vi'])[1 + (i % 4)], 'score', round((random() * 100)::numeric, 2)),
       CASE WHEN i % 5 = 0 THEN decode(md5(i::text), 'hex') END,
       timestamptz '2026-01-01 00:00:00+00' + (i || ' minutes')::interval
FROM generate_series(1, 3000) AS i;

INSERT INTO questions (author_id, city_id, title, body, status, votes, created_at)
SELECT 1 + (i % 3000), 1 + (i % 60), 'Question ' || i || ' about ' || (ARRAY['zoning', 'budget', 'élections', 'bike lanes'])[1 + (i % 4)],
       repeat('What is the plan for this? ', 1 + (i % 20)),
       (ARRAY['draft', 'open', 'answered', 'closed']::question_status[])[1 + (i % 4)],
       (random() * 500)::int,
       timestamptz '2026-02-01 00:00:00+00' + (i || ' minutes')::interval
FROM generate_series(1, 8000) AS i;

INSERT INTO answers (question_id, author_id, body, confidence, created_at)
SELECT 1 + (i % 8000), 1 + ((i * 7) % 3000), 'Answer ' || i || ': ' || md5(i::text), round(random()::numeric, 4),
       timestamptz '2026-02-10 00:00:00+00' + (i || ' seconds')::interval
FROM generate_series(1, 20000) AS i;

CREATE VIEW open_questions AS SELECT id, title, votes FROM questions WHERE status = 'open';

CREATE FUNCTION answer_count(q bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM answers WHERE question_id = q
$$;

CREATE INDEX answers_question ON answers (question_id);
ANALYZE;

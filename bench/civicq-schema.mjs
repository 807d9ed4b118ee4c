// A CivicQ-like schema for the restore benchmark: many tables with indexes and
// foreign keys, a few large ones, so that `pg_restore --jobs` has independent
// work (table loads, index builds, foreign-key checks) to run side by side.
// `factor` 1 makes about 500 MB (pg_database_size); rows scale linearly.

/** The verified tables of the bench plan (exact counts at backup, compared at restore). */
export const CIVICQ_TABLES = ['users', 'questions', 'answers', 'votes', 'comments'];

/** SQL statements that create and fill the schema (indexes and foreign keys after the data, as a loader would). */
export function civicqSql(factor) {
  const n = (rows) => Math.max(10, Math.round(rows * factor));
  const U = n(150_000);
  const Q = n(200_000);
  const A = n(600_000);
  const V = n(1_800_000);
  const C = n(400_000);
  const statements = [
    `CREATE TABLE cities (id int PRIMARY KEY, name text NOT NULL, state text NOT NULL, population int NOT NULL)`,
    `INSERT INTO cities SELECT g, 'City ' || g, 'S' || (g % 50), (g * 7919) % 1000000 FROM generate_series(1, 1000) g`,
    `CREATE TABLE users (id bigint PRIMARY KEY, city_id int NOT NULL, email text NOT NULL, display_name text NOT NULL, bio text, created_at timestamptz NOT NULL, is_verified boolean NOT NULL)`,
    `INSERT INTO users SELECT g, 1 + g % 1000, 'user' || g || '@example.org', 'User ' || md5(g::text), CASE WHEN g % 4 = 0 THEN repeat(md5((g * 3)::text), 3) END, now() - (g % 100000) * interval '1 minute', g % 3 = 0 FROM generate_series(1, ${U}) g`,
    `CREATE TABLE questions (id bigint PRIMARY KEY, user_id bigint NOT NULL, city_id int NOT NULL, title text NOT NULL, body text NOT NULL, status smallint NOT NULL, created_at timestamptz NOT NULL)`,
    `INSERT INTO questions SELECT g, 1 + (g * 31) % ${U}, 1 + g % 1000, 'Question ' || md5(g::text), repeat(md5((g + 1)::text), 4), g % 4, now() - (g % 50000) * interval '5 minutes' FROM generate_series(1, ${Q}) g`,
    `CREATE TABLE answers (id bigint PRIMARY KEY, question_id bigint NOT NULL, user_id bigint NOT NULL, body text NOT NULL, score int NOT NULL, created_at timestamptz NOT NULL)`,
    `INSERT INTO answers SELECT g, 1 + (g * 7) % ${Q}, 1 + (g * 13) % ${U}, repeat(md5((g + 2)::text), 2), g % 97, now() - (g % 80000) * interval '2 minutes' FROM generate_series(1, ${A}) g`,
    `CREATE TABLE votes (id bigint PRIMARY KEY, answer_id bigint NOT NULL, user_id bigint NOT NULL, value smallint NOT NULL, created_at timestamptz NOT NULL)`,
    `INSERT INTO votes SELECT g, 1 + (g - 1) % ${A}, 1 + ((g - 1) / ${A}) % ${U}, CASE WHEN g % 5 = 0 THEN -1 ELSE 1 END, now() - (g % 90000) * interval '1 minute' FROM generate_series(1, ${V}) g`,
    `CREATE TABLE comments (id bigint PRIMARY KEY, question_id bigint NOT NULL, user_id bigint NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)`,
    `INSERT INTO comments SELECT g, 1 + (g * 11) % ${Q}, 1 + (g * 17) % ${U}, md5(g::text) || ' ' || md5((g * 2)::text) || ' ' || md5((g * 5)::text), now() - (g % 70000) * interval '3 minutes' FROM generate_series(1, ${C}) g`,
    `CREATE TABLE tags (id int PRIMARY KEY, name text NOT NULL UNIQUE)`,
    `INSERT INTO tags SELECT g, 'tag-' || g FROM generate_series(1, 300) g`,
    `CREATE TABLE question_tags (question_id bigint NOT NULL, tag_id int NOT NULL, PRIMARY KEY (question_id, tag_id))`,
    `INSERT INTO question_tags SELECT q, 1 + (q + k * 7) % 300 FROM generate_series(1, ${Q}) q, generate_series(1, 2) k`,
    `CREATE TABLE notifications (id bigint PRIMARY KEY, user_id bigint NOT NULL, kind text NOT NULL, payload jsonb NOT NULL, read_at timestamptz)`,
    `INSERT INTO notifications SELECT g, 1 + (g * 19) % ${U}, (ARRAY['answer','vote','comment','mention'])[1 + g % 4], jsonb_build_object('question', 1 + g % ${Q}, 'n', g), CASE WHEN g % 2 = 0 THEN now() END FROM generate_series(1, ${n(300_000)}) g`,
    // Indexes, as an application's migrations leave them.
    `CREATE UNIQUE INDEX users_email ON users (email)`,
    `CREATE INDEX users_city ON users (city_id)`,
    `CREATE INDEX users_created ON users (created_at)`,
    `CREATE INDEX questions_user ON questions (user_id)`,
    `CREATE INDEX questions_city_status ON questions (city_id, status)`,
    `CREATE INDEX questions_created ON questions (created_at)`,
    `CREATE INDEX questions_title ON questions (title)`,
    `CREATE INDEX answers_question ON answers (question_id)`,
    `CREATE INDEX answers_user ON answers (user_id)`,
    `CREATE INDEX answers_created ON answers (created_at)`,
    `CREATE INDEX votes_answer ON votes (answer_id)`,
    `CREATE UNIQUE INDEX votes_user_answer ON votes (user_id, answer_id)`,
    `CREATE INDEX votes_created ON votes (created_at)`,
    `CREATE INDEX comments_question ON comments (question_id)`,
    `CREATE INDEX comments_user ON comments (user_id)`,
    `CREATE INDEX question_tags_tag ON question_tags (tag_id)`,
    `CREATE INDEX notifications_user ON notifications (user_id) WHERE read_at IS NULL`,
    // Foreign keys: pg_restore checks each one after the data, in parallel with --jobs.
    `ALTER TABLE users ADD FOREIGN KEY (city_id) REFERENCES cities`,
    `ALTER TABLE questions ADD FOREIGN KEY (user_id) REFERENCES users, ADD FOREIGN KEY (city_id) REFERENCES cities`,
    `ALTER TABLE answers ADD FOREIGN KEY (question_id) REFERENCES questions, ADD FOREIGN KEY (user_id) REFERENCES users`,
    `ALTER TABLE votes ADD FOREIGN KEY (answer_id) REFERENCES answers, ADD FOREIGN KEY (user_id) REFERENCES users`,
    `ALTER TABLE comments ADD FOREIGN KEY (question_id) REFERENCES questions, ADD FOREIGN KEY (user_id) REFERENCES users`,
    `ALTER TABLE question_tags ADD FOREIGN KEY (question_id) REFERENCES questions, ADD FOREIGN KEY (tag_id) REFERENCES tags`,
    `ALTER TABLE notifications ADD FOREIGN KEY (user_id) REFERENCES users`,
  ];
  // Small lookup tables, each with a key, a unique name and a foreign key: the many tables of a real app.
  for (let i = 1; i <= 20; i++) {
    statements.push(
      `CREATE TABLE lookup_${i} (id int PRIMARY KEY, city_id int NOT NULL REFERENCES cities, name text NOT NULL UNIQUE, note text)`,
      `INSERT INTO lookup_${i} SELECT g, 1 + g % 1000, 'item ${i}-' || g, md5(g::text) FROM generate_series(1, ${50 * i}) g`,
    );
  }
  statements.push('VACUUM ANALYZE');
  return statements;
}

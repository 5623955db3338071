-- The Alias Users tab lists and counts an account's alias users in username order. With
-- `kind` inside the index both are answered from it alone: the count no longer reads
-- every alias user's row to check its kind (BENCHMARKS.md, fix 9).
DROP INDEX users_parent;
CREATE INDEX users_parent ON users(parent_id, kind, username_key);

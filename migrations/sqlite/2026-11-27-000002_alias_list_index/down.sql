DROP INDEX users_parent;
CREATE INDEX users_parent ON users(parent_id, username_key);

-- How many servers each alias user has assigned, kept by the database beside the rows
-- it counts, so that the Alias Users tab reads 50 numbers instead of counting every
-- assignment of its page (1,000 for one alias user of the benchmark; BENCHMARKS.md,
-- fix 11). Assignments never outlive the parent's hold (migration 3), so this is also
-- the number of servers the parent still holds.
ALTER TABLE users ADD COLUMN assigned_servers INTEGER NOT NULL DEFAULT 0;
UPDATE users SET assigned_servers =
    (SELECT COUNT(*) FROM alias_servers WHERE alias_servers.alias_id = users.id);

CREATE TRIGGER alias_servers_counted AFTER INSERT ON alias_servers
BEGIN
    UPDATE users SET assigned_servers = assigned_servers + 1 WHERE id = NEW.alias_id;
END;

CREATE TRIGGER alias_servers_uncounted AFTER DELETE ON alias_servers
BEGIN
    UPDATE users SET assigned_servers = assigned_servers - 1 WHERE id = OLD.alias_id;
END;

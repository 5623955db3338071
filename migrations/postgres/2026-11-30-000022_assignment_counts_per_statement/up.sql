-- Assigned-server counts (migration 4) kept once per statement instead of once per row:
-- assigning 10,000 servers in one POST updated the alias user's row 10,000 times (2.3 s on
-- PostgreSQL); with transition tables it is one UPDATE per statement and alias user.
DROP TRIGGER alias_servers_counted ON alias_servers;
DROP FUNCTION alias_servers_count();

CREATE FUNCTION alias_servers_count_inserted() RETURNS trigger AS $$
BEGIN
    UPDATE users SET assigned_servers = users.assigned_servers + n.added
    FROM (SELECT alias_id, COUNT(*) AS added FROM new_rows GROUP BY alias_id) n
    WHERE users.id = n.alias_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION alias_servers_count_deleted() RETURNS trigger AS $$
BEGIN
    UPDATE users SET assigned_servers = users.assigned_servers - o.removed
    FROM (SELECT alias_id, COUNT(*) AS removed FROM old_rows GROUP BY alias_id) o
    WHERE users.id = o.alias_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alias_servers_counted AFTER INSERT ON alias_servers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION alias_servers_count_inserted();
CREATE TRIGGER alias_servers_uncounted AFTER DELETE ON alias_servers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION alias_servers_count_deleted();

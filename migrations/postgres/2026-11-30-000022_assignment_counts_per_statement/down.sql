DROP TRIGGER alias_servers_counted ON alias_servers;
DROP TRIGGER alias_servers_uncounted ON alias_servers;
DROP FUNCTION alias_servers_count_inserted();
DROP FUNCTION alias_servers_count_deleted();

CREATE FUNCTION alias_servers_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users SET assigned_servers = assigned_servers + 1 WHERE id = NEW.alias_id;
    ELSE
        UPDATE users SET assigned_servers = assigned_servers - 1 WHERE id = OLD.alias_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER alias_servers_counted AFTER INSERT OR DELETE ON alias_servers
    FOR EACH ROW EXECUTE FUNCTION alias_servers_count();

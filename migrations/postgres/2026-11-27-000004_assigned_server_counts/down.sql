DROP TRIGGER alias_servers_counted ON alias_servers;
DROP FUNCTION alias_servers_count();
ALTER TABLE users DROP COLUMN assigned_servers;

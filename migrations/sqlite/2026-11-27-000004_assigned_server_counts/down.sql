DROP TRIGGER alias_servers_uncounted;
DROP TRIGGER alias_servers_counted;
ALTER TABLE users DROP COLUMN assigned_servers;

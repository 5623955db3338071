DROP TRIGGER servers_holders_changed ON servers;
DROP FUNCTION alias_servers_follow_holders();

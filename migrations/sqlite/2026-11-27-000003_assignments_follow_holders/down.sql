DROP TRIGGER servers_holders_changed;

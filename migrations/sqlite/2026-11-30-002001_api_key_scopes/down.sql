DROP TABLE api_key_servers;
ALTER TABLE api_keys DROP COLUMN allowed_ips;
ALTER TABLE api_keys DROP COLUMN all_servers;
ALTER TABLE api_keys DROP COLUMN permissions;

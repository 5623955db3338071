-- An alias user's assignment only means something while its parent account still holds
-- the server. The database now keeps it that way itself, whoever changes the holders
-- (the panel's "change owner", a script, a restore): when a server's owner or reseller
-- changes, assignments of alias users whose parent is neither an admin nor one of the new
-- holders are removed. Counting an alias user's servers is then a count of its rows
-- (BENCHMARKS.md, fix 9).
DELETE FROM alias_servers
WHERE EXISTS (
    SELECT 1 FROM servers, users AS a, users AS p
    WHERE servers.id = alias_servers.server_id
      AND a.id = alias_servers.alias_id AND p.id = a.parent_id
      AND p.kind <> 'admin'
      AND p.id IS DISTINCT FROM servers.owner_id AND p.id IS DISTINCT FROM servers.reseller_id
);

CREATE FUNCTION alias_servers_follow_holders() RETURNS trigger AS $$
BEGIN
    DELETE FROM alias_servers
    WHERE server_id = NEW.id
      AND alias_id IN (
          SELECT a.id FROM users AS a JOIN users AS p ON p.id = a.parent_id
          WHERE p.kind <> 'admin'
            AND p.id IS DISTINCT FROM NEW.owner_id AND p.id IS DISTINCT FROM NEW.reseller_id
      );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER servers_holders_changed AFTER UPDATE OF owner_id, reseller_id ON servers
    FOR EACH ROW EXECUTE FUNCTION alias_servers_follow_holders();

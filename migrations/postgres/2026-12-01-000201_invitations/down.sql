DROP TABLE invitations;
ALTER TABLE users DROP COLUMN invited_at;

-- Fair throttling (issue 20): failures an admin lifted, or that a later success from the
-- same address for the same username settled, stay in Login History but no longer count.
ALTER TABLE login_attempts ADD COLUMN forgiven BOOLEAN NOT NULL DEFAULT FALSE;

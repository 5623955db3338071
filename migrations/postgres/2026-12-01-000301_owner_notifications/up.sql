-- The account owner's "tell me by mail" (risky grants, two-factor removed or reset, a
-- sign-in from a new address), on by default. Meaningful on accounts: an alias user's
-- notices go to its parent account, whose flag decides.
ALTER TABLE users ADD COLUMN notify_owner BOOLEAN NOT NULL DEFAULT TRUE;

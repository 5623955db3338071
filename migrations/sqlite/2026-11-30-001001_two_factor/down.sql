DROP TABLE recovery_codes;
DROP TABLE totp_factors;
ALTER TABLE alias_roles DROP COLUMN require_two_factor;
ALTER TABLE users DROP COLUMN require_two_factor_for_aliases;

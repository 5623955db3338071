DROP INDEX server_jobs_pending;
ALTER TABLE server_jobs DROP COLUMN outcome;
ALTER TABLE server_jobs DROP COLUMN locked_until;
ALTER TABLE server_jobs DROP COLUMN attempts;
ALTER TABLE server_jobs DROP COLUMN command;

-- Driver calls leave the request's transaction: an action writes its job here as `queued`
-- (with its audit row, in one transaction) and the driver worker calls the controller
-- later, with no transaction open. `command` is what to ask (JSON: the power action, the
-- OS and keys to install, rescue in or out). The worker claims a job by setting
-- `locked_until` (a lease) and counting the attempt; an instance that dies mid-call
-- leaves the job to be taken up again when the lease ends. `outcome` is the controller's
-- answer or why the call failed. Status: queued -> calling -> done | running (a reinstall
-- the hardware is still working on) | failed.
ALTER TABLE server_jobs ADD COLUMN command TEXT NOT NULL DEFAULT '';
ALTER TABLE server_jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE server_jobs ADD COLUMN locked_until TIMESTAMP;
ALTER TABLE server_jobs ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
-- The worker's claims look for unfinished jobs only.
CREATE INDEX server_jobs_pending ON server_jobs (status, id);

-- Readiness heartbeats (db::probe): each running instance upserts its row every few
-- seconds; /readyz reports whether the last write was accepted. Rows of instances silent
-- for a day are removed by the purge task.
CREATE TABLE heartbeats (
    instance TEXT PRIMARY KEY NOT NULL,
    beat_at TIMESTAMP NOT NULL
);

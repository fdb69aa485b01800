-- Schedules on each client's wall clock: a job's cron is read in its time
-- zone (IANA name; the tenant's default is UTC).
ALTER TABLE jobs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- What the approver saw and gave at a gate: the review (the campaign's
-- budget plan in major units, caps and the creatives' copy, as JSON) taken
-- when the gate opened, and an explicit waiver of missing creatives with
-- its note.
ALTER TABLE approvals ADD COLUMN review TEXT;
ALTER TABLE approvals ADD COLUMN waiver TEXT;

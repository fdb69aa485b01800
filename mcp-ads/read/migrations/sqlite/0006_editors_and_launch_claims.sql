-- Four eyes: who last edited a campaign (every update, plan, segment or
-- content attachment records it), so neither its creator nor its last
-- editor can approve it.
ALTER TABLE campaigns ADD COLUMN last_edited_by TEXT;
ALTER TABLE campaigns ADD COLUMN last_edited_at TEXT;
-- Campaigns edited before this column existed: their creator is the only
-- editor on record.
UPDATE campaigns SET last_edited_by = created_by, last_edited_at = updated_at
 WHERE last_edited_by IS NULL AND created_by IS NOT NULL;

-- One launch per campaign: a launch claims the campaign (approved →
-- launching, or an active campaign retrying failed channels) with one
-- conditional update before any platform call. The claim names its
-- idempotency key, who holds it and since when (refreshed while the launch
-- runs); a claim older than the configured time is stale (the process
-- died) and may be taken over.
ALTER TABLE campaigns ADD COLUMN launch_claim_key TEXT;
ALTER TABLE campaigns ADD COLUMN launch_claimed_by TEXT;
ALTER TABLE campaigns ADD COLUMN launch_claimed_at TEXT;

BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s';
--
-- Raw SQL operation
--

CREATE FUNCTION rr_reminder_follow_offset() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous smallint;
    today date;
    due timestamptz;
BEGIN
    -- The user's last known offset before this checklist: the latest local date's
    -- (rr/checklists/selectors.py last_offset_checklist), read from rr_checklist_user_days_idx.
    SELECT c.utc_offset_minutes INTO previous FROM rr_checklist c
    WHERE c.user_id = NEW.user_id AND c.utc_offset_minutes IS NOT NULL AND c.id <> NEW.id
    ORDER BY c.local_date DESC, c.created_at DESC, c.id DESC
    LIMIT 1;
    IF previous IS NOT DISTINCT FROM NEW.utc_offset_minutes THEN
        RETURN NULL;
    END IF;
    today := ((statement_timestamp() AT TIME ZONE 'UTC') + make_interval(mins => NEW.utc_offset_minutes))::date;
    SELECT ((GREATEST(today, r.last_sent_on + 1) + r.local_time) - make_interval(mins => NEW.utc_offset_minutes))
        AT TIME ZONE 'UTC' INTO due
    FROM rr_reminder r
    WHERE r.user_id = NEW.user_id AND r.enabled AND r.utc_offset_minutes IS NULL
    FOR UPDATE;
    IF FOUND THEN
        UPDATE rr_reminder SET next_due_at = due WHERE user_id = NEW.user_id AND next_due_at IS DISTINCT FROM due;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER rr_reminder_follow_offset AFTER INSERT ON rr_checklist
    FOR EACH ROW WHEN (NEW.utc_offset_minutes IS NOT NULL) EXECUTE FUNCTION rr_reminder_follow_offset();

COMMIT;

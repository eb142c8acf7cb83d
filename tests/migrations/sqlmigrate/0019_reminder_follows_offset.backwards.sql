BEGIN;
--
-- Raw SQL operation
--

DROP TRIGGER IF EXISTS rr_reminder_follow_offset ON rr_checklist;
DROP FUNCTION IF EXISTS rr_reminder_follow_offset();

--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s';
COMMIT;

"""A reminder that follows the checklists' offset moves with a checklist made at a new one, in the database.

A reminder without an offset of its own (rr_reminder.utc_offset_minutes NULL) is due at its
local time at the offset of the user's latest checklist (rr/notifications/selectors.py
reminder_offset). Travelling east makes it due earlier than the time stored for it, so a
checklist made at another offset than the user's last known one must move next_due_at at
once: the due query reads next_due_at alone (rr_reminder_due_idx). The checklist's
transaction used to call rr.notifications for it from rr/checklists/services.py; this
trigger does it instead, so the checklists know nothing of reminders, and every insert
of a checklist (not only checklist_for_day's) keeps the reminder in step.

Its cost is the lookup of the user's last known offset, which checklist_for_day no longer
makes itself (rr/checklists/services.py _day_and_before): a fraction of a millisecond a
checklist insert, once a user a day (docs/OPERATIONS.md, step 2).

The rule is rr/notifications/services.py reminder_next_due's, written in SQL:
`local_time` of the user's today at the new offset, or of the day after the last one sent.
tests/notifications/test_reminder_follows_offset.py holds both to the same instants.

| statement                                       | lock                                   | duration |
|-------------------------------------------------|----------------------------------------|----------|
| SET LOCAL lock_timeout, statement_timeout       | none                                   | -        |
| CREATE FUNCTION rr_reminder_follow_offset()     | none                                   | instant  |
| CREATE TRIGGER ... AFTER INSERT ON rr_checklist | SHARE ROW EXCLUSIVE on rr_checklist    | instant  |
|                                                 |   (its writes wait) until COMMIT       |          |
| COMMIT                                          | all released                           |          |

Nothing is scanned or rewritten; rr_user is not touched. The previous release keeps
working: its checklists carry no offset (utc_offset_minutes NULL), which the trigger's
WHEN clause passes over, as checklist_for_day did.

Rollback (`migrate rr 0018_routine`): drops the trigger and its function; the release
before this one moves the reminder from rr/checklists/services.py itself.
"""

from django.db import migrations

_SET_TIMEOUTS = "SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s'"

FORWARD = """
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
"""

BACKWARD = """
DROP TRIGGER IF EXISTS rr_reminder_follow_offset ON rr_checklist;
DROP FUNCTION IF EXISTS rr_reminder_follow_offset();
"""


class Migration(migrations.Migration):
    dependencies = [("rr", "0018_routine")]

    operations = [
        migrations.RunSQL(_SET_TIMEOUTS, reverse_sql=_SET_TIMEOUTS),
        migrations.RunSQL(FORWARD, reverse_sql=BACKWARD),
    ]

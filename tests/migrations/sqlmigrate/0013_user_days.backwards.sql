BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '10s';
--
-- Custom state/database change combination; Raw SQL operation (one round trip)
--

DROP TRIGGER IF EXISTS rr_user_days_goal_changed ON rr_user;
DROP TRIGGER IF EXISTS rr_user_days_regrets_truncated ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regret_moved ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regrets_deleted ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_regrets_inserted ON rr_regret;
DROP TRIGGER IF EXISTS rr_user_days_checklists_truncated ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklist_updated ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklists_deleted ON rr_checklist;
DROP TRIGGER IF EXISTS rr_user_days_checklists_inserted ON rr_checklist;

DROP TABLE IF EXISTS rr_user_days;
--
-- Raw SQL operation
--

DROP FUNCTION IF EXISTS rr_user_days_truncated();
DROP FUNCTION IF EXISTS rr_user_days_goal_changed();
DROP FUNCTION IF EXISTS rr_user_days_regret_moved();
DROP FUNCTION IF EXISTS rr_user_days_regrets_changed();
DROP FUNCTION IF EXISTS rr_user_days_checklist_updated();
DROP FUNCTION IF EXISTS rr_user_days_checklists_changed();
DROP FUNCTION IF EXISTS rr_user_days_refresh(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_write(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_lock(bigint[]);
DROP FUNCTION IF EXISTS rr_user_days_compute(bigint[]);

--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '10s';
COMMIT;

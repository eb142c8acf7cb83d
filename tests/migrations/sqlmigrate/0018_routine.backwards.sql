BEGIN;
--
-- Raw SQL operation
--
-- (no-op)
--
-- Create model RoutineItem
--
DROP TABLE "rr_routine_item" CASCADE;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s';
COMMIT;

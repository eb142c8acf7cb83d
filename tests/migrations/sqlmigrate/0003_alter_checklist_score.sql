BEGIN;
--
-- Alter field score on checklist
--
-- (no-op)
COMMIT;

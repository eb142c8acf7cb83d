BEGIN;
--
-- Create model Regret
--
DROP TABLE "rr_regret" CASCADE;
--
-- Create model Checklist
--
DROP TABLE "rr_checklist" CASCADE;
--
-- Create model User
--
DROP TABLE "rr_user_groups" CASCADE;
DROP TABLE "rr_user_user_permissions" CASCADE;
DROP TABLE "rr_user" CASCADE;
COMMIT;

BEGIN;
--
-- Create index rr_checklis_user_id_f9470d_idx on field(s) user, created_at of model checklist
--
DROP INDEX IF EXISTS "rr_checklis_user_id_f9470d_idx";
COMMIT;

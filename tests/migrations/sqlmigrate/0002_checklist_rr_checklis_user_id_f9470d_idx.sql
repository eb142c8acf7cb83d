BEGIN;
--
-- Create index rr_checklis_user_id_f9470d_idx on field(s) user, created_at of model checklist
--
CREATE INDEX "rr_checklis_user_id_f9470d_idx" ON "rr_checklist" ("user_id", "created_at");
COMMIT;

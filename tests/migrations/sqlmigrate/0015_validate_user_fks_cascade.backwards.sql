BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s';
SET LOCAL statement_timeout = '5s';
ALTER TABLE "rr_network" ADD CONSTRAINT "rr_network_follower_id_90fae8fe_fk_rr_user_id" FOREIGN KEY ("follower_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_network" ADD CONSTRAINT "rr_network_following_id_28b65608_fk_rr_user_id" FOREIGN KEY ("following_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_recovery_code" ADD CONSTRAINT "rr_recovery_code_user_id_b7714852_fk_rr_user_id" FOREIGN KEY ("user_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_session" ADD CONSTRAINT "rr_session_user_id_a5f7b00a_fk_rr_user_id" FOREIGN KEY ("user_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_follow_request" ADD CONSTRAINT "rr_follow_request_requester_id_9be3ebdc_fk_rr_user_id" FOREIGN KEY ("requester_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_follow_request" ADD CONSTRAINT "rr_follow_request_target_id_2a693812_fk_rr_user_id" FOREIGN KEY ("target_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_block" ADD CONSTRAINT "rr_block_blocker_id_f842a3ef_fk_rr_user_id" FOREIGN KEY ("blocker_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_block" ADD CONSTRAINT "rr_block_blocked_id_86840b7b_fk_rr_user_id" FOREIGN KEY ("blocked_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_nudge" ADD CONSTRAINT "rr_nudge_sender_id_89febf79_fk_rr_user_id" FOREIGN KEY ("sender_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_nudge" ADD CONSTRAINT "rr_nudge_recipient_id_283ac523_fk_rr_user_id" FOREIGN KEY ("recipient_id") REFERENCES "rr_user" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
--
-- Raw SQL operation
--
-- (no-op)
--
-- Raw SQL operation
--
-- (no-op)
COMMIT;

BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s';
SET LOCAL statement_timeout = '5s';
ALTER TABLE "rr_network" ADD CONSTRAINT "rr_network_follower_id_fk_rr_user_cascade" FOREIGN KEY ("follower_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_network" ADD CONSTRAINT "rr_network_following_id_fk_rr_user_cascade" FOREIGN KEY ("following_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_recovery_code" ADD CONSTRAINT "rr_recovery_code_user_id_fk_rr_user_cascade" FOREIGN KEY ("user_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_session" ADD CONSTRAINT "rr_session_user_id_fk_rr_user_cascade" FOREIGN KEY ("user_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_follow_request" ADD CONSTRAINT "rr_follow_request_requester_id_fk_rr_user_cascade" FOREIGN KEY ("requester_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_follow_request" ADD CONSTRAINT "rr_follow_request_target_id_fk_rr_user_cascade" FOREIGN KEY ("target_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_block" ADD CONSTRAINT "rr_block_blocker_id_fk_rr_user_cascade" FOREIGN KEY ("blocker_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_block" ADD CONSTRAINT "rr_block_blocked_id_fk_rr_user_cascade" FOREIGN KEY ("blocked_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_nudge" ADD CONSTRAINT "rr_nudge_sender_id_fk_rr_user_cascade" FOREIGN KEY ("sender_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
ALTER TABLE "rr_nudge" ADD CONSTRAINT "rr_nudge_recipient_id_fk_rr_user_cascade" FOREIGN KEY ("recipient_id") REFERENCES "rr_user" ("id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
COMMIT;

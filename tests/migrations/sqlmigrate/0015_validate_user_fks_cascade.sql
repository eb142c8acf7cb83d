BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s';
--
-- Raw SQL operation
--
ALTER TABLE "rr_network" VALIDATE CONSTRAINT "rr_network_follower_id_fk_rr_user_cascade";
ALTER TABLE "rr_network" VALIDATE CONSTRAINT "rr_network_following_id_fk_rr_user_cascade";
ALTER TABLE "rr_recovery_code" VALIDATE CONSTRAINT "rr_recovery_code_user_id_fk_rr_user_cascade";
ALTER TABLE "rr_session" VALIDATE CONSTRAINT "rr_session_user_id_fk_rr_user_cascade";
ALTER TABLE "rr_follow_request" VALIDATE CONSTRAINT "rr_follow_request_requester_id_fk_rr_user_cascade";
ALTER TABLE "rr_follow_request" VALIDATE CONSTRAINT "rr_follow_request_target_id_fk_rr_user_cascade";
ALTER TABLE "rr_block" VALIDATE CONSTRAINT "rr_block_blocker_id_fk_rr_user_cascade";
ALTER TABLE "rr_block" VALIDATE CONSTRAINT "rr_block_blocked_id_fk_rr_user_cascade";
ALTER TABLE "rr_nudge" VALIDATE CONSTRAINT "rr_nudge_sender_id_fk_rr_user_cascade";
ALTER TABLE "rr_nudge" VALIDATE CONSTRAINT "rr_nudge_recipient_id_fk_rr_user_cascade";
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s';
SET LOCAL statement_timeout = '5s';
ALTER TABLE "rr_network" DROP CONSTRAINT "rr_network_follower_id_90fae8fe_fk_rr_user_id";
ALTER TABLE "rr_network" DROP CONSTRAINT "rr_network_following_id_28b65608_fk_rr_user_id";
ALTER TABLE "rr_recovery_code" DROP CONSTRAINT "rr_recovery_code_user_id_b7714852_fk_rr_user_id";
ALTER TABLE "rr_session" DROP CONSTRAINT "rr_session_user_id_a5f7b00a_fk_rr_user_id";
ALTER TABLE "rr_follow_request" DROP CONSTRAINT "rr_follow_request_requester_id_9be3ebdc_fk_rr_user_id";
ALTER TABLE "rr_follow_request" DROP CONSTRAINT "rr_follow_request_target_id_2a693812_fk_rr_user_id";
ALTER TABLE "rr_block" DROP CONSTRAINT "rr_block_blocker_id_f842a3ef_fk_rr_user_id";
ALTER TABLE "rr_block" DROP CONSTRAINT "rr_block_blocked_id_86840b7b_fk_rr_user_id";
ALTER TABLE "rr_nudge" DROP CONSTRAINT "rr_nudge_sender_id_89febf79_fk_rr_user_id";
ALTER TABLE "rr_nudge" DROP CONSTRAINT "rr_nudge_recipient_id_283ac523_fk_rr_user_id";
COMMIT;

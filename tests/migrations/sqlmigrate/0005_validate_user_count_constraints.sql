BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s';
--
-- Validate constraint rr_user_followers_count_gte_0 on user
--
ALTER TABLE "rr_user" VALIDATE CONSTRAINT "rr_user_followers_count_gte_0";
--
-- Validate constraint rr_user_following_count_gte_0 on user
--
ALTER TABLE "rr_user" VALIDATE CONSTRAINT "rr_user_following_count_gte_0";
COMMIT;

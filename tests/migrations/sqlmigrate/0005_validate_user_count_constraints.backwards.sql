BEGIN;
--
-- Validate constraint rr_user_following_count_gte_0 on user
--
-- (no-op)
--
-- Validate constraint rr_user_followers_count_gte_0 on user
--
-- (no-op)
--
-- Raw SQL operation
--
-- (no-op)
COMMIT;

--
-- Custom state/database change combination
--
DROP INDEX CONCURRENTLY IF EXISTS "rr_user_username_upper_idx";

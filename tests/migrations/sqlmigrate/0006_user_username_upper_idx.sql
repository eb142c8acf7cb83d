--
-- Custom state/database change combination
--
SET lock_timeout = '3s';
DROP INDEX CONCURRENTLY IF EXISTS "rr_user_username_upper_idx";
CREATE INDEX CONCURRENTLY IF NOT EXISTS "rr_user_username_upper_idx" ON "rr_user" (UPPER("username"));
RESET lock_timeout;

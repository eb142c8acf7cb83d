BEGIN;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s';
--
-- Raw SQL operation
--
-- (no-op)
--
-- Add field allow_networking to user; Add field followers_count to user; Add field following_count to user; Create constraint rr_user_followers_count_gte_0 on model user (NOT VALID); Create constraint rr_user_following_count_gte_0 on model user (NOT VALID) (one round trip)
--
ALTER TABLE "rr_user" DROP CONSTRAINT "rr_user_following_count_gte_0";
ALTER TABLE "rr_user" DROP CONSTRAINT "rr_user_followers_count_gte_0";
ALTER TABLE "rr_user" DROP COLUMN "following_count" CASCADE;
ALTER TABLE "rr_user" DROP COLUMN "followers_count" CASCADE;
ALTER TABLE "rr_user" DROP COLUMN "allow_networking" CASCADE;
--
-- Raw SQL operation
--

DROP TRIGGER IF EXISTS rr_network_counts_truncate ON rr_network;
DROP TRIGGER IF EXISTS rr_network_counts ON rr_network;
DROP FUNCTION IF EXISTS rr_network_counts_truncate();
DROP FUNCTION IF EXISTS rr_network_counts();
DROP FUNCTION IF EXISTS rr_network_apply_counts(bigint, bigint, integer);

--
-- Create model Network
--
DROP TABLE "rr_network" CASCADE;
--
-- Raw SQL operation
--
SET LOCAL lock_timeout = '3s'; SET LOCAL statement_timeout = '5s';
COMMIT;

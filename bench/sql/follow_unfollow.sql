-- The raw-SQL ceiling of follow+unfollow (pgbench -D first_client=ID -D first_target=ID
-- -D targets=N -D spread=1 -f bench/sql/follow_unfollow.sql): the follow's INSERT and the
-- unfollow's DELETE on rr_network, one transaction each; the count trigger updates both users'
-- rows in each. pgbench client k is the bench's client k, among its own N targets (no two
-- clients share a link); with spread=0 all follow first_target, the hot user.
\set f :first_client + :client_id
\set t :first_target + (:client_id * :targets + random(0, :targets - 1)) * :spread
INSERT INTO rr_network (follower_id, following_id, created_at) VALUES (:f, :t, now());
DELETE FROM rr_network WHERE follower_id = :f AND following_id = :t;

-- The raw-SQL ceiling of the network list (pgbench -D viewer=ID -D size=N -f bench/sql/list.sql):
-- a page as one statement: the viewer's links to active users, newest first, each user's fields,
-- latest checklist (LATERAL) and summary of days (rr_user_days), both follow directions, the total.
SELECT n.id, u.id, u.username, u.allow_networking, u.follow_approval, u.followers_count, u.following_count,
       u.date_joined, c.score, c.created_at,
       ud.last_date, ud.last_offset, ud.kept_last, ud.kept_run, ud.longest, ud.strength_sum,
       EXISTS (SELECT 1 FROM rr_network y WHERE y.follower_id = :viewer AND y.following_id = u.id),
       EXISTS (SELECT 1 FROM rr_network b WHERE b.following_id = :viewer AND b.follower_id = u.id),
       count(*) OVER ()
FROM rr_network n
JOIN rr_user u ON u.id = n.following_id AND u.is_active
LEFT JOIN LATERAL (
    SELECT c.score, c.created_at FROM rr_checklist c
    WHERE c.user_id = u.id AND c.created_at <= now() + interval '10 minutes'
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1
) c ON true
LEFT JOIN rr_user_days ud ON ud.user_id = u.id
WHERE n.follower_id = :viewer
ORDER BY n.id DESC
LIMIT :size + 1;

-- The raw-SQL ceiling of the network list (pgbench -D viewer=ID -D size=N -f bench/sql/list.sql):
-- what a page shows, as one statement: the viewer's links to active users, newest first,
-- each user's fields, their latest checklist once per row (LATERAL), both follow
-- directions and the list's total. The list's streak fields are not in it.
SELECT n.id, u.id, u.username, u.allow_networking, u.follow_approval, u.followers_count, u.following_count,
       u.date_joined, c.score, c.created_at,
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
WHERE n.follower_id = :viewer
ORDER BY n.id DESC
LIMIT :size + 1;

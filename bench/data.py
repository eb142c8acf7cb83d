"""Benchmark data, built with set-based SQL (INSERT ... SELECT generate_series), never row by row.

Every function takes a DB-API cursor (psycopg's or Django's), so tests/bench_harness builds a
tiny version inside the test database. Users get an unusable password ('!').
"""

USER_COLUMNS = "password, is_superuser, username, is_active, is_staff, date_joined"


def users_insert(cursor, prefix, count):
    """Insert `count` users named `<prefix><n>` (n = 1..count); return their ids in n order."""
    cursor.execute(
        f"""
        INSERT INTO rr_user ({USER_COLUMNS})
        SELECT '!', false, %s::text || g, true, false, now() - g * interval '1 minute'
        FROM generate_series(1, %s::int) AS g
        RETURNING id
        """,
        [prefix, count],
    )
    return sorted(row[0] for row in cursor.fetchall())


def checklists_insert(cursor, user_ids, days, *, regrets_each=0):
    """Give each user one checklist a day for `days` days back from now (today first).

    Scores vary between users and days; every checklist but today's is completed. Optionally
    `regrets_each` regrets per checklist, the first of them resolved.
    """
    cursor.execute(
        """
        INSERT INTO rr_checklist (user_id, created_at, score, completed)
        SELECT u, now() - d * interval '1 day', ((u * 7919 + d * 104729) %% 10001) / 10000.0, d > 0
        FROM unnest(%s::bigint[]) AS u, generate_series(0, %s::int - 1) AS d
        """,
        [list(user_ids), days],
    )
    if regrets_each:
        cursor.execute(
            """
            INSERT INTO rr_regret (checklist_id, description, created_at, success)
            SELECT c.id, 'regret number ' || r, c.created_at, r = 1
            FROM rr_checklist c, generate_series(1, %s::int) AS r
            WHERE c.user_id = ANY(%s::bigint[])
            """,
            [regrets_each, list(user_ids)],
        )


def follows_insert(cursor, follower_id, following_ids):
    """`follower_id` follows each of `following_ids` (the count triggers run as in production)."""
    cursor.execute(
        """
        INSERT INTO rr_network (follower_id, following_id, created_at)
        SELECT %s::bigint, f, now() FROM unnest(%s::bigint[]) WITH ORDINALITY AS t (f, n) ORDER BY n
        """,
        [follower_id, list(following_ids)],
    )


def app_fixture(cursor, *, list_sizes, checklists_per_friend, history_sizes, load_clients, targets_per_client):
    """bench.wrk's data; the ids by role: `max(list_sizes)` friends with `checklists_per_friend` daily
    checklists each, viewer N following the first N; history user N with N past days (3 regrets a
    day) and today's; `load_clients` clients with `targets_per_client` targets each; one hot user."""
    friends = users_insert(cursor, "friend_", max(list_sizes))
    checklists_insert(cursor, friends, checklists_per_friend)
    viewers = {}
    for size in list_sizes:
        (viewers[size],) = users_insert(cursor, f"viewer_{size}_", 1)
        follows_insert(cursor, viewers[size], friends[:size])
    history = {}
    for size in history_sizes:
        (history[size],) = users_insert(cursor, f"history_{size}_", 1)
        checklists_insert(cursor, [history[size]], size + 1, regrets_each=3)
    clients = users_insert(cursor, "client_", load_clients)
    targets = {
        client: users_insert(cursor, f"target_{index}_", targets_per_client)
        for index, client in enumerate(clients, start=1)
    }
    (hot,) = users_insert(cursor, "hot_", 1)
    for table in ("rr_user", "rr_checklist", "rr_regret", "rr_network"):
        cursor.execute(f"ANALYZE {table}")
    return {"viewers": viewers, "history": history, "clients": clients, "targets": targets, "hot": hot}


# The count repair's follow graph, users base .. base + n - 1: u follows the users k * STRIDE places
# after it (k = 1 .. per_user, wrapping; no pair repeats while STRIDE * per_user < n), and every
# CELEBRITY_EVERY-th user also follows the first, a celebrity: the repair's heaviest batch.
STRIDE = 7919
CELEBRITY_EVERY = 10

_GRAPH_SQL = """
WITH p AS (SELECT %(base)s::bigint AS base, %(n)s::bigint AS n, %(per_user)s::int AS per_user,
                  %(stride)s::bigint AS stride, %(every)s::bigint AS every)
INSERT INTO rr_network (follower_id, following_id, created_at)
SELECT p.base + u, p.base + (u + k * p.stride) %% p.n, now()
FROM p, generate_series(0::bigint, p.n - 1) AS u, generate_series(1, p.per_user) AS k
UNION ALL
SELECT p.base + u, p.base, now()
FROM p, generate_series(1::bigint, p.n - 1) AS u
WHERE u %% p.every = 0
  AND NOT EXISTS (
      SELECT 1 FROM generate_series(1, p.per_user) AS k WHERE (u + k * p.stride) %% p.n = 0
  )
"""


def graph_insert(cursor, *, base, n, per_user, stride=STRIDE):
    """Insert the follow graph described above, as one statement; returns rows inserted."""
    if stride * per_user >= n:
        raise ValueError(f"{n} users are too few for {per_user} follows each, {stride} apart")
    cursor.execute(_GRAPH_SQL, {"base": base, "n": n, "per_user": per_user, "stride": stride, "every": CELEBRITY_EVERY})
    return cursor.rowcount


# Drift to repair: 1 % of users have one follower too many, 0.1 % lost two
# followings (never below zero), and the celebrity's count is off by 5.
DRIFT_SQL = """
UPDATE rr_user SET
    followers_count = followers_count + CASE WHEN id %% 100 = 0 THEN 1 ELSE 0 END
                                      + CASE WHEN id = %(celebrity)s::bigint THEN 5 ELSE 0 END,
    following_count = CASE WHEN id %% 1000 = 7 THEN greatest(following_count - 2, 0) ELSE following_count END
WHERE id %% 100 = 0 OR id %% 1000 = 7 OR id = %(celebrity)s::bigint
"""


def drift_introduce(cursor, *, celebrity):
    cursor.execute(DRIFT_SQL, {"celebrity": celebrity})
    return cursor.rowcount

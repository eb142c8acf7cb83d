"""Reads of the follow graph: the lists (in a fixed number of queries whatever their length), requests, blocks."""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from django.db import connection, connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import F, QuerySet
from django.utils import timezone

from rr.accounts.models import User
from rr.accounts.selectors import user_by_username
from rr.checklists import days
from rr.checklists.services import checklist_latest_bound
from rr.common.errors import NotFound
from rr.network import links
from rr.network.models import Block, FollowRequest, Network

LIST_KINDS = ("following", "followers")


def user_get_active(*, username: str) -> User:
    """An active user by username (exact, else a unique case-insensitive match), else 404."""
    return user_by_username(username=username, active_only=True)


def user_get_any(*, username: str) -> User:
    """A user by username whether active or not (for unfollowing), else 404."""
    return user_by_username(username=username)


# A list entry's columns, as one hand-written statement serves them (network_page and
# network_user_read share them): the other user `u`, their latest checklist
# `latest` (a LATERAL join: once per row, served by the (user_id, created_at) index;
# never one in the future: legacy rows may hold some, and the score would be forged),
# and the timestamps already in the API's format (TIMESTAMP_SQL): PostgreSQL formats
# them, so no datetime is built or formatted in Python (2,000 per page of 1,000).
# Measured alone on the bench data, the statement is faster this way than with the latest
# checklist as two correlated subqueries and datetimes sent, and the request no longer
# runs 2,000 datetimes through Django's Python loader and strftime. The score comes as
# float8, the float the entry shows (the same double as float() of the numeric): no
# Decimal is built for it.
TIMESTAMP_SQL = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
# The user's summary of days (rr_user_days, days.SUMMARY_COLUMNS) comes with the row:
# the streak fields are computed from it (entries_stats_read) without
# reading the user's history.
_ENTRY_COLUMNS = f"""
    u.id, u.username, u.allow_networking, u.follow_approval, u.followers_count, u.following_count,
    {TIMESTAMP_SQL.format("u.date_joined")}, latest.score::float8, {TIMESTAMP_SQL.format("latest.created_at")},
    {days.SUMMARY_COLUMNS}
"""
_LATEST_JOIN = f"""
    LEFT JOIN LATERAL (
        SELECT c.score, c.created_at FROM rr_checklist c
        WHERE c.user_id = u.id AND c.created_at <= %(bound)s
        ORDER BY c.created_at DESC, c.id DESC LIMIT 1
    ) latest ON true
    {days.SUMMARY_JOIN}
"""
_ENTRY_KEYS = (
    "user_id",
    "username",
    "allow_networking",
    "follow_approval",
    "followers_count",
    "following_count",
    "date_joined",
    "latest_score",
    "latest_created_at",
    *(f"days_{key}" for key in days.SUMMARY_KEYS),
    "you_follow",
    "follows_you",
)
# A page's row: the link's id and the entry (then the whole list's size).
_PAGE_KEYS = ("link_id", *_ENTRY_KEYS)
# A row's summary of days, in days.SUMMARY_KEYS order.
_SUMMARY_OF_ROW = itemgetter(*(f"days_{key}" for key in days.SUMMARY_KEYS))
# Whether the viewer follows `u` / is followed by `u`; on a list, one side is the link itself.
_YOU_FOLLOW = "EXISTS (SELECT 1 FROM rr_network y WHERE y.follower_id = %(viewer)s AND y.following_id = u.id)"
_FOLLOWS_YOU = "EXISTS (SELECT 1 FROM rr_network y WHERE y.following_id = %(viewer)s AND y.follower_id = u.id)"

# One page of a list and the whole list's size, in one statement: the size is an
# uncorrelated subquery (run once) beside the page's rows; an empty page asks for it alone.
_COUNT_SQL = """
    SELECT count(*) FROM rr_network n JOIN rr_user u ON u.id = n.{other}_id AND u.is_active
    WHERE n.{mine}_id = %(viewer)s
"""
_PAGE_SQL = """
    SELECT n.id, {columns}, {you_follow}, {follows_you}, ({count})
    FROM rr_network n
    JOIN rr_user u ON u.id = n.{other}_id AND u.is_active
    {latest}
    WHERE n.{mine}_id = %(viewer)s AND n.id < %(cursor)s
    ORDER BY n.id DESC
    LIMIT %(limit)s
"""
_SIDES = {"following": ("follower", "following"), "followers": ("following", "follower")}
_PAGE_SQLS = {
    kind: _PAGE_SQL.format(
        columns=_ENTRY_COLUMNS,
        you_follow="true" if kind == "following" else _YOU_FOLLOW,
        follows_you="true" if kind == "followers" else _FOLLOWS_YOU,
        count=_COUNT_SQL.format(mine=mine, other=other),
        latest=_LATEST_JOIN,
        mine=mine,
        other=other,
    )
    for kind, (mine, other) in _SIDES.items()
}
_COUNT_SQLS = {kind: _COUNT_SQL.format(mine=mine, other=other) for kind, (mine, other) in _SIDES.items()}
NO_CURSOR = 2**63 - 1


def network_page(
    *, user: User, kind: str, cursor: int | None = None, limit: int, now: datetime | None = None
) -> tuple[list[dict[str, Any]], int]:
    """(rows, count): `user`'s links on one side of the graph to active users, newest first,
    at most `limit` of those with a link id below `cursor`; `count` is the whole list's size.

    One round trip whatever the length (two for a page past the end): the page's statement
    and the viewer's recent nudges (entries_stats_read), sent together. Rows are dicts:
    `link_id` (the keyset), `user_id`, `username`, `allow_networking`, `follow_approval`,
    `followers_count`, `following_count`, `date_joined`, `latest_score` (a float),
    `latest_created_at` (timestamps as YYYY-MM-DDTHH:MM:SSZ text, None without a
    checklist), `you_follow`, `follows_you`, the summary of days (`days_*`), and `stats`
    (rr.checklists.days.Stats) and `nudged_today` (entries_stats_read).
    """
    if kind not in LIST_KINDS:
        raise ValueError(kind)
    alias = router.db_for_read(Network)
    params: dict[str, Any] = {
        "viewer": user.pk,
        "cursor": cursor or NO_CURSOR,
        "limit": limit,
        "bound": checklist_latest_bound(),
    }
    also = entries_stats_read(viewer=user, now=now)
    with connections[alias].cursor() as db:
        db.execute(f"{_PAGE_SQLS[kind]}; {also.sql}", {**params, **also.params})
        rows = db.fetchall()
        if not rows:
            db.execute(_COUNT_SQLS[kind], params)
            return [], db.fetchone()[0]
        db.nextset()
        add = also.load(db)
    # One dict a row (zip stops before the trailing count): half the cost of a dict of the
    # entry's keys merged into one with link_id, on a page of 1,000.
    return add([dict(zip(_PAGE_KEYS, row)) for row in rows]), rows[0][-1]


_USER_ENTRY_SQL = f"""
    SELECT {_ENTRY_COLUMNS}, {_YOU_FOLLOW}, {_FOLLOWS_YOU}
    FROM rr_user u
    {_LATEST_JOIN}
    WHERE u.id = %(target)s
"""


def network_user_read(*, user: User, target_id: int, also: links.Read | None = None) -> links.Read:
    """One user as a row of network_page (without `link_id`), as `user` sees them, as a
    links.Read: the follow runs it under its locks (rr.network.links.follow_round_trip).

    `also`, a Read whose load returns a function of the rows (entries_stats_read), is sent
    with it and applied to the row.
    """

    def load(cursor: CursorWrapper) -> dict[str, Any]:
        row = cursor.fetchone()
        if row is None:  # deleted since the caller looked it up
            raise NotFound("No such user.", code="user_not_found")
        entry = dict(zip(_ENTRY_KEYS, row, strict=True))
        if also is not None:
            cursor.nextset()
            also.load(cursor)([entry])
        return entry

    params = {"viewer": user.pk, "target": target_id, "bound": checklist_latest_bound()}
    if also is None:
        return links.Read(_USER_ENTRY_SQL, params, load)
    return links.Read(f"{_USER_ENTRY_SQL}; {also.sql}", {**params, **also.params}, load)


# The viewer's nudges of the last two UTC dates: enough to tell whether each user of a page
# was nudged on their own current day (entries_stats_read). Read by the sender's index
# (sender, created_at), not by the page's ids: a few days of one sender's nudges are at most
# rr.notifications.services.NUDGES_PER_DAY a day, whatever the page's length, and a nudge's
# local_date (the recipient's day when sent) is never two days past its created_at's UTC
# date (offsets reach +14 h; rr/notifications/services.py). rr_nudge is
# rr/notifications/models.py's Nudge, a layer above: the entry's nudged_today field reads
# its table, never its module (the Nudge model and its writes build on this package).
_NUDGED_SQL = """
    SELECT recipient_id, local_date FROM rr_nudge
    WHERE sender_id = %(nudge_sender)s AND created_at >= %(nudge_sent_since)s AND local_date >= %(nudge_since)s
"""


def entries_stats_read(*, viewer: User, now: datetime | None = None) -> links.Read:
    """The viewer's recent nudges as one links.Read (sent with the rows' own statement): its
    load returns the function that adds `stats` and `nudged_today` to entry rows.

    The rows carry each user's summary of days (the days_* columns of _ENTRY_COLUMNS,
    days.SUMMARY_COLUMNS): the streak and strength come from it, and only a user it does
    not decide (days.summary_users_stats) costs one more query.
    """
    now = now or timezone.now()
    since = days.today_at(0, now) - timedelta(days=1)
    params = {
        "nudge_sender": viewer.pk,
        "nudge_since": since,
        "nudge_sent_since": datetime.combine(since - timedelta(days=2), time(), tzinfo=UTC),
    }

    def load(cursor: CursorWrapper) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
        nudged = set(cursor.fetchall())

        def add(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            summaries = {row["user_id"]: _SUMMARY_OF_ROW(row) for row in rows}
            stats = days.summary_users_stats(summaries, now=now)
            for row in rows:
                row["stats"] = stats[row["user_id"]]
                row["nudged_today"] = (row["user_id"], row["stats"].today) in nudged
            return rows

        return add

    return links.Read(_NUDGED_SQL, params, load)


def networking_described(user: User) -> str:
    """The user's networking settings in words, as the API's settings and the web app show them."""
    if not user.allow_networking:
        return "Networking is off: nobody can start following you and your regret index is hidden."
    if user.follow_approval:
        return "Networking is on with approval: follows are requests you accept; only followers see your index."
    return "Networking is on: others can follow you and see your regret index."


def follow_requests(*, user: User, direction: str) -> "QuerySet[FollowRequest, Any]":
    """The user's pending requests, newest first: rows of id, username (the other user), since."""
    if direction == "incoming":
        rows = FollowRequest.objects.filter(target=user, requester__is_active=True).annotate(
            username=F("requester__username")
        )
    elif direction == "outgoing":
        rows = FollowRequest.objects.filter(requester=user, target__is_active=True).annotate(
            username=F("target__username")
        )
    else:
        raise ValueError(direction)
    return rows.order_by("-id").values("id", "username", "created_at")


def blocks(*, user: User) -> "QuerySet[Block, Any]":
    """Whom the user blocks, newest first."""
    return (
        Block.objects.filter(blocker=user)
        .annotate(username=F("blocked__username"))
        .order_by("-id")
        .values("id", "username", "created_at")
    )


# Pairs that must not exist while a block stands, in either direction.
_ACROSS_BLOCK_SQL = """
    SELECT
        (SELECT count(*) FROM rr_block b JOIN rr_network x
         ON (x.follower_id, x.following_id) IN ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id))),
        (SELECT count(*) FROM rr_block b JOIN rr_follow_request x
         ON (x.requester_id, x.target_id) IN ((b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)))
"""


def across_blocks() -> dict[str, int]:
    """{"links": n, "pending requests": n} between two users while either blocks the other (0 and 0 when sound).

    For verify_deployment and initialize_network_counts: block_create removes both in the
    block's transaction, so anything found here was written around the application.
    """
    with connection.cursor() as cursor:
        cursor.execute(_ACROSS_BLOCK_SQL)
        crossing_links, crossing_requests = cursor.fetchone()
    return {"links": crossing_links, "pending requests": crossing_requests}

"""Reads of the follow graph: the lists (in a fixed number of queries whatever their length), requests, blocks."""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
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
# network_user_read share them, and _entries reads them): the other user `u`, their latest checklist
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
# the streak fields are computed from it (_entries) without reading the user's history.
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
# Where _entries finds each value in a row of _ENTRY_COLUMNS, you_follow, follows_you.
_SUMMARY = slice(9, 9 + len(days.SUMMARY_KEYS))
_YOU_FOLLOWS, _FOLLOWS_YOU_AT = _SUMMARY.stop, _SUMMARY.stop + 1
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
    SELECT {columns}, {you_follow}, {follows_you}, n.id, ({count})
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


def index_withheld(*, allow_networking: bool, follow_approval: bool, you_follow: bool) -> bool:
    """Whether the viewer may not see a user's regret index, streak and strength.

    The one rule: withheld when networking is off, and when the user approves their
    followers (follow_approval) and the viewer does not follow them. Every follower of
    such a user was accepted, or followed before approval was on, which counts alike.
    """
    return not allow_networking or (follow_approval and not you_follow)


def _entries(rows: Sequence[Sequence[Any]], nudged: set[tuple[int, Any]], now: datetime) -> list[dict[str, Any]]:
    """The API's list entries (rr.network.serializers.NetworkUserSerializer's fields, in its
    order) from rows of _ENTRY_COLUMNS, you_follow, follows_you (and whatever follows).

    Built straight from the rows, once: on a page of 1,000 a dict a row and then DRF's
    fields cost twice this (docs/BENCHMARKS.md). The streak fields come from the summary
    columns (days.summary_users_stats: one more query only for a user it does not decide);
    `nudged`, the viewer's (user id, local date) nudges, tells nudged_today.
    """
    stats = days.summary_users_stats(((row[0], row[_SUMMARY]) for row in rows), now=now)
    entries = []
    for row in rows:
        user_id, you_follow = row[0], row[_YOU_FOLLOWS]
        mine = stats[user_id]
        withheld = index_withheld(allow_networking=row[2], follow_approval=row[3], you_follow=you_follow)
        entries.append(
            {
                "id": user_id,
                "username": row[1],
                "regret_index": None if withheld else -1 if row[8] is None else row[7],
                "checklist_created_at": None if withheld else row[8],
                "allow_networking": row[2],
                "followers_count": row[4],
                "following_count": row[5],
                "date_joined": row[6],
                "you_follow": you_follow,
                "follows_you": row[_FOLLOWS_YOU_AT],
                "current_streak": None if withheld else mine.current_streak,
                "strength": None if withheld else float(mine.strength),
                "nudged_today": (user_id, mine.today) in nudged,
                "kept_today": None if withheld else mine.kept_today,
            }
        )
    return entries


def network_page(
    *, user: User, kind: str, cursor: int | None = None, page_size: int, now: datetime | None = None
) -> tuple[list[dict[str, Any]], int, int | None]:
    """(entries, count, next_cursor): `user`'s links on one side of the graph to active users,
    newest first, at most `page_size` of those with a link id below `cursor`, as the API's
    list entries (_entries); `count` is the whole list's size; `next_cursor` the last link's
    id when more follow, else None.

    One round trip whatever the length (two for a page past the end): the page's statement
    and the viewer's recent nudges (_nudges_read), sent together.
    """
    if kind not in LIST_KINDS:
        raise ValueError(kind)
    now = now or timezone.now()
    alias = router.db_for_read(Network)
    params: dict[str, Any] = {
        "viewer": user.pk,
        "cursor": cursor or NO_CURSOR,
        "limit": page_size + 1,
        "bound": checklist_latest_bound(),
    }
    nudges = _nudges_read(viewer=user, now=now)
    with connections[alias].cursor() as db:
        db.execute(f"{_PAGE_SQLS[kind]}; {nudges.sql}", {**params, **nudges.params})
        rows = db.fetchall()
        if not rows:
            db.execute(_COUNT_SQLS[kind], params)
            return [], db.fetchone()[0], None
        db.nextset()
        nudged = nudges.load(db)
    more = len(rows) > page_size
    rows = rows[:page_size]
    return _entries(rows, nudged, now), rows[0][-1], rows[-1][-2] if more else None


_USER_ENTRY_SQL = f"""
    SELECT {_ENTRY_COLUMNS}, {_YOU_FOLLOW}, {_FOLLOWS_YOU}
    FROM rr_user u
    {_LATEST_JOIN}
    WHERE u.id = %(target)s
"""
_NAMED_USER_ENTRY_SQL = _USER_ENTRY_SQL.replace("%(target)s", links.NAMED_USER_SQL)


def network_user_read(*, user: User, target_id: int | None, now: datetime | None = None) -> links.Read:
    """One user as an entry of network_page, as `user` sees them, as a links.Read (its
    statement and the viewer's nudges): the follow runs it under its locks
    (rr.network.links.follow_round_trip), the entry in the same round trip as the link.
    `target_id` None: the user the follow's round trip found by name (links.NAMED_USER_SQL).
    """
    now = now or timezone.now()
    nudges = _nudges_read(viewer=user, now=now)

    def load(cursor: CursorWrapper) -> dict[str, Any]:
        row = cursor.fetchone()
        if row is None:  # deleted since the caller looked it up
            raise NotFound("No such user.", code="user_not_found")
        cursor.nextset()
        return _entries([row], nudges.load(cursor), now)[0]

    params = {"viewer": user.pk, "target": target_id, "bound": checklist_latest_bound()}
    entry_sql = _USER_ENTRY_SQL if target_id is not None else _NAMED_USER_ENTRY_SQL
    return links.Read(f"{entry_sql}; {nudges.sql}", {**params, **nudges.params}, load)


# The viewer's nudges of the last two UTC dates: enough to tell whether each user of a page
# was nudged on their own current day (_entries). Read by the sender's index
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


def _nudges_read(*, viewer: User, now: datetime) -> links.Read:
    """The viewer's recent nudges as one links.Read, sent with the entries' own statement:
    its load returns them as a set of (recipient id, local date)."""
    since = days.today_at(0, now) - timedelta(days=1)
    params = {
        "nudge_sender": viewer.pk,
        "nudge_since": since,
        "nudge_sent_since": datetime.combine(since - timedelta(days=2), time(), tzinfo=UTC),
    }
    return links.Read(_NUDGED_SQL, params, lambda cursor: set(cursor.fetchall()))


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

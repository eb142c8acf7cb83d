"""When a follow goes in, becomes a request or is refused: the one ladder, in SQL and in Python.

The follow's single round trip (rr/network/links.py follow_round_trip) inserts the link
only where DIRECT_FOLLOW_SQL holds; when it did not, follow_decision names the outcome
from the state read under the same lock. Both forms are written here, side by side:
a rung added to one is added to the other. The preview (rr.network.services.
network_target_check) climbs the same ladder.

The rungs, first first: self, inactive follower, gone or inactive target or a block
either way (never announced: as if the user did not exist), networking off, already
following. A target with follow_approval on then gets a request instead of a link.
Tests: tests/network/test_follow.py, tests/network/test_requests.py, tests/network/test_blocks.py.
"""

from rr.accounts.models import User
from rr.common import locks
from rr.common.errors import Conflict, Forbidden, NotFound, ServiceError, Unauthorized

FOLLOW = "follow"
REQUEST = "request"

# Either user blocks the other (rr_block), and the link exists (rr_network), of the pair
# %(follower)s -> %(following)s.
BLOCKED_SQL = """EXISTS (
    SELECT 1 FROM rr_block WHERE (blocker_id = %(follower)s AND blocked_id = %(following)s)
    OR (blocker_id = %(following)s AND blocked_id = %(follower)s)
)"""
LINKED_SQL = "EXISTS (SELECT 1 FROM rr_network WHERE follower_id = %(follower)s AND following_id = %(following)s)"

# No rung refuses and the target takes followers without approval: follow_decision
# would say FOLLOW. Read after the users' lock (rr.common.locks.USERS_LOCK_SQL), so it
# decides on the same committed state as the ladder below.
DIRECT_FOLLOW_SQL = f"""
    %(follower)s <> %(following)s
    AND EXISTS (SELECT 1 FROM rr_user WHERE id = %(follower)s AND is_active)
    AND EXISTS (
        SELECT 1 FROM rr_user WHERE id = %(following)s AND is_active AND allow_networking AND NOT follow_approval
    )
    AND NOT {BLOCKED_SQL}
    AND NOT {LINKED_SQL}
"""


def follow_refusal(
    *, follower: User, target: User, users: dict[int, locks.UserState], linked: bool = False, blocked: bool = False
) -> ServiceError | None:
    """The refusal of `follower` following `target`, first rung first; None if the follow may go on.

    `users` is {id: rr.common.locks.UserState} as read (under the users' lock when
    following; a user missing is gone), `linked` whether the link exists, `blocked`
    whether either blocks the other.
    """
    if target.pk == follower.pk:
        return Conflict("You cannot follow yourself.", code="cannot_follow_self")
    me = users.get(follower.pk)
    if me is None or not me.is_active:
        return Unauthorized("Your account is inactive or deleted.", code="account_inactive")
    them = users.get(target.pk)
    if them is None or not them.is_active or blocked:
        return NotFound("No such user.", code="user_not_found")
    if not them.allow_networking:
        return Forbidden(f"{target.username} does not allow networking.", code="networking_disabled")
    if linked:
        return Conflict(f"You already follow {target.username}.", code="already_following")
    return None


def follow_decision(
    *, follower: User, target: User, users: dict[int, locks.UserState], linked: bool, blocked: bool
) -> str:
    """FOLLOW or REQUEST (the target approves their followers); the ladder's refusal raised."""
    error = follow_refusal(follower=follower, target=target, users=users, linked=linked, blocked=blocked)
    if error is not None:
        raise error
    return REQUEST if users[target.pk].follow_approval else FOLLOW

"""Bearer authentication: simplejwt's header handling, this release's token rules."""

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from rr.accounts import tokens
from rr.common import routers

if TYPE_CHECKING:
    from rr.accounts.models import User


class ValidatedToken:
    """The decoded payload of an access token, as request.auth."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    @property
    def session_id(self) -> Any:
        return self.payload.get("sid")


class AuthenticatedRequest(Request):
    """A request as the views behind IsAuthenticated see it: the token's user, its payload.

    For annotations only (DRF builds plain Requests): `request: AuthenticatedRequest`.
    """

    user: "User"
    auth: ValidatedToken


class SessionJWTAuthentication(JWTAuthentication):
    """An access token is valid when its signature and expiry are (legacy ones: in the
    grace period only), its user is active, it was issued at or after the user's
    `tokens_valid_after`, and its session (`sid`) has not ended. The user row, with its
    session's existence, is the one query, as with simplejwt's own class."""

    def get_validated_token(self, raw_token: bytes) -> ValidatedToken:  # type: ignore[override]
        try:
            return ValidatedToken(tokens.decode(raw_token, token_type="access"))
        except tokens.InvalidTokenText as exc:
            raise InvalidToken("Token is invalid or expired.") from exc

    def get_user(self, validated_token: ValidatedToken) -> "User":  # type: ignore[override]
        # Imported here: DRF imports this module while its views load, which the models
        # themselves may be doing (rr/models.py -> rr.network.models -> rr.common.errors -> DRF).
        from rr.accounts.selectors import user_for_request  # noqa: PLC0415

        session_id = _session_id(validated_token)
        user, session_live = user_for_request(user_id=_user_id(validated_token), session_id=session_id)
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found")
        if not tokens.issued_in_time(validated_token.payload, user):
            raise AuthenticationFailed(
                "This session has ended (the password was set or changed): log in again.", code="session_ended"
            )
        if session_id is not None and not session_live:
            # Ended (logout, DELETE /auth/sessions/<id>/, logout-all, a password change, a
            # recovery) or expired and swept: its access token dies with it.
            raise AuthenticationFailed("This session has ended: log in again.", code="session_ended")
        routers.acting_user(user.pk)  # the replica routing's requester: rr/common/routers.py
        return user


def _session_id(validated_token: ValidatedToken) -> int | None:
    """The token's session id; None for a legacy token (no `sid`, see rr.accounts.tokens)."""
    sid = validated_token.get("sid")
    if sid is None:
        return None
    if not isinstance(sid, int) or isinstance(sid, bool):
        raise InvalidToken("Token contained no recognizable session.")
    return sid


def _user_id(validated_token: ValidatedToken) -> int:
    try:
        return int(validated_token["user_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("Token contained no recognizable user identification.") from exc

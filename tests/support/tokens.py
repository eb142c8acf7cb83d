"""Tokens for tests: a real session's token, its claims changed and signed again."""

import jwt
from django.conf import settings

from rr.accounts import services as account_services


def claims(token):
    """A token's payload, its signature unchecked."""
    return jwt.decode(token, options={"verify_signature": False})


def reissued(token, *, key=None, drop=(), **changes):
    """`token`'s claims with `changes`, without those in `drop`, signed with `key` (the
    current JWT key by default)."""
    payload = {name: value for name, value in {**claims(token), **changes}.items() if name not in drop}
    return jwt.encode(payload, key or settings.JWT_SIGNING_KEY, algorithm="HS256")


def session_token(user, kind="access", **changes):
    """A token of a new session of `user`, with `changes` to its claims."""
    token = account_services.tokens_for(user)[kind]
    return reissued(token, **changes) if changes else token

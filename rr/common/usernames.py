"""The one fold of a username: what two names must not share (rr/accounts/services.py
username_taken) and what keys a name's rate limits (rr/common/throttling.py)."""

import unicodedata


def username_key(username: str) -> str:
    """What two names must not share: the name trimmed, NFKC-normalised and case-folded."""
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)

"""Run inside `manage.py shell` against a scratch copy of the legacy database (see
test_legacy_tokens.py): mints tokens as the previous release did, or plays a scenario
through the API, and prints one JSON line.

    PROBE='{"step": "mint", "users": [...]}' manage.py shell -c "from tests.legacy.token_probe import main; main()"
"""

import json
import os
from datetime import timedelta

from django.test import Client


def _legacy_token_classes():
    # The previous release's simplejwt settings: 15-minute access, 36,500-day refresh,
    # rotation and blacklist, signed with its SECRET_KEY (this process's SIGNING_KEY).
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    class LegacyAccess(AccessToken):
        lifetime = timedelta(minutes=15)

    class LegacyRefresh(RefreshToken):
        lifetime = timedelta(days=36500)
        access_token_class = LegacyAccess

    return LegacyRefresh


def mint(users, per_user):
    """`per_user` refresh/access pairs for each username, exactly as RefreshToken.for_user
    made them (with the outstanding-token row holding the text); run before the upgrade."""
    from rr.accounts.models import User

    legacy_refresh = _legacy_token_classes()
    minted = {}
    for username in users:
        # Only the legacy columns: this database has not been migrated yet.
        user = User.objects.only("id", "is_active").get(username=username)
        pairs = []
        for _ in range(per_user):
            refresh = legacy_refresh.for_user(user)
            pairs.append({"refresh": str(refresh), "access": str(refresh.access_token)})
        minted[username] = pairs
    return minted


def _post(path, body, access=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"} if access else {}
    response = Client().post(path, json.dumps(body), content_type="application/json", **headers)
    return response.status_code, response.json()


def _get(path, access):
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {access}")
    return response.status_code, response.json()


def play(tokens):
    """The grace-period scenario; every status the API answered, by step."""
    report = {}
    owner, spare, stranger = tokens["owner"], tokens["spare"], tokens["stranger"]
    report["legacy_access"] = _get("/api/checklists/", owner["access"])[0]
    report["legacy_access_user"] = _get("/auth/user/", owner["access"])

    status, fresh_owner = _post("/auth/jwt/refresh/", {"refresh": owner["refresh"]})
    report["owner_refresh"] = status
    report["owner_refresh_again"] = _post("/auth/jwt/refresh/", {"refresh": owner["refresh"]})[0]
    report["owner_new_access"] = _get("/api/checklists/", fresh_owner["access"])[0]

    status, fresh_stranger = _post("/auth/jwt/refresh/", {"refresh": stranger["refresh"]})
    report["stranger_refresh"] = status
    report["stranger_reads"] = _get("/api/checklists/", fresh_stranger["access"])[0]

    # The owner claims the account first; every other session ends.
    status, claimed = _post("/auth/password/", {"password": "the owner's own passphrase 9"}, fresh_owner["access"])
    report["claim"] = status
    report["claimed_user"] = _get("/auth/user/", claimed["tokens"]["access"])
    report["stranger_access_after_claim"] = _get("/api/checklists/", fresh_stranger["access"])[0]
    report["stranger_refresh_after_claim"] = _post("/auth/jwt/refresh/", {"refresh": fresh_stranger["refresh"]})[0]
    report["stranger_claim_after_claim"] = _post(
        "/auth/password/", {"password": "the stranger's passphrase 7"}, fresh_stranger["access"]
    )[0]
    report["spare_legacy_refresh_after_claim"] = _post("/auth/jwt/refresh/", {"refresh": spare["refresh"]})[0]
    report["spare_legacy_access_after_claim"] = _get("/api/checklists/", spare["access"])[0]
    report["owner_after_claim"] = _post("/auth/jwt/refresh/", {"refresh": claimed["tokens"]["refresh"]})[0]
    return report


def try_refresh(tokens):
    """Each legacy pair's refresh and access, as statuses."""
    return [
        {
            "refresh": _post("/auth/jwt/refresh/", {"refresh": pair["refresh"]})[0],
            "access": _get("/api/checklists/", pair["access"])[0],
        }
        for pair in tokens
    ]


def main():
    args = json.loads(os.environ["PROBE"])
    if args["step"] == "mint":
        result = mint(args["users"], args["per_user"])
    elif args["step"] == "play":
        result = play(args["tokens"])
    else:
        result = try_refresh(args["tokens"])
    print(json.dumps(result))

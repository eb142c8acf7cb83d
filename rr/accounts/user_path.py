"""The base of every API view whose path names a user (`<username>`): the name resolved once.

As Sentry's endpoints convert their path arguments before the handler runs
(Endpoint.convert_args), the views of rr/network/api.py and the nudge's take the user
from `self.named_user`, looked up here by the accounts' one selector
(rr.accounts.selectors.user_by_username), after authentication and throttling. A view
whose write finds the user in its own round trip (the follow and the unfollow:
`finds_named_user = False`) has the name checked here and looks it up by the same rule in
SQL (USERNAME_ID_SQL).
"""

from typing import Any, cast

from rest_framework.request import Request

from rr.accounts.models import User
from rr.accounts.selectors import user_by_username
from rr.common.api import AuthenticatedAPIView
from rr.common.errors import ServiceError

USERNAME_MAX = 255


def username_checked(value: str) -> str:
    """`value` if some stored name could be it, else a 400 on the field `username`."""
    # Legacy names may hold spaces or other odd characters, so only what no stored name
    # can be is refused here; everything else is looked up exactly.
    if not value or len(value) > USERNAME_MAX or "\x00" in value:
        raise ServiceError(f"Invalid username: 1-{USERNAME_MAX} characters.", field="username")
    return value


class UserPathAPIView(AuthenticatedAPIView):
    # The user the path names, as `self.named_user`, or a 400 (no name can be that) or 404
    # (user_not_found). DELETE undoes something (unfollow, remove a follower, unblock) and
    # finds inactive users too; every other method finds active users only. (A comment, not
    # a docstring: drf-spectacular would copy it into every endpoint's description.)
    named_user: User
    # False: the handler finds the user itself, by the name in the path (checked here all the
    # same), in the round trip of its write (the follow and the unfollow: rr.network.links
    # NAMED_USER_SQL).
    finds_named_user = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = cast(str, request.method).lower()  # a request being served has its method
        if method == "options" or method not in self.http_method_names or not hasattr(self, method):
            return  # answered without the user (OPTIONS, 405), as before the look-up moved here
        username = username_checked(kwargs["username"])
        if self.finds_named_user:
            self.named_user = user_by_username(username=username, active_only=request.method != "DELETE")

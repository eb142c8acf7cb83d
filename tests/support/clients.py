"""API clients for tests: anonymous, or holding a fresh access token."""

from rest_framework.test import APIClient

from rr.accounts import services as account_services


def client_for(user=None):
    """An API client authenticated as `user` (a fresh access token), anonymous for None."""
    if user is None:
        return APIClient()
    return client_with_token(account_services.tokens_for(user)["access"])


def client_with_token(access):
    """An API client sending `Authorization: Bearer <access>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client

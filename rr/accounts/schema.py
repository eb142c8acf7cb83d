"""OpenAPI: SessionJWTAuthentication is simplejwt's bearer scheme `jwtAuth` (imported by rr.accounts.api)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class SessionJWTScheme(SimpleJWTScheme):
    target_class = "rr.accounts.authentication.SessionJWTAuthentication"

"""The one settings module: every deployment difference comes from the environment."""

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

from config.databases import POSTGRESQL, POSTGRESQL_ENGINE, configure_databases
from rr.common.logging import log_level

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# Commands that read only the code run with no environment at all (a pre-commit hook's
# `manage.py makemigrations --check`): a throwaway key, and no database unless one is named.
CODE_ONLY_COMMANDS = {"makemigrations"}
CODE_ONLY = Path(sys.argv[0]).name == "manage.py" and sys.argv[1:2] != [] and sys.argv[1] in CODE_ONLY_COMMANDS

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not CODE_ONLY and not env_bool("RR_ALLOW_INSECURE_KEY"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-local-runs-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
if os.environ.get("RENDER_EXTERNAL_HOSTNAME"):
    ALLOWED_HOSTS.append(os.environ["RENDER_EXTERNAL_HOSTNAME"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "rr",
]

MIDDLEWARE = [
    "rr.common.middleware.RequestLogMiddleware",
    # Second: every answer carries the Content-Security-Policy (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "rr.common.health.HealthCheckMiddleware",
    # A GET/HEAD that lost its database connection runs once more (rr/common/middleware.py).
    "rr.common.middleware.SafeReadRetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rr.common.routing.OptionalTrailingSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # django.contrib.auth's, loading a browser's user only with its live session.
    "rr.accounts.browser.LiveSessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rr.web.errors.WebErrorMiddleware",
    "rr.common.routers.ReplicaRoutingMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "rr" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL everywhere (`make run` starts an embedded one and sets DATABASE_URL).
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.config(
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] != POSTGRESQL:
        raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database: the product runs on PostgreSQL only.")
    # Django's backend with a health check that costs no round trip on a quiet connection
    # (rr/common/postgresql/base.py): CONN_HEALTH_CHECKS without a `SELECT 1` per request.
    DATABASES["default"]["ENGINE"] = POSTGRESQL_ENGINE
elif CODE_ONLY:
    # Django's placeholder backend: makemigrations skips it when it checks the applied history.
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
else:
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (make run starts an embedded one).")
DATABASES["default"].setdefault("OPTIONS", {})
# Fail fast (503) instead of hanging when the database is unreachable.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "3")))
# PgBouncer, the direct server and a read replica (config/databases.py, docs/SCALING.md).
configure_databases(
    DATABASES,
    os.environ,
    lambda url: {
        **dj_database_url.parse(
            url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")), conn_health_checks=True
        ),
        "ENGINE": POSTGRESQL_ENGINE,
    },
)
DATABASE_POOL_MODE = os.environ.get("DATABASE_POOL_MODE", "").strip().lower()
DATABASE_ROUTERS = ["rr.common.routers.ReplicaRouter"]
# Reads go to the primary while the replica lags more than this (or is down).
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
# A user who wrote reads from the primary for this long (read-your-own-writes).
READ_YOUR_WRITES_SECONDS = float(os.environ.get("READ_YOUR_WRITES_SECONDS", str(REPLICA_MAX_LAG_SECONDS + 2)))
# How long a lag-tolerant read may wait for the replica to replay the position it needs
# before it goes to the primary (rr/common/routers.py).
REPLICA_CATCH_UP_MS = float(os.environ.get("REPLICA_CATCH_UP_MS", "10"))
# Tests and benchmarks: answers to lag-tolerant reads say which server served them.
REPLICA_ROUTE_HEADER = env_bool("REPLICA_ROUTE_HEADER")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "rr.User"
# argon2id at OWASP's configuration (rr/accounts/hashers.py); the others verify hashes made
# before (the previous release's PBKDF2), and a login rehashes those with the first.
PASSWORD_HASHERS = [
    "rr.accounts.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Cache: Redis when REDIS_URL is set (rate limits shared by every process), else local memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "rr"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "rr" / "web" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it in production; whitenoise wants it to exist
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# A checklist's day closes this long after its local midnight (docs/API.md, "Day close"):
# yesterday's list can still be ticked just after midnight; then it is frozen.
DAY_CLOSE_GRACE_HOURS = int(os.environ.get("DAY_CLOSE_GRACE_HOURS", "6"))

# Web Push (rr/notifications/push.py): the VAPID key pair's private half, base64url
# (`manage.py vapid_keys` makes one), and the contact URI push services see (mailto: or
# https:). Without a key, GET /api/push/key/ answers 503 and nothing is pushed.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
VAPID_SUBJECT = (os.environ.get("VAPID_SUBJECT") or "mailto:support@regretregret.app").strip()
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("VAPID_SUBJECT must be a mailto: or https:// URI.")
# Tests only: the one origin (e.g. http://127.0.0.1:8767) push requests may go to besides
# public https:// hosts, for the loopback push service of tests/notifications. Off by default.
WEBPUSH_TEST_ORIGIN = os.environ.get("WEBPUSH_TEST_ORIGIN", "").strip()

# Request bodies beyond this are refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_BODY_BYTES", str(64 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rr.accounts.authentication.SessionJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rr.common.renderers.JSONRenderer"],  # DRF's JSON, written by orjson
    "DEFAULT_PARSER_CLASSES": ["rr.common.parsers.JSONBodyParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "rr.common.parsers.BodyNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rr.common.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    # The per-address rate limits trust X-Forwarded-For only behind this many proxies;
    # DRF's default (None) would take the header as sent, letting a client pick its address.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES") or "0"),
    "DEFAULT_THROTTLE_RATES": {
        "signup": os.environ.get("RATE_SIGNUP", "20/hour"),
        "login": os.environ.get("RATE_LOGIN", "30/minute"),
        "follow": os.environ.get("RATE_FOLLOW", "10/minute"),
        "network_list": os.environ.get("RATE_NETWORK_LIST", "60/minute"),
        # Password logins by name (rr.common.throttling.login_allowed): per client address, per
        # (name, address), and a per-name ceiling that an address the name signed in from skips.
        "login_address": os.environ.get("RATE_LOGIN_ADDRESS", "30/hour"),
        "login_name": os.environ.get("RATE_LOGIN_NAME", "10/hour"),
        "login_name_ceiling": os.environ.get("RATE_LOGIN_NAME_CEILING", "100/hour"),
        # /admin/login/ and the API's and web's logins to staff accounts: per address, per-name ceiling.
        "admin_login": os.environ.get("RATE_ADMIN_LOGIN", "10/hour"),
        "admin_login_ceiling": os.environ.get("RATE_ADMIN_LOGIN_CEILING", "30/hour"),
        # Guesses only the signed-in owner can make (current_password, the deletion's password):
        # per address and per name; recovery codes (long random secrets): per address only.
        "password_guess": os.environ.get("RATE_PASSWORD_GUESS", "10/hour"),
        "recovery": os.environ.get("RATE_RECOVERY", "10/hour"),
    },
}

# The key that signs tokens is its own setting, so that rotating SECRET_KEY does not end
# every session by accident. Refresh tokens the previous release issued (no `sid` claim)
# are checked with LEGACY_JWT_SIGNING_KEY, the key that release used (its SECRET_KEY), and
# accepted for LEGACY_TOKEN_GRACE_DAYS after migration rr 0004 was applied (0: not at all).
# See docs/OPERATIONS.md, "Legacy tokens".
JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY
LEGACY_JWT_SIGNING_KEY = os.environ.get("LEGACY_JWT_SIGNING_KEY") or JWT_SIGNING_KEY
LEGACY_TOKEN_GRACE_DAYS = int(os.environ.get("LEGACY_TOKEN_GRACE_DAYS") or "30")

SIMPLE_JWT: dict[str, Any] = {
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "30"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "30"))),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Regret Regret API",
    "DESCRIPTION": "Daily regret checklists and the accountability network.",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI's assets are served from our own static files, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Tags in the order a client meets them, /health/, error examples: rr/common/openapi.py.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "rr.common.openapi.postprocess"],
    # Path ids (<id:...>, rr.common.converters.IdConverter: 1-18 digits) are integers in the
    # schema, as the ids of the responses are; drf-spectacular would publish a custom
    # converter as a string with its regex.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
}

# Production hardening; `manage.py check --deploy` is clean when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Joining browsers' preload lists is a lasting decision for the domain's owner,
    # not a default; check --deploy would otherwise warn about it.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A form posted without its token (an expired page): words in the web app, JSON elsewhere.
CSRF_FAILURE_VIEW = "rr.web.errors.csrf_failure"

# How a user who lost their password reaches support (an e-mail address or a URL), shown
# on the web app's log-in and recovery pages; support issues the recovery code
# (docs/OPERATIONS.md, "Support: account recovery"). Empty: the pages say to ask the
# person who runs this server.
SUPPORT_CONTACT = os.environ.get("SUPPORT_CONTACT", "").strip()

# django-csp's header on every answer (docs/HARDENING.md, "Content-Security-Policy"): our own
# files only, no inline script or style, no plugins, never framed. Pages write no inline
# <script>, style="" or on*="" (htmx's eval and its inline indicator style are off in
# web/base.html's htmx-config); the self-contained error page's one <style> is allowed by
# its hash on that answer alone (rr/web/errors.py). img-src data: is for the Swagger UI's
# and the admin's CSS icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

LOG_LEVEL = log_level(os.environ)  # any case; a bad value stops start-up naming LOG_LEVEL
# JSON lines for the log platform (production); readable lines with DEBUG on (`make run`).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "rr.common.logging.JsonFormatter"},
        "text": {"()": "rr.common.logging.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "filters": {"unhandled_only": {"()": "rr.common.logging.UnhandledErrorsOnly"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The request middleware logs every request once; django.request adds the
        # trace of each unhandled error (from a view or a middleware) and nothing else.
        "django.request": {"level": "ERROR", "filters": ["unhandled_only"]},
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        # A refused Host header is logged once, at WARNING, by the request line.
        "django.security.DisallowedHost": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}

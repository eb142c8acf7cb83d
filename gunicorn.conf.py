"""gunicorn settings for production (render.yaml's startCommand); everything from the environment."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Finish in-flight requests on deploys and restarts (Render waits up to 30 s by default).
graceful_timeout = 25
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200

# Django's request middleware logs one JSON line per request; gunicorn's own access
# log would only repeat it. gunicorn's error log (start, stop, worker timeouts) goes
# out as JSON too, so one parser reads everything.
accesslog = None
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "rr.common.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}

# gunicorn's control socket (a fixed path under $HOME) is not used on Render, and two
# servers on one machine would fight over it.
control_socket_disable = True

"""Gunicorn settings for production, used by the README's command:

    gunicorn -c deploy/gunicorn.conf.py config.wsgi

Gunicorn is not exposed to clients: a buffering reverse proxy (deploy/nginx.conf)
reads whole requests and responses, so a slow or idle client holds an nginx
connection (cheap), never a gunicorn thread. Every value can be overridden from
the environment (RELAIS_GUNICORN_*); docs/operations.md explains the figures.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.logging import logging_config  # noqa: E402


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(f"RELAIS_GUNICORN_{name}")
    return int(value) if value else default


bind = os.environ.get("RELAIS_GUNICORN_BIND", "127.0.0.1:8000")
# One worker per core, 4 threads each: the threads keep a request answered
# while others wait on PostgreSQL (a lock, a slow statement); more processes than
# cores only cost CPU (bench/oidc_flow.py on 2 cores: 2x4 used 2-3 ms less per
# flow than 4x4, docs/performance.md "Per-flow cost").
worker_class = "gthread"
workers = _env_int("WORKERS", os.cpu_count() or 1)
threads = _env_int("THREADS", 4)
# Pending connections beyond the workers' reach wait in the kernel, not in Python.
backlog = _env_int("BACKLOG", 256)
# A worker that does not report within `timeout` s is killed and replaced: longer
# than the longest database wait (statement timeout 15 s) plus rendering.
timeout = _env_int("TIMEOUT", 30)
# On reload or stop, requests in flight get this long to finish.
graceful_timeout = _env_int("GRACEFUL_TIMEOUT", 20)
# nginx reuses upstream connections (keepalive in deploy/nginx.conf); an idle one
# is closed after this many seconds.
keepalive = _env_int("KEEPALIVE", 5)
# Request line and headers: a proxy in front never needs more.
limit_request_line = _env_int("LIMIT_REQUEST_LINE", 4094)
limit_request_fields = _env_int("LIMIT_REQUEST_FIELDS", 50)
limit_request_field_size = _env_int("LIMIT_REQUEST_FIELD_SIZE", 8190)
# Recycle workers now and then (slow leaks), not all at once.
max_requests = _env_int("MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("MAX_REQUESTS_JITTER", 500)
# Heartbeat files in memory: a slow /tmp disk cannot make workers look dead.
worker_tmp_dir = os.environ.get("RELAIS_GUNICORN_WORKER_TMP_DIR", "/dev/shm")  # noqa: S108
# No shared control socket (two masters on one host would share
# ~/.gunicorn/gunicorn.ctl): none by default, or one per instance when asked.
control_socket = os.environ.get("RELAIS_GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
if control_socket:
    control_socket_mode = 0o600
# X-Forwarded-* trusted from the local proxy only.
forwarded_allow_ips = os.environ.get("RELAIS_GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Django logs one line per request (ops.middleware); gunicorn's own messages use
# the same UTC, JSON-in-production format.
accesslog = None
logconfig_dict = logging_config(
    json_format=os.environ.get("DJANGO_LOG_FORMAT", "json") == "json",
    level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
)

"""Gunicorn settings for the Custody web process (production profile).

nginx terminates TLS in front of this and streams uploads through unbuffered
(deploy/nginx/custody.conf), so workers must tolerate long request bodies:
threads keep one slow upload from holding a whole worker process.
Every value can be overridden with GUNICORN_* variables from the unit's
environment file (deploy/env.example).
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "vault.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2 + 1))))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Large evidence uploads arrive in resumable chunks; one chunk must fit in this window.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Only the local nginx may claim the request came over TLS.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
# Request bodies are never logged; the access log has no query strings either,
# because a search query could carry a name.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Files the process creates (spooled upload parts included) are readable by the service user only;
# the systemd unit gives it a private /tmp as well.
umask = 0o077
limit_request_line = 8190
limit_request_fields = 100

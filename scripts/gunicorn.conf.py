"""Gunicorn settings for BlockScore (used by scripts/run; fine for production too).

    gunicorn -c scripts/gunicorn.conf.py blockscore.wsgi:application

Environment: BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (worker processes),
GUNICORN_THREADS (threads per worker, default 4), GUNICORN_TIMEOUT (seconds, default
30), GUNICORN_ACCESSLOG ("-" for an access log on stdout).

Without REDIS_URL the cache (throttles, login lockout counters) lives in process memory,
so one worker process (with threads) is the default: several processes would each
count failed logins on their own. With REDIS_URL the default is two processes. With
several workers set PROMETHEUS_MULTIPROC_DIR to an empty folder so /metrics adds up
every worker; the hook below drops a dead worker's gauges.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or (2 if os.environ.get("REDIS_URL") else 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# The app logs every request as a JSON line with its request id (blockscore.request);
# gunicorn's own access log would repeat it, so it is off unless GUNICORN_ACCESSLOG is set.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# Behind a TLS-terminating proxy, trust its X-Forwarded-* headers only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

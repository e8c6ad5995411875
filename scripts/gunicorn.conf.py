"""Gunicorn settings for BlockScore (used by scripts/run; fine for production too).

    gunicorn -c scripts/gunicorn.conf.py blockscore.wsgi:application

Environment: BIND (default 127.0.0.1:8000), WEB_CONCURRENCY (worker processes),
GUNICORN_THREADS (threads per worker), GUNICORN_TIMEOUT (seconds, default 30),
GUNICORN_ACCESSLOG ("-" for an access log on stdout).

Without REDIS_URL the cache (throttles, login lockout counters) lives in process memory,
so one worker process with 4 threads is the default: several processes would each count
failed logins on their own. With REDIS_URL the default is two processes per CPU with 2
threads each: a request spends much of its time waiting for the database, and threads of
one process take turns on its interpreter lock at every query, so fewer threads in more
processes serve more (on 2 CPUs, 4 x 2 answered about a fifth more transfers per second
than 2 x 4; benchmarks/README.md). With several workers set PROMETHEUS_MULTIPROC_DIR to an
empty folder so /metrics adds up every worker; the hook below drops a dead worker's gauges.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
_shared_cache = bool(os.environ.get("REDIS_URL"))
workers = int(os.environ.get("WEB_CONCURRENCY") or (2 * (os.cpu_count() or 1) if _shared_cache else 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or (2 if workers > 1 else 4))
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

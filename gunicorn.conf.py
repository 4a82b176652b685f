"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py dashboard.wsgi`.

Threads (the gthread worker), not one request per process: the sandbox is served by the same
process it is called from, so a worker must be able to answer the dashboard's own upstream call
while a page waits for it. Every value can be overridden from the environment.
"""

import gc
import os

from dashboard import settings

# The sandbox's default OT_API_BASE_URL points at 127.0.0.1:$PORT, so bind from the same PORT.
# In sandbox mode BIND_HOST defaults to the loopback: the sandbox must never face a network.
bind = f"{settings.BIND_HOST}:{settings.PORT}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# gunicorn's control socket has one default path per user, which several servers on one machine
# (the benchmark, the multi-host test) would fight over: off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Logs to stdout/stderr for the process manager. The access log records the path without its
# query string (%(U)s, not %(r)s): nothing a URL carries reaches the log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# The last field is the dashboard's request ID (X-Request-ID), as in the application's own lines.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# Behind a load balancer that sets X-Forwarded-Proto (see SECURE_HTTPS); list its address here.
# The sign-in lockout (axes) believes X-Forwarded-For only from these addresses too.
forwarded_allow_ips = ",".join(settings.FORWARDED_ALLOW_IPS)


def post_worker_init(worker):
    """The application is loaded: what it made lives as long as the worker, so the collector's
    full passes need not scan it again. On the list page such a pass took 55 ms (one request in
    a few dozen paid it); with Django and the dashboard frozen, 15 ms."""
    gc.freeze()


# Metrics from every worker add up when PROMETHEUS_MULTIPROC_DIR names an empty directory, writable
# by the server and emptied before each start (README "Running it in production"). A worker that
# exits leaves its counters there; this marks its live gauges dead.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):

    def child_exit(server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

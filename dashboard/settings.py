"""Settings, all read from the environment (and `.env` when present).

Every value is typed; a value that cannot be read stops start-up with the variable's name.
"""

import warnings
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from pythonjsonlogger.core import RESERVED_ATTRS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _read(name, reader, **kwargs):
    """Read one variable, naming it in the error when its value is unusable."""
    try:
        return reader(name, **kwargs)
    except ImproperlyConfigured:
        raise
    except Exception as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name} has an invalid value: {exc}"
        ) from exc


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name, default):
    """Strict booleans: a typo such as DEBUG=ture stops start-up instead of meaning False."""
    value = env.str(name, default=str(default)).strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be true or false, got {value!r}."
        )
    return value in _TRUE


DEBUG = _bool("DEBUG", False)
SECRET_KEY = _read("SECRET_KEY", env.str, default="")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY is not set. `make run` writes one into .env; "
        "in production set it to a long random string."
    )
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])
PORT = _read("PORT", env.int, default=8000)

# --- OpenTrain -------------------------------------------------------------------------------
OT_API_TOKEN = _read("OT_API_TOKEN", env.str, default="")
# The sandbox is the embedded default: on when no token is configured, or when asked for.
OT_SANDBOX = _bool("OT_SANDBOX", not OT_API_TOKEN)
OT_API_TIMEOUT = _read("OT_API_TIMEOUT", env.float, default=10.0)
if OT_API_TIMEOUT <= 0:
    raise ImproperlyConfigured("Environment variable OT_API_TIMEOUT must be a positive number.")
_default_base = (
    f"http://127.0.0.1:{PORT}/sandbox/api/public/v1"
    if not OT_API_TOKEN
    else "https://app.opentrain.ai/api/public/v1"
)
OT_API_BASE_URL = _read("OT_API_BASE_URL", env.str, default=_default_base).rstrip("/")
_base = urlsplit(OT_API_BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname:
    raise ImproperlyConfigured(
        f"Environment variable OT_API_BASE_URL must be an http(s) URL, got {OT_API_BASE_URL!r}."
    )
# Hosts whose https links (claim, approval, billing, profile) the dashboard renders as links.
OT_LINK_HOSTS = _read(
    "OT_LINK_HOSTS", env.list, default=["app.opentrain.ai", "www.opentrain.ai", "opentrain.ai"]
)
OT_WEB_BASE_URL = _read("OT_WEB_BASE_URL", env.str, default="https://app.opentrain.ai").rstrip("/")

# The address gunicorn binds (gunicorn.conf.py). The sandbox hands its demo tokens to anyone who
# asks, so in sandbox mode only this machine may reach it unless BIND_HOST says otherwise (and
# `check --deploy` warns then, see dashboard/checks.py).
BIND_HOST = _read("BIND_HOST", env.str, default="127.0.0.1" if OT_SANDBOX else "0.0.0.0")  # noqa: S104

# --- Sync: the local mirror, kept current by webhooks and the updates feed ---------------------
# Deliveries are verified with this secret, or with the one stored when the dashboard registered
# the webhook itself (`manage.py opentrain_webhooks register URL`).
OT_WEBHOOK_SECRET = _read("OT_WEBHOOK_SECRET", env.str, default="")
OT_SYNC_POLL_SECONDS = _read("OT_SYNC_POLL_SECONDS", env.float, default=30.0)
OT_SYNC_FULL_SECONDS = _read("OT_SYNC_FULL_SECONDS", env.float, default=900.0)
for _name in ("OT_SYNC_POLL_SECONDS", "OT_SYNC_FULL_SECONDS"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"Environment variable {_name} must be a positive number.")

# --- Notifications: urgent e-mails, the daily digest, team chat channels ----------------------
# The dashboard's own address, for the links in e-mails and chat messages (`check --deploy` warns
# when it is missing in production).
SITE_URL = _read("SITE_URL", env.str, default="").rstrip("/")
if SITE_URL and urlsplit(SITE_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(
        f"Environment variable SITE_URL must be an http(s) URL, got {SITE_URL!r}."
    )
SITE_URL_SET = bool(SITE_URL)  # `check --deploy` warns in production when it is not
SITE_URL = SITE_URL or f"http://127.0.0.1:{PORT}"
DEFAULT_FROM_EMAIL = _read(
    "DEFAULT_FROM_EMAIL", env.str, default="OpenTrain dashboard <dashboard@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# django-environ's e-mail URL: smtp://user:pass@host:587, smtp+tls://..., consolemail://. With
# none, the sandbox keeps every e-mail in its outbox (/sandbox/outbox/); in production no e-mail
# is sent at all (chat channels still are).
EMAIL_URL = _read("EMAIL_URL", env.str, default="")
if EMAIL_URL:
    _mail = _read("EMAIL_URL", env.email_url)
    _options = {}
    if _mail["EMAIL_BACKEND"].endswith(".smtp.EmailBackend"):
        _options = {
            "host": _mail["EMAIL_HOST"],
            "port": _mail["EMAIL_PORT"],
            "username": _mail["EMAIL_HOST_USER"] or "",
            "password": _mail["EMAIL_HOST_PASSWORD"] or "",
            "use_tls": bool(_mail.get("EMAIL_USE_TLS")),
            "use_ssl": bool(_mail.get("EMAIL_USE_SSL")),
            "timeout": 10,
        }
    MAILERS = {"default": {"BACKEND": _mail["EMAIL_BACKEND"], "OPTIONS": _options}}
elif OT_SANDBOX:
    MAILERS = {"default": {"BACKEND": "sandbox.outbox.OutboxBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
NOTIFY_BY_EMAIL = bool(EMAIL_URL) or OT_SANDBOX

# --- Django ----------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "dashboard",
    "dashboard.mirror",
    "dashboard.batches",
    "dashboard.notify",
]
if OT_SANDBOX:
    # The stand-in for OpenTrain: its tables and URLs exist only in sandbox mode.
    INSTALLED_APPS.append("sandbox")

# Background work (sync): the database is the queue, so one machine needs nothing but SQLite
# and many machines share PostgreSQL. `python manage.py sync_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dashboard.middleware.LoginRequired",
    "dashboard.middleware.security_headers",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "dashboard.context_processors.opentrain",
            ],
            "builtins": ["dashboard.templatetags.dashboard"],
        },
    }
]

DATABASES = {
    "default": _read("DATABASE_URL", env.db_url, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if not DATABASES["default"].get("ENGINE", "").startswith("django.db.backends."):
    raise ImproperlyConfigured(
        "Environment variable DATABASE_URL names an unknown database: use sqlite:///path or "
        "postgres://user:password@host:5432/name."
    )
# Connections kept a minute (SQLite too: opening one and setting it up cost 0.75 ms a request).
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # Write-ahead log: a commit is one append, not a rollback journal fsynced and deleted (35 ms
    # a milestone submission on the benchmark machine, under 1 ms with it; docs/benchmarks.md).
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )

CACHES = {"default": _read("CACHE_URL", env.cache_url, default="locmemcache://")}
# django-environ maps redis:// to django-redis whenever that package happens to be installed; the
# dashboard always uses Django's built-in backend (redis-py, from the `prod` extra).
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
    options = CACHES["default"].get("OPTIONS", {})
    CACHES["default"]["OPTIONS"] = {key.lower(): value for key, value in options.items()}

# Rendered rows of the contract list, keyed by what they show (`{% cache %}` in its template): a
# process's own memory, right in every process as a changed row is a new key.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed names for production (`collectstatic` first); plain names elsewhere so tests
# and `make run` serve straight from the source folders.
STATIC_MANIFEST = _bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
if not STATIC_MANIFEST:
    # Without collectstatic there is no STATIC_ROOT yet; the finders serve the files.
    warnings.filterwarnings("ignore", message="No directory at")

CSRF_FAILURE_VIEW = "dashboard.views.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "contract_list"
LOGOUT_REDIRECT_URL = "login"

# --- Security --------------------------------------------------------------------------------
SECURE_HTTPS = _bool("SECURE_HTTPS", False)
# Database sessions; with a cache in front only where every process shares it (Redis, memcached):
# a per-process cache (locmem) would keep a signed-out session alive in another worker.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].startswith(
        ("django.core.cache.backends.redis.", "django.core.cache.backends.memcached.")
    )
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# The load balancers in front (the same variable gunicorn reads): only from these addresses is the
# X-Forwarded-For header believed, so the lockout keys on the person, not on the balancer.
FORWARDED_ALLOW_IPS = _read("FORWARDED_ALLOW_IPS", env.list, default=["127.0.0.1"])
AXES_CLIENT_IP_CALLABLE = "dashboard.client_address.client_address"
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A page in the dashboard's own look (status 429), not axes' plain-text message.
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# `json`: one JSON object a line, `extra=` fields included (the client's `ot_*` fields, which
# scripts/servers.py reads to count upstream calls); `plain`: one line of words for people.
LOG_FORMAT = _read("LOG_FORMAT", env.str, default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(
        f"Environment variable LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}."
    )
# The dashboard's own loggers (and the sandbox's): INFO logs each upstream call; `make run` starts
# the worker at WARNING so the terminal shows the web server's lines and the worker's problems.
LOG_LEVEL = _read("LOG_LEVEL", env.str, default="INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
    raise ImproperlyConfigured(
        f"Environment variable LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {LOG_LEVEL!r}."
    )
_LOG_LINE = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": _LOG_LINE},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": _LOG_LINE},
    },
    # Request lines lose their query string: a URL's values (searches, IDs typed) are not logged.
    "filters": {
        "no_query_values": {"()": "dashboard.logs.NoQueryValues"},
        "quiet_sandbox_api": {"()": "dashboard.logs.QuietSandboxApi"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        "errors": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "level": "ERROR"},
    },
    "loggers": {
        "dashboard": {"handlers": ["console"], "level": LOG_LEVEL},
        # The task runner's own lines ("Starting worker", each task's start and end, "shutting
        # down") are not news; a failed task is, with its traceback (Django's default console
        # showed it only with DEBUG on). The worker sets these loggers' levels from its
        # verbosity, so the handler's level is what holds.
        "django.tasks": {"handlers": ["errors"], "propagate": False},
        "django_tasks_db": {"handlers": ["errors"], "propagate": False},
        "sandbox": {"handlers": ["console"], "level": LOG_LEVEL},
        # httpx names every request's full URL at INFO: a chat channel's URL is a secret.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
            "filters": ["no_query_values"],
        },
        # runserver's access log (`make run`); gunicorn's leaves the query out (gunicorn.conf.py).
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["no_query_values", "quiet_sandbox_api"],
        },
    },
}

# --- Operations: probes, metrics, request IDs (README "Running it in production") --------------
# /readyz answers 503 "sync" once an account's last successful sync is older than this; 0 leaves
# the sync out of readiness. Default: three missed full reconciliations.
OT_READY_SYNC_SECONDS = _read("OT_READY_SYNC_SECONDS", env.float, default=3 * OT_SYNC_FULL_SECONDS)
if OT_READY_SYNC_SECONDS < 0:
    raise ImproperlyConfigured("Environment variable OT_READY_SYNC_SECONDS must be 0 or more.")
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404.
METRICS_TOKEN = _read("METRICS_TOKEN", env.str, default="")
# A load balancer probes over plain http; everything else still moves to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# First, so every log line of a request carries its ID (`request_id`), sent back as X-Request-ID.
# A client's own X-Request-ID is not trusted: the ID is always made here.
MIDDLEWARE = [
    "log_request_id.middleware.RequestIDMiddleware",
    "dashboard.metrics.RequestMetricsMiddleware",
    *MIDDLEWARE,
]
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
NO_REQUEST_ID = "-"  # lines outside a request (the worker, start-up)
LOGGING["filters"]["request_id"] = {"()": "log_request_id.filters.RequestIDFilter"}
# Django attaches the request to its own lines (django.request); its repr carries the query string.
LOGGING["formatters"]["json"]["reserved_attrs"] = [*RESERVED_ATTRS, "request"]
LOGGING["handlers"]["console"]["filters"] = ["request_id"]
LOGGING["handlers"]["errors"]["filters"] = ["request_id"]

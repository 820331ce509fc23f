"""Settings of the Zhenhai social-organisation portal.

One module, every value from the environment (or a ``.env`` file) through django-environ.
Secure by default: ``DEBUG`` is off unless set, ``SECRET_KEY`` is required outside ``DEBUG``.
The embedded defaults (SQLite, eager Celery tasks, local-memory cache) switch on only when
``DATABASE_URL`` / ``REDIS_URL`` are unset, so CI exercises the production path.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE as CSP_NONCE
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or, for container secrets, the file named by ``NAME_FILE``."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env_secret("SECRET_KEY", default="insecure-development-key" if DEBUG else None)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env.str("SITE_NAME", default="镇海区社会组织管理服务平台")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "auditlog",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "zhenhai_so",
    "zhenhai_so.security",
    "registry",
    "evaluation",
    "procurement",
    "partybuilding",
    "targets",
    "disclosure",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before CommonMiddleware, whose refusal of a bad Host (400) would otherwise leave without
    # these two headers (docs/security.md, finding P12).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhenhai_so.security.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "zhenhai_so.security.middleware.AbsoluteSessionLifetimeMiddleware",
    "zhenhai_so.security.middleware.TwoFactorRequiredMiddleware",
    "zhenhai_so.middleware.PasswordChangeRequiredMiddleware",
    "zhenhai_so.security.middleware.SecurityEventMiddleware",
    "zhenhai_so.security.middleware.NoStoreMiddleware",
    "zhenhai_so.security.middleware.LoginRateLimitMiddleware",
    "zhenhai_so.middleware.AuditlogMiddleware",
    # Axes must come last: it turns a locked-out login into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhenhai_so.urls"
WSGI_APPLICATION = "zhenhai_so.wsgi.application"

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
                "django.template.context_processors.i18n",
                "zhenhai_so.context_processors.portal",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database: SQLite when DATABASE_URL is unset, PostgreSQL (psycopg 3) when set.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # No JIT compilation: the pages' counting queries take milliseconds, and their correlated
    # subqueries put them above jit_above_cost, so JIT added 5-10 ms to each (targets dashboard
    # computed afresh: 363 -> 332 ms at 20,000 organisations).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, result store and cache when REDIS_URL is set; in-process otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Logs and carries on without the cache when Redis is down or hung (issue 7).
            "BACKEND": "zhenhai_so.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            # Parallel test processes share one Redis: each pytest-xdist worker keeps its own
            # keys (shared data versions would otherwise change under another worker's test).
            "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
        }
    }
else:
    # Room for the targets' computed results (38 targets x 8 scopes x a few dates) beside the
    # rest; the default of 300 entries would cull them as fast as they are stored.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis down or hung must not hold a page for long (issue 7): connecting and every socket read
# give up after 2 s, a publish is tried once (the job row is saved first and the sweeper hands it
# over again), and nothing waits for results (the task writes its outcome to its job row), which
# also keeps the web process from connecting to the result store when it sends a task.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died without acknowledging it (acks_late) goes back to the queue after
# the visibility timeout, which must be longer than the longest task (the hard time limit).
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60
)
# Imports and exports above this many rows run as tasks with a progress bar (issue 7).
BACKGROUND_ROWS = env.int("BACKGROUND_ROWS", default=2000)
# Seconds a change waits before the targets' series are recomputed, so that a burst of changes
# gives one refresh (``targets.tasks``).
TARGETS_REFRESH_DELAY = env.int("TARGETS_REFRESH_DELAY", default=5)
CELERY_BEAT_SCHEDULE: dict = {
    # registry: after 31 May, tell staff who has not reported for last year (once a year).
    "registry-remind-overdue-annual-reports": {
        "task": "registry.tasks.remind_overdue_annual_reports",
        "schedule": crontab(hour=8, minute=0),
    },
    # Background work (zhenhai_so.jobs): hand lost jobs to the broker again; delete expired
    # downloads and week-old import files.
    "jobs-requeue-stuck": {
        "task": "zhenhai_so.tasks.requeue_stuck_jobs",
        "schedule": crontab(minute="*/5"),
    },
    # Notification e-mails the broker could not take when they were due (Redis down).
    "notifications-email-unsent": {
        "task": "zhenhai_so.tasks.email_unsent_notifications",
        "schedule": crontab(minute="*/15"),
    },
    "jobs-clean-up-files": {
        "task": "zhenhai_so.tasks.clean_up_files",
        "schedule": crontab(hour=3, minute=0),
    },
    # evaluation: staff told of grades expiring within 90 days (once per evaluation and month).
    "evaluation-remind-expiring": {
        "task": "evaluation.tasks.remind_expiring_evaluations",
        "schedule": crontab(hour=8, minute=10),
    },
    # targets: township offices told of a quarterly report due within 7 days or late, staff of
    # reports waiting for review (once per key).
    "targets-remind-quarterly-reports": {
        "task": "targets.tasks.remind_quarterly_reports",
        "schedule": crontab(hour=8, minute=20),
    },
    # targets: the stored series refreshed after changes the debounced task missed (a broker
    # that was down), and all of them each night (the new day's deadlines and years).
    "targets-refresh-pending": {
        "task": "targets.tasks.refresh_pending",
        "schedule": crontab(minute="*"),
    },
    "targets-refresh-all": {
        "task": "targets.tasks.refresh_all",
        "schedule": crontab(hour=0, minute=5),
    },
    # security: idle accounts disabled and the audit hash chain checked daily; audit events
    # older than AUDIT_RETENTION_DAYS purged monthly (SECURITY.md items 7 and 12).
    "security-disable-idle-accounts": {
        "task": "zhenhai_so.security.tasks.disable_idle_accounts",
        "schedule": crontab(hour=2, minute=0),
    },
    "security-anchor-audit-chain": {
        "task": "zhenhai_so.security.tasks.anchor_audit_chain",
        "schedule": crontab(hour=2, minute=10),
    },
    "security-verify-audit-chain": {
        "task": "zhenhai_so.security.tasks.verify_audit_chain",
        "schedule": crontab(hour=2, minute=15),
    },
    "security-purge-audit": {
        "task": "zhenhai_so.security.tasks.purge_audit",
        "schedule": crontab(hour=2, minute=30, day_of_month=1),
    },
}

# --- Accounts, passwords, login safety.
AUTH_USER_MODEL = "zhenhai_so.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "zhenhai_so.auth.PortalBackend",  # ModelBackend, permission sets kept in the cache
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhenhai_so.validators.CharacterClassValidator"},
    {
        "NAME": "zhenhai_so.validators.PortalPasswordValidator",
        "OPTIONS": {"min_length": 10, "max_length": 128},
    },
    {"NAME": "zhenhai_so.security.validators.PasswordHistoryValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "zhenhai_so.auth.axes_username"
# Trusted reverse proxies in front of the portal (0: none, forwarded headers are ignored). The
# one client-address function (zhenhai_so.ratelimit.client_address) serves axes, the rate limits
# and the audit trail.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "zhenhai_so.ratelimit.client_address"

SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# An active session is saved (its idle limit renewed) at most once a minute, not on every request
# (zhenhai_so.security.middleware.SessionRenewalMiddleware).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=8 * 60 * 60)

# Second factor (django-otp, TOTP + recovery codes) for these roles; `make run` empties it.
OTP_REQUIRED_ROLES = env.list(
    "OTP_REQUIRED_ROLES",
    default=["bureau_staff", "system_admin", "security_admin", "audit_admin"],
)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Zhenhai SO portal")
ACCOUNT_IDLE_DAYS = env.int("ACCOUNT_IDLE_DAYS", default=90)
AUDIT_RETENTION_DAYS = 190
# The security event log's hash chain is an HMAC under this key, kept outside the database (env or
# AUDIT_CHAIN_KEY_FILE); unset, a key derived from SECRET_KEY (so rotating SECRET_KEY then breaks
# the chain: set this in production). See docs/security.md, finding P5.
AUDIT_CHAIN_KEY = env_secret("AUDIT_CHAIN_KEY", default="") or ""
# The newest hash and the count, appended daily (beat) to a file the database user cannot change.
AUDIT_ANCHOR_FILE = env.str(
    "AUDIT_ANCHOR_FILE", default=str(BASE_DIR / "var" / "audit-anchors.log")
)

# --- Transport security: on unless explicitly relaxed (make run relaxes it for plain HTTP).
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The container's health check asks over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only a trusted proxy may say the request came over HTTPS; without one the header is the client's.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PROXY_COUNT else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The portal does not decide for its parent domain whether every subdomain is HTTPS-only forever,
# which is what the HSTS preload list means; the district's network office submits that.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp 4; SECURITY.md item 19). No inline scripts or styles: page
# code lives in static/js and reaches data through json_script. An inline script that must exist
# carries nonce="{{ request.csp_nonce }}"; the nonce then joins script-src for that response.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF, CSP_NONCE],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "frame-ancestors": [CSP_NONE],
        "form-action": [CSP_SELF],
    },
}

# --- Uploads.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_ROWS = env.int("UPLOAD_MAX_ROWS", default=50_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- Language and time: Simplified Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zhenhai_so" / "locale"]
# A list filter left open reads "All", not django-filter's "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Notifications are e-mailed only when EMAIL_URL is set; the console backend otherwise.
EMAIL_ENABLED = bool(env.str("EMAIL_URL", default=""))
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@zhenhai.invalid")

# django-import-export: every import is atomic and skips no-op rows in its report.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

MESSAGE_TAGS = {40: "danger"}
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
# Sign-in attempts (POSTs to the login page) one client address may make per window of seconds
# before it gets 429 (zhenhai_so.security.middleware.LoginRateLimitMiddleware).
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=20)
LOGIN_RATE_WINDOW = env.int("LOGIN_RATE_WINDOW", default=60)

# --- Public disclosure pages (disclosure/): requests per client address and window, and how long
# a page's content stays cached (an audited change shows at once: the key holds the newest audit
# entry; 0 turns the cache off).
DISCLOSURE_RATE_LIMIT = env.int("DISCLOSURE_RATE_LIMIT", default=60)
DISCLOSURE_RATE_WINDOW = env.int("DISCLOSURE_RATE_WINDOW", default=60)
DISCLOSURE_CACHE_SECONDS = env.int("DISCLOSURE_CACHE_SECONDS", default=300)

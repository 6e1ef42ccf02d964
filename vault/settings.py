"""Settings for Custody, for both profiles.

``CUSTODY_PROFILE=embedded`` (the default) runs everything in one process on
SQLite with encrypted objects on local disk. ``CUSTODY_PROFILE=production``
requires PostgreSQL, a Celery broker and S3, and refuses unsafe defaults.
Every environment variable is documented in ``deploy/env.example``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vault.env import Env

env = Env()

BASE_DIR = Path(__file__).resolve().parent.parent
PROFILE = env.choice("CUSTODY_PROFILE", ("embedded", "production"), "embedded")
EMBEDDED = PROFILE == "embedded"
PRODUCTION = PROFILE == "production"

# Local state of the embedded profile: database, encrypted objects, key files.
VAR_DIR = env.path("CUSTODY_VAR_DIR", BASE_DIR / "var")

# --- Secret key -------------------------------------------------------------

_REFUSED_SECRET_PREFIXES = ("django-insecure", "change", "changeme", "secret", "dev", "test", "example")


def _secret_key() -> str:
    if env.is_set("SECRET_KEY"):
        key = env.str("SECRET_KEY")
        lowered = key.lower()
        if len(key) < 50 or len(set(key)) < 5 or lowered.startswith(_REFUSED_SECRET_PREFIXES):
            raise ImproperlyConfigured(
                "SECRET_KEY is too short or a well-known placeholder: use at least 50 random characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
            )
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required in the production profile.")
    # Embedded profile: one random key per installation, kept beside the data it protects.
    VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = path.open("x", encoding="ascii")
        path.chmod(0o600)
        with fd:
            fd.write(secrets.token_urlsafe(64))
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("CUSTODY_DEBUG", False)
if DEBUG and PRODUCTION:
    raise ImproperlyConfigured("CUSTODY_DEBUG cannot be enabled in the production profile.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in the production profile (comma-separated).")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -----------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_countries",
    "vault",
    "audit",
    "accounts",
    "teams",
    "cases",
    "evidence",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vault.middleware.NoStoreForSignedInMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vault.urls"
WSGI_APPLICATION = "vault.wsgi.application"
ASGI_APPLICATION = "vault.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "teams.context_processors.integrity_alerts",
                "teams.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------


def _databases() -> dict[str, Any]:
    if env.is_set("DATABASE_URL"):
        config = dj_database_url.parse(env.str("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)
        if PRODUCTION and config["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("The production profile requires a PostgreSQL DATABASE_URL.")
        return {"default": config}
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL is required in the production profile (postgres://...).")
    VAR_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "custody.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so the audit chain's
                # read-head-then-append cannot interleave between writers.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "teams:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout is keyed on username and address together: behind a proxy many
# people share one address, and one attacker must not lock them all out.
AXES_FAILURE_LIMIT = env.int("CUSTODY_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CUSTODY_LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# The sign-in page itself explains a lockout; axes keeps the page the view rendered.
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"

OTP_TOTP_ISSUER = "Custody"

# Sessions: idle and absolute limits are enforced by accounts.middleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = timedelta(minutes=env.int("CUSTODY_SESSION_IDLE_MINUTES", 30, minimum=1))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env.int("CUSTODY_SESSION_ABSOLUTE_HOURS", 12, minimum=1))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SUDO_MODE_TIMEOUT = timedelta(minutes=env.int("CUSTODY_SUDO_MINUTES", 10, minimum=1))

# --- Transport security -----------------------------------------------------

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("CUSTODY_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("CUSTODY_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # nginx terminates TLS and sets this header (deploy/nginx/custody.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        # NONCE is django-csp's placeholder: each response gets its own nonce (request.csp_nonce).
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# Client address: only trust X-Forwarded-For when a proxy we run sets it.
CUSTODY_TRUSTED_PROXY_COUNT = env.int("CUSTODY_TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0, minimum=0)
AXES_IPWARE_PROXY_COUNT = CUSTODY_TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if CUSTODY_TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and storage -----------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
if PRODUCTION:
    # Served from files collected at deploy time (`manage.py collectstatic`), by nginx or WhiteNoise.
    STATIC_ROOT: Path | None = env.path("CUSTODY_STATIC_ROOT", VAR_DIR / "static")
    WHITENOISE_USE_FINDERS = False
else:
    # Served straight from the source tree: nothing to collect, and no empty directory to warn about.
    STATIC_ROOT = env.path("CUSTODY_STATIC_ROOT") if env.is_set("CUSTODY_STATIC_ROOT") else None
    WHITENOISE_USE_FINDERS = True

AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", "") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", env.str("AWS_DEFAULT_REGION", "eu-west-1"))
AWS_KMS_ENDPOINT_URL = env.str("AWS_KMS_ENDPOINT_URL", "") or None
AWS_KMS_REGION_NAME = env.str("AWS_KMS_REGION_NAME", AWS_S3_REGION_NAME)


def _s3(bucket_variable: str) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str(bucket_variable),
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }


def _local(directory: str) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": VAR_DIR / directory,
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


STORAGES: dict[str, dict[str, Any]] = {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if PRODUCTION:
    STORAGES["default"] = _s3("CUSTODY_S3_BUCKET")
    STORAGES["evidence"] = _s3("CUSTODY_EVIDENCE_BUCKET")
    STORAGES["audit"] = _s3("CUSTODY_AUDIT_BUCKET")
else:
    STORAGES["default"] = _local("files")
    STORAGES["evidence"] = _local("objects")
    STORAGES["audit"] = _local("checkpoints")

# Evidence of the countries listed in CUSTODY_EVIDENCE_COUNTRIES is kept in a location of its own,
# storage alias "evidence-<cc>" (production: bucket CUSTODY_EVIDENCE_BUCKET_<CC>; embedded: var/objects-<cc>).
# Cases hosted elsewhere use "evidence". See docs/evidence.md.
CUSTODY_EVIDENCE_STORAGES: dict[str, str] = {}
for _country in env.list("CUSTODY_EVIDENCE_COUNTRIES", []):
    _code = _country.strip().upper()
    CUSTODY_EVIDENCE_STORAGES[_code] = f"evidence-{_code.lower()}"
    STORAGES[f"evidence-{_code.lower()}"] = (
        _s3(f"CUSTODY_EVIDENCE_BUCKET_{_code}") if PRODUCTION else _local(f"objects-{_code.lower()}")
    )
# Host countries whose evidence keys are per country ("jur:<CC>") rather than per organisation.
CUSTODY_JURISDICTION_KEYS = frozenset(code.strip().upper() for code in env.list("CUSTODY_JURISDICTION_KEYS", []))
CUSTODY_MAX_UPLOAD_BYTES = env.int("CUSTODY_MAX_UPLOAD_BYTES", 64 * 1024**3, minimum=1)

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Celery -------------------------------------------------------------------

if PRODUCTION or env.is_set("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    # Embedded profile: tasks run in the web process when the transaction commits.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://",
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CONCURRENCY = env.int("CUSTODY_WORKER_CONCURRENCY", 2, minimum=1)
CELERY_TASK_TIME_LIMIT = env.int("CUSTODY_TASK_TIME_LIMIT", 3600, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
# Limitation deadline reminders for case teams, once a day (idempotent per day).
CELERY_BEAT_SCHEDULE["cases.send_deadline_reminders"] = {
    "task": "cases.send_deadline_reminders",
    "schedule": 24 * 60 * 60,
}
# Evidence integrity sweep: every stored object re-read and checked, once a day.
CELERY_BEAT_SCHEDULE["evidence.verify_all"] = {"task": "evidence.verify_all", "schedule": 24 * 60 * 60}
# Unfinished resumable uploads are removed once CUSTODY_UPLOAD_EXPIRY_DAYS pass without progress.
CELERY_BEAT_SCHEDULE["evidence.purge_stale_uploads"] = {
    "task": "evidence.purge_stale_uploads",
    "schedule": 6 * 60 * 60,
}
CUSTODY_UPLOAD_EXPIRY_DAYS = env.int("CUSTODY_UPLOAD_EXPIRY_DAYS", 7, minimum=1)
# Audit: sign the chain's head every hour (nothing new when it did not move); verify it all nightly.
CELERY_BEAT_SCHEDULE["audit.make_checkpoint"] = {
    "task": "audit.make_checkpoint",
    "schedule": env.int("CUSTODY_AUDIT_CHECKPOINT_SECONDS", 3600, minimum=60),
}
CELERY_BEAT_SCHEDULE["audit.verify_chain"] = {"task": "audit.verify_chain", "schedule": 24 * 60 * 60}
# The chain walk: "auto" = the compiled walker where installed (native/chainwalk), else Python;
# "compiled" = refuse to verify without it; "python" = the Python walk only.
CUSTODY_AUDIT_WALKER = env.choice("CUSTODY_AUDIT_WALKER", ("auto", "compiled", "python"), "auto")
# Also e-mail in-app case notifications through Django's mail backend (EMAIL_* settings).
CUSTODY_NOTIFY_BY_EMAIL = env.bool("CUSTODY_NOTIFY_BY_EMAIL", False)
# Grants to other teams: default and longest duration; expired once a day, warned a week before.
CUSTODY_GRANT_DEFAULT_DAYS = env.int("CUSTODY_GRANT_DEFAULT_DAYS", 90, minimum=1)
CUSTODY_GRANT_MAX_DAYS = env.int("CUSTODY_GRANT_MAX_DAYS", 365, minimum=1)
CUSTODY_GRANT_WARN_DAYS = 7
# Two-person rule: how long a request waits for a second coalition lead, and how long an approval stays usable.
CUSTODY_APPROVAL_WINDOW_HOURS = env.int("CUSTODY_APPROVAL_WINDOW_HOURS", 48, minimum=1)
CELERY_BEAT_SCHEDULE["sharing.expire_grants"] = {"task": "sharing.expire_grants", "schedule": 24 * 60 * 60}
# Court productions: a build that outlived its task's hard time limit is marked failed, every hour.
CELERY_BEAT_SCHEDULE["evidence.production_sweep"] = {"task": "evidence.production_sweep", "schedule": 60 * 60}

# --- REST API -----------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: DRF takes WWW-Authenticate from the first class, so refusals are 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "600/minute"},
    "EXCEPTION_HANDLER": "vault.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Custody API",
    "DESCRIPTION": "Secure evidence vault for strategic litigation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}
API_TOKEN_TTL = timedelta(days=env.int("CUSTODY_API_TOKEN_DAYS", 30, minimum=1))

# --- Logging: never request bodies, never evidence, never identifiers -------

LOG_LEVEL = env.choice("CUSTODY_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's request logger prints the request repr on errors; keep the line, drop the detail.
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        # pikepdf announces its logging bridge at INFO in every process that imports it.
        "pikepdf": {"level": "WARNING"},
    },
}
if env.is_set("CUSTODY_LOG_FILE"):
    LOGGING["handlers"]["file"] = {
        "class": "logging.FileHandler",
        "filename": str(env.path("CUSTODY_LOG_FILE")),
        "formatter": "plain",
    }
    LOGGING["root"]["handlers"].append("file")

# --- Custody-specific ---------------------------------------------------------

CUSTODY_SITE_NAME = env.str("CUSTODY_SITE_NAME", "Custody")
CUSTODY_GNUPG_HOME = env.path("CUSTODY_GNUPG_HOME", VAR_DIR / "gnupg")
# Optional passphrase of the audit checkpoint signing key (docs/audit.md, "Signing key").
CUSTODY_AUDIT_KEY_PASSPHRASE = env.str("CUSTODY_AUDIT_KEY_PASSPHRASE", "") or None

# Envelope encryption (docs/encryption.md): who holds the key-encryption keys, and escrow.
CUSTODY_KEY_PROVIDER = env.choice("CUSTODY_KEY_PROVIDER", ("local", "kms"), "kms" if PRODUCTION else "local")
CUSTODY_KEY_DIR = env.path("CUSTODY_KEY_DIR", VAR_DIR / "keys")
CUSTODY_ESCROW_FINGERPRINTS = [
    fingerprint.replace(" ", "").upper() for fingerprint in env.list("CUSTODY_ESCROW_FINGERPRINTS", [])
]

"""Django settings, read from the environment (12-factor).

Every variable has a default that works out of the box on one machine: SQLite and a
broker that needs no server, both under var/. Production (`DJANGO_ENV=production`)
refuses to start without the settings that must not be guessed.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment wins

VAR_DIR = Path(env.str("ACCESSPORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        return Path(file_name).read_text().strip()
    return env.str(name, default=default)


def development_secret_key() -> str:
    """Generate a secret key once and keep it under var/ for development."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_ENV=production "
            "(or SECRET_KEY_FILE pointing to a file that holds it)."
        )
    SECRET_KEY = development_secret_key()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Encryption of credentials at rest. Several comma-separated keys allow rotation:
# the first encrypts, all decrypt. Defaults to a key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "mozilla_django_oidc",
    "accessportal",
    "connectors",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accessportal.middleware.RequireAdminMFAMiddleware",  # MFA_REQUIRED_FOR_ADMINS
]

ROOT_URLCONF = "accessportal.urls"
WSGI_APPLICATION = "accessportal.wsgi.application"
ASGI_APPLICATION = "accessportal.asgi.application"

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
                "accessportal.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env.str(
    "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'accessportal.sqlite3'}"
)
try:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
except (ImproperlyConfigured, KeyError, ValueError) as error:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL this portal understands ({error}). "
        "Use sqlite:////absolute/path.sqlite3 or postgres://user:password@host:5432/name."
    ) from error
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}:
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme is not supported: {DATABASE_URL.split(':', 1)[0]!r}. "
        "Use sqlite:// or postgres://."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks, use WAL.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identities and sign-in -----------------------------------------------
AUTH_USER_MODEL = "accessportal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "accessportal.oidc.PortalOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_ALLOW_SIGNUP = env.bool("ACCOUNT_ALLOW_SIGNUP", default=False)
ACCOUNT_ADAPTER = "accessportal.auth.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "accessportal.auth.PortalLoginForm"}
ACCOUNT_LOGOUT_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Access Portal")
MFA_REQUIRED_FOR_ADMINS = env.bool("MFA_REQUIRED_FOR_ADMINS", default=IS_PRODUCTION)

# Company SSO (OpenID Connect). Off unless OIDC_RP_CLIENT_ID is set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env_secret("OIDC_RP_CLIENT_SECRET", default="") or ""
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str(
    "OIDC_OP_AUTHORIZATION_ENDPOINT", default=f"{OIDC_OP_ISSUER}/auth"
)
OIDC_OP_TOKEN_ENDPOINT = env.str(
    "OIDC_OP_TOKEN_ENDPOINT", default=f"{OIDC_OP_ISSUER}/token"
)
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default=f"{OIDC_OP_ISSUER}/me")
OIDC_OP_JWKS_ENDPOINT = env.str(
    "OIDC_OP_JWKS_ENDPOINT", default=f"{OIDC_OP_ISSUER}/jwks"
)
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USER", default=True)
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_VERIFY_SSL = env.bool("OIDC_VERIFY_SSL", default=True)
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)  # RFC 9700 recommends it
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"  # SSO did not complete

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Access Portal API",
    "DESCRIPTION": "Request, approve and provision access to Atlassian Cloud.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # tags and operation ids per resource
    # Several models have a `state`, `status` or `kind`: name each enum after its type.
    "ENUM_NAME_OVERRIDES": {
        "RequestStateEnum": "approvals.models.RequestState",
        "GrantStateEnum": "approvals.models.GrantState",
        "GrantOriginEnum": "approvals.models.GrantOrigin",
        "StepStateEnum": "approvals.models.StepState",
        "JobStatusEnum": "approvals.models.JobStatus",
        "JobKindEnum": "approvals.models.JobKind",
        "RunStatusEnum": "connectors.models.RunStatus",
        "AccountStatusEnum": "approvals.api.schema.ACCOUNT_STATUS_CHOICES",
        "EntitlementKindEnum": "approvals.api.schema.ENTITLEMENT_KIND_CHOICES",
        "ResourceKindEnum": "approvals.api.schema.RESOURCE_KIND_CHOICES",
    },
}

# --- Celery -----------------------------------------------------------------
# Default: kombu's filesystem transport under var/ — a real broker that needs no
# server, consumed by a real worker process. Redis when CELERY_BROKER_URL says so.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=(
        CELERY_BROKER_URL
        if CELERY_BROKER_URL.startswith("redis")
        else f"file://{VAR_DIR / 'celery-results'}"
    ),
)
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(
        parents=True, exist_ok=True
    )
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
RECONCILE_INCREMENTAL_CRON = env.str("RECONCILE_INCREMENTAL_CRON", default="0 * * * *")
RECONCILE_FULL_CRON = env.str("RECONCILE_FULL_CRON", default="30 2 * * *")
# Incremental runs read only what the org audit log says changed (where it can).
RECONCILE_CHANGE_FEED = env.bool("RECONCILE_CHANGE_FEED", default=True)


def cron(expression: str) -> crontab:
    """A five-field cron expression as a Celery schedule."""
    fields = expression.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"Not a five-field cron expression: {expression!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "reconcile-incremental": {
        "task": "connectors.tasks.reconcile_all_applications",
        "schedule": cron(RECONCILE_INCREMENTAL_CRON),
        "kwargs": {"incremental": True},
    },
    "reconcile-full": {
        "task": "connectors.tasks.reconcile_all_applications",
        "schedule": cron(RECONCILE_FULL_CRON),
        "kwargs": {"incremental": False},
    },
}

# --- Atlassian connection (bootstraps the default Application) ---------------
# Defaults point at the simulator that `make run` starts on port 8900.
SIMULATOR_URL = env.str("ATLASSIAN_SIMULATOR_URL", default="http://127.0.0.1:8900")
ATLASSIAN_SITE_URL = env.str("ATLASSIAN_SITE_URL", default=SIMULATOR_URL)
ATLASSIAN_ADMIN_EMAIL = env.str(
    "ATLASSIAN_ADMIN_EMAIL", default="portal-bot@acme.example"
)
ATLASSIAN_API_TOKEN = env_secret("ATLASSIAN_API_TOKEN", default="demo-api-token")
ATLASSIAN_DIRECTORY_ID = env.str(
    "ATLASSIAN_DIRECTORY_ID", default="d0d0d0d0-0000-4000-8000-000000000001"
)
ATLASSIAN_SCIM_URL = env.str(
    "ATLASSIAN_SCIM_URL",
    default=f"{SIMULATOR_URL}/scim/directory/{ATLASSIAN_DIRECTORY_ID}",
)
ATLASSIAN_DIRECTORY_API_KEY = env_secret(
    "ATLASSIAN_DIRECTORY_API_KEY", default="demo-directory-api-key"
)
ATLASSIAN_ADMIN_API_URL = env.str("ATLASSIAN_ADMIN_API_URL", default=SIMULATOR_URL)
ATLASSIAN_ORG_ID = env.str(
    "ATLASSIAN_ORG_ID", default="0a0a0a0a-0000-4000-8000-000000000001"
)
ATLASSIAN_ORG_API_KEY = env_secret("ATLASSIAN_ORG_API_KEY", default="demo-org-api-key")
ATLASSIAN_DEFAULT_GROUPS = env.list(
    "ATLASSIAN_DEFAULT_GROUPS", default=["jira-software-users", "confluence-users"]
)
ATLASSIAN_MAX_CONCURRENCY = env.int("ATLASSIAN_MAX_CONCURRENCY", default=8)
ATLASSIAN_CONNECT_TIMEOUT = env.float("ATLASSIAN_CONNECT_TIMEOUT", default=5.0)
ATLASSIAN_READ_TIMEOUT = env.float("ATLASSIAN_READ_TIMEOUT", default=30.0)
if IS_PRODUCTION and ATLASSIAN_API_TOKEN == "demo-api-token":  # noqa: S105
    ATLASSIAN_API_TOKEN = ""  # never ship the simulator's demo credential

# --- Workflow timing ---------------------------------------------------------
REQUEST_PENDING_EXPIRY_DAYS = env.int("REQUEST_PENDING_EXPIRY_DAYS", default=14)
APPROVAL_REMINDER_HOURS = env.int("APPROVAL_REMINDER_HOURS", default=24)
APPROVAL_ESCALATION_HOURS = env.int("APPROVAL_ESCALATION_HOURS", default=72)
GRANT_EXPIRY_REMINDER_DAYS = env.int("GRANT_EXPIRY_REMINDER_DAYS", default=7)
PROVISIONING_MAX_ATTEMPTS = env.int("PROVISIONING_MAX_ATTEMPTS", default=8)
# An Application whose drift policy is "correct" corrects automatically only while a
# check finds at most this many open findings; above it nothing is corrected until an
# admin looks (a first run over pre-existing access, or a misconfiguration, would
# otherwise revoke everything). Findings can still be corrected from the admin.
DRIFT_AUTO_CORRECT_LIMIT = env.int("DRIFT_AUTO_CORRECT_LIMIT", default=100)
PROVISIONING_LEASE_SECONDS = env.int("PROVISIONING_LEASE_SECONDS", default=300)
PROVISIONING_BACKOFF_BASE_SECONDS = env.float(
    "PROVISIONING_BACKOFF_BASE_SECONDS", default=5.0
)
PROVISIONING_BACKOFF_MAX_SECONDS = env.float(
    "PROVISIONING_BACKOFF_MAX_SECONDS", default=900.0
)
# A pending job whose message has not been consumed this long after it became due
# is sent again by the sweeper (its message was probably lost).
PROVISIONING_REQUEUE_GRACE_SECONDS = env.int(
    "PROVISIONING_REQUEUE_GRACE_SECONDS", default=60
)
PROVISIONING_SWEEP_SECONDS = env.float("PROVISIONING_SWEEP_SECONDS", default=60.0)
WORKFLOW_HOUSEKEEPING_SECONDS = env.float(
    "WORKFLOW_HOUSEKEEPING_SECONDS", default=900.0
)

# --- Administrative operations and the ticket trail (issue 9) ----------------
# A Jira (service) project key: every access request opens an issue there and keeps
# it updated. Empty: no ticket trail.
TICKET_TRAIL_PROJECT_KEY = env.str("TICKET_TRAIL_PROJECT_KEY", default="")
TICKET_TRAIL_ISSUE_TYPE = env.str("TICKET_TRAIL_ISSUE_TYPE", default="Task")
# Confluence long tasks (space export, archive): poll every N seconds, for up to M
# seconds inside one job attempt (then the job is put back to poll later), and give
# up after the timeout.
OPERATION_TASK_POLL_SECONDS = env.float("OPERATION_TASK_POLL_SECONDS", default=2.0)
OPERATION_TASK_INLINE_SECONDS = env.float("OPERATION_TASK_INLINE_SECONDS", default=20.0)
OPERATION_TASK_TIMEOUT_SECONDS = env.int("OPERATION_TASK_TIMEOUT_SECONDS", default=7200)
OPERATION_ATTACHMENT_MAX_BYTES = env.int(
    "OPERATION_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024
)
CELERY_BEAT_SCHEDULE.update(
    {
        "requeue-stale-jobs": {
            "task": "approvals.tasks.requeue_stale_jobs",
            "schedule": PROVISIONING_SWEEP_SECONDS,
        },
        "expire-grants": {
            "task": "approvals.tasks.expire_grants",
            "schedule": PROVISIONING_SWEEP_SECONDS,
        },
        "remind-approvers": {
            "task": "approvals.tasks.remind_approvers",
            "schedule": WORKFLOW_HOUSEKEEPING_SECONDS,
        },
        "expire-pending-requests": {
            "task": "approvals.tasks.expire_pending_requests",
            "schedule": WORKFLOW_HOUSEKEEPING_SECONDS,
        },
        "remind-expiring-grants": {
            "task": "approvals.tasks.remind_expiring_grants",
            "schedule": WORKFLOW_HOUSEKEEPING_SECONDS,
        },
        "close-requests-for-vanished-entitlements": {
            "task": "approvals.tasks.close_requests_for_vanished_entitlements",
            "schedule": WORKFLOW_HOUSEKEEPING_SECONDS,
        },
    }
)

# --- Email --------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Access Portal <portal@localhost>"
)

# --- Static files, i18n ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = not IS_PRODUCTION  # no collectstatic needed to develop
STATICFILES_DIRS = [BASE_DIR / "accessportal" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=IS_PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging: ids and outcomes, never secrets ---------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

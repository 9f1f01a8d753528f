"""Touchpoint CRM settings: one file, read from the environment.

Development needs no configuration at all. Production sets at least SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and DEBUG=0; `python -m touchpoint check --deploy` must be clean.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TOUCHPOINT_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable {name} must be an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("TOUCHPOINT_TESTING", default=False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
else:
    SECRET_KEY = env_str("SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
# Where links in mail (surveys, portal invitations) point: the address users reach the site at.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "simple_history",
    "touchpoint.core",
    "touchpoint.org",
    "touchpoint.customers",
    "touchpoint.touchpoints",
    "touchpoint.sales",
    "touchpoint.finance",
    "touchpoint.delivery",
    "touchpoint.service",
    "touchpoint.portal",
    "touchpoint.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "touchpoint.org.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "touchpoint.urls"
FORM_RENDERER = "touchpoint.core.forms.Renderer"
WSGI_APPLICATION = "touchpoint.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "touchpoint" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "touchpoint.core.context_processors.shell",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL selects PostgreSQL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 10),
            "timeout": 10,
        }
        DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"] + "_test"}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "touchpoint.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE columns) serve the receivables reports on PostgreSQL; SQLite builds the
# same index without the extra columns, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Cache ------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Tasks ------------------------------------------------------------------
TASK_BACKEND = env_str("TASK_BACKEND", "database")
if TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "touchpoint.org.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "org/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from hx-headers, not the cookie
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content security policy --------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Languages and time ---------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
FORMAT_MODULE_PATH = ["touchpoint.formats"]
LOCALE_PATHS = [BASE_DIR / "touchpoint" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads live outside static and are never served directly: downloads go through
# access-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/attachments-are-served-by-views/"
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ---------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:port (smtp+tls:// or smtp+ssl:// for TLS),
# console:// or file:///path. Development writes mail to var/mail.
EMAIL_URL = os.environ.get("EMAIL_URL", "" if not DEBUG else f"file://{VAR_DIR / 'mail'}")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Touchpoint CRM <crm@touchpoint.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _configure_email(url: str) -> dict[str, object]:
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parsed = urlparse(url)
    if parsed.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if parsed.scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        query = parse_qs(parsed.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or 25,
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": parsed.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parsed.scheme == "smtp+ssl",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["15"])[0]),
        }
    raise ImproperlyConfigured(f"EMAIL_URL has an unknown scheme: {parsed.scheme!r}")


globals().update(_configure_email(EMAIL_URL))

# --- Service mailbox (IMAP) -------------------------------------------------------
# The worker `python -m touchpoint service_mailbox` reads the support mailbox; it is off while
# IMAP_HOST is unset. SERVICE_MAIL_ADDRESS is the support address: acknowledgements come from it,
# replies to customers name it as Reply-To, and mail from it is never taken in.
IMAP_HOST = env_str("IMAP_HOST", "")
IMAP_SSL = env_bool("IMAP_SSL", default=True)
IMAP_PORT = env_int("IMAP_PORT", 993 if IMAP_SSL else 143)
IMAP_USER = env_str("IMAP_USER", "")
IMAP_PASSWORD = env_str("IMAP_PASSWORD", "")
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
IMAP_BATCH = env_int("IMAP_BATCH", 50)
SERVICE_MAIL_ADDRESS = env_str("SERVICE_MAIL_ADDRESS", IMAP_USER if "@" in IMAP_USER else "")
# More mails than this from one sender within the window are recorded but not taken in.
SERVICE_MAIL_FLOOD_LIMIT = env_int("SERVICE_MAIL_FLOOD_LIMIT", 20)
SERVICE_MAIL_FLOOD_MINUTES = env_int("SERVICE_MAIL_FLOOD_MINUTES", 10)

# --- API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "touchpoint.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "touchpoint.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Touchpoint CRM API",
    "DESCRIPTION": "Customers, contacts, touchpoints and follow-ups of Touchpoint CRM.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "touchpoint.customers.models.CustomerStatus",
        "ContactStatusEnum": "touchpoint.customers.models.ContactStatus",
        "FollowUpStatusEnum": "touchpoint.touchpoints.models.FollowUpStatus",
        "LeadSourceEnum": "touchpoint.sales.models.pipeline.LeadSource",
        "LeadStatusEnum": "touchpoint.sales.models.pipeline.LeadStatus",
        "CustomerSourceEnum": "touchpoint.customers.models.CustomerSource",
    },
}

# --- Touchpoint ------------------------------------------------------------------
# How far in the future an interaction may be dated (clock skew, a meeting logged early).
TOUCHPOINT_FUTURE_TOLERANCE_MINUTES = env_int("TOUCHPOINT_FUTURE_TOLERANCE_MINUTES", 10)
# A customer with no touchpoint for this many days shows on the managers' workspace.
CUSTOMER_QUIET_DAYS = env_int("CUSTOMER_QUIET_DAYS", 30)

# --- Sales -----------------------------------------------------------------------
DEFAULT_CURRENCY = env_str("DEFAULT_CURRENCY", "CNY")
# VAT in percent: software and services, and goods (hardware). Each quote line may override.
TAX_RATE_SERVICES = env_str("TAX_RATE_SERVICES", "6")
TAX_RATE_GOODS = env_str("TAX_RATE_GOODS", "13")
# An open opportunity with no touchpoint for this many days is stalled on the manager's workspace.
OPPORTUNITY_STALLED_DAYS = env_int("OPPORTUNITY_STALLED_DAYS", 21)
# The letterhead on quotes, contracts and acceptance certificates (PDF).
COMPANY_NAME = env_str("COMPANY_NAME", "触点软件科技有限公司")
# The name English letters (payment reminders) are signed with.
COMPANY_NAME_EN = env_str("COMPANY_NAME_EN", "Touchpoint Software Co., Ltd.")
COMPANY_ADDRESS = env_str("COMPANY_ADDRESS", "上海市浦东新区张江高科技园区")
COMPANY_PHONE = env_str("COMPANY_PHONE", "021-5080 0000")
COMPANY_WEBSITE = env_str("COMPANY_WEBSITE", "")
# An optional PNG or SVG logo file for the letterhead.
COMPANY_LOGO = env_str("COMPANY_LOGO", "")
# The public lead form: submissions accepted per client address per hour.
LEAD_FORM_PER_HOUR = env_int("LEAD_FORM_PER_HOUR", 5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

"""Django settings. Every value that varies comes from `environment.Environment` (one typed declaration)."""

from __future__ import annotations

import dj_database_url

from handover.config.environment import VAR_DIR, Environment

ENV = Environment.read()

DEBUG = ENV.debug
SECRET_KEY = ENV.secret_key
ALLOWED_HOSTS = list(ENV.allowed_hosts)
HANDOVER_PROTOCOL = ENV.protocol
HANDOVER_MAINTENANCE = ENV.maintenance
HANDOVER_LETTERS_DIR = ENV.letters_dir  # an authority's own letter wording, outside the package
HANDOVER_BASE_URL = ENV.base_url  # for links in emails
HANDOVER_DIGEST_HOUR = ENV.digest_hour  # the daily digest goes from this hour (local time)
# The largest document a page takes onto a child's file. Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count
# uploaded files, and FILE_UPLOAD_MAX_MEMORY_SIZE only decides memory or a temporary file, so neither refuses
# first: the page stops keeping a larger file and says so (web/children.py). A proxy in front (nginx's
# client_max_body_size) must allow a little more than this.
HANDOVER_DOCUMENT_MAX_BYTES = ENV.document_max_bytes

# Email: the console in development; SMTP, or GOV.UK Notify (docs/sweep.md), in production.
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "notify": "handover.notifications.backends.NotifyEmailBackend",
    "none": "django.core.mail.backends.dummy.EmailBackend",
}[ENV.email_backend]
DEFAULT_FROM_EMAIL = ENV.email_from
HANDOVER_NOTIFY_API_KEY = ENV.notify_api_key
HANDOVER_NOTIFY_BASE_URL = ENV.notify_base_url
# Notify sends with templates made in its admin: one email template with ((subject)) and ((body)).
HANDOVER_NOTIFY_TEMPLATES = {"email": ENV.notify_email_template}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "handover.organisation",
    "handover.onboarding",
    "handover.children",
    "handover.transfers",
    "handover.meetings",
    "handover.documents",
    "handover.notifications",
    "handover.sweep",
    "handover.audit",
    "handover.api",
    "handover.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "handover.web.middleware.RequestClock",
    "handover.web.middleware.ServiceUnavailable",
    "csp.middleware.CSPMiddleware",
    "handover.web.middleware.PrivateResponses",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "handover.config.urls"
WSGI_APPLICATION = "handover.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handover.web.context.page",
            ]
        },
    }
]

DATABASES = {"default": dj_database_url.parse(ENV.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once; SQLite serialises writes.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "web:sign_in"
LOGIN_REDIRECT_URL = "web:my_work"
LOGOUT_REDIRECT_URL = "web:home"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# In development WhiteNoise serves straight from the apps' static folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Served by WhiteNoise from STATIC_ROOT (`handover manage collectstatic`), with hashed, long-cached names.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

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
    "EXCEPTION_HANDLER": "handover.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [  # JSON with a depth and NUL guard (api/parsers.py)
        "handover.api.parsers.GuardedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Handover API",
    "DESCRIPTION": "Case transfers between children's social care teams, run from the authority's protocol.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ChangeReasonEnum": "handover.children.models.ChangeReason",
        "AllocationKindEnum": "handover.children.models.AllocationKind",
        "SignOffKindEnum": "handover.transfers.models.SignOffKind",
        "CaseRequestStatusEnum": "handover.transfers.models.CaseRequest.Status",
        "LegalStatusEnum": "handover.children.models.LEGAL_STATUS_CHOICES",
        "BulkTransferStatusEnum": "handover.transfers.models.BulkTransfer.Status",
    },
}

# Safeguarding data: sessions end with the browser and after 8 hours; cookies secure outside development.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = ENV.secure
CSRF_COOKIE_SECURE = ENV.secure
SECURE_SSL_REDIRECT = ENV.secure
SECURE_HSTS_SECONDS = 31536000 if ENV.secure else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = ENV.secure
SECURE_HSTS_PRELOAD = ENV.secure
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (django-csp): scripts, styles, fonts and images from this site only, no inline
# script or style, no framing, forms post here only. The API's documentation page relaxes it for itself alone
# (api/urls.py). Permissions-Policy and Cache-Control: see web/middleware.PrivateResponses.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if not DEBUG else "WARNING"},
}

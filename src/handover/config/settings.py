"""Django settings. Every value that varies comes from `environment.Environment` (one typed declaration)."""

from __future__ import annotations

import datetime as _dt

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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "handover.organisation",
    "handover.accounts",
    "handover.onboarding",
    "handover.children",
    "handover.transfers",
    "handover.meetings",
    "handover.documents",
    "handover.notifications",
    "handover.sweep",
    "handover.audit",
    "handover.privacy",
    "handover.api",
    "handover.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "handover.web.middleware.RequestClock",
    "handover.web.request_id.RequestId",
    "handover.web.middleware.ServiceUnavailable",
    "csp.middleware.CSPMiddleware",
    "handover.web.middleware.PrivateResponses",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "handover.accounts.middleware.TwoFactorRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns an attempt on a locked username into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
    # Wait for a writer instead of failing at once; SQLite serialises writes. The write-ahead log lets pages read
    # while a write commits, and a commit costs one flush to disk instead of the rollback journal's several
    # (bench/audit_reads.py: every read writes its audit row); synchronous=FULL keeps each commit on disk
    # before the answer goes, so a power cut loses no audit row that a page was shown with.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's four password rules, 12 characters or more: on every page that sets a password (change, reset) and
# wherever staff are given one (organisation/services.staff_create, the demo's --password).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "web:sign_in"
LOGIN_REDIRECT_URL = "web:my_work"
LOGOUT_REDIRECT_URL = "web:home"

# -- Sign-in and tokens (docs/security.md, "Sign-in and tokens") ---------------------------------------------------
# django-axes first: it refuses a locked username before any password is checked, on the sign-in page and at
# POST /api/token/ alike (both pass the request to authenticate(), which axes needs).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout: after HANDOVER_LOCKOUT_FAILURES wrong passwords in a row a username is locked for
# HANDOVER_LOCKOUT_MINUTES. By username, not address: a council's staff share one office address (or a few, from
# its proxies), so locking the address would lock out a whole office because of one person's typing, and a
# guesser who moved address would not be slowed. A right password resets the count.
AXES_FAILURE_LIMIT = ENV.lockout_failures
AXES_COOLOFF_TIME = _dt.timedelta(minutes=ENV.lockout_minutes)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# An attempt while locked starts the wait again, so the page can say exactly how long is left.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_CALLABLE = "handover.accounts.lockout.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# axes.W006 warns that without the address a guesser could change browser to escape the count; not so here: the
# count is summed over every attempt on the username, whatever the address or browser (axes' database handler).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Two-factor (django-otp, TOTP): managers and auditors confirm a code after their password (accounts/two_factor.py).
HANDOVER_REQUIRE_TWO_FACTOR = ENV.require_two_factor
OTP_TOTP_ISSUER = "Handover"
# Each wrong code in a row doubles the wait before the next is checked: 1, 2, 4, 8... seconds.
OTP_TOTP_THROTTLE_FACTOR = 1
# A reset link works for an hour, once.
PASSWORD_RESET_TIMEOUT = 60 * 60
# API tokens expire this many days after they are issued (accounts/tokens.py).
HANDOVER_API_TOKEN_DAYS = ENV.api_token_days
# A read's audit row is committed before its page goes out; the chain seals it within this many seconds while
# pages are read (each process seals at most this often on a read), or with the next write, sweep or verify.
HANDOVER_AUDIT_READ_SEAL_SECONDS = 1.0
# API request rates: per person signed in, per address signed out ("off" in the environment for none).
HANDOVER_API_THROTTLE_RATES = {"user": ENV.api_rate_user, "anon": ENV.api_rate_anon}
# Single sign-on by OpenID Connect (accounts/oidc.py; docs/deployment.md, "Single sign-on"): off unless configured.
HANDOVER_OIDC_ENABLED = ENV.oidc is not None
if ENV.oidc is not None:
    AUTHENTICATION_BACKENDS.append("handover.accounts.oidc.StaffOIDCBackend")
    OIDC_RP_CLIENT_ID = ENV.oidc.client_id
    OIDC_RP_CLIENT_SECRET = ENV.oidc.client_secret
    OIDC_OP_ISSUER = ENV.oidc.issuer
    OIDC_OP_AUTHORIZATION_ENDPOINT = ENV.oidc.authorization_endpoint
    OIDC_OP_TOKEN_ENDPOINT = ENV.oidc.token_endpoint
    OIDC_OP_JWKS_ENDPOINT = ENV.oidc.jwks_endpoint
    OIDC_OP_USER_ENDPOINT = None  # the identity is read from the signed ID token
    OIDC_RP_SCOPES = ENV.oidc.scopes
# The ID token's claim holding the person's email address, and whether the provider asked for a second factor.
HANDOVER_OIDC_CLAIM = ENV.oidc.claim if ENV.oidc else "email"
HANDOVER_OIDC_PROVIDER_MFA = ENV.oidc.provider_mfa if ENV.oidc else False
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False  # never: an identity maps to a member of staff Handover already has, or is refused
OIDC_AUTHENTICATION_CALLBACK_URL = "web:sso_callback"
OIDC_TIMEOUT = 10

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
    # Token first: DRF asks only the first class for a `WWW-Authenticate` header, and without one it answers a
    # request with no credentials (or a bad token) 403 instead of 401. A request with no token falls to the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "handover.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "handover.accounts.throttling.PerPerson",
        "handover.accounts.throttling.PerAddress",
    ],
    # The rates themselves: HANDOVER_API_THROTTLE_RATES (above), read at each request.
    # The client's address is the connection's unless HANDOVER_TRUSTED_PROXIES says how many proxies in front
    # add to X-Forwarded-For: DRF's default would believe any X-Forwarded-For, so one client could be many.
    "NUM_PROXIES": ENV.trusted_proxies,
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
# A load balancer's health probe comes over plain HTTP from inside the network: answer it, not redirect it.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
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

# Logs: every record carries the id of the request it was written for (X-Request-ID; handover.serving.logs).
# In production each is one JSON line on standard error, and `handover serve --production` writes one JSON access
# line per request on standard output (handover.serving.access); in development they stay readable.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "handover.serving.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "handover.serving.logs.JsonFormatter"},
        "readable": {"format": "%(levelname)s %(name)s: %(message)s [request %(request_id)s]"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "readable" if DEBUG else "json",
        },
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "json",
        },
    },
    "root": {"handlers": ["console"], "level": "INFO" if not DEBUG else "WARNING"},
    "loggers": {"handover.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
}

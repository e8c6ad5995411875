"""Base settings: every value comes from the environment (see .env.example)."""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from blockscore.env import env_bool, env_int, env_limits, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("BLOCKSCORE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A random key kept under var/ so local runs need no configuration and
    no secret is ever committed. Production must set SECRET_KEY instead."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# Which settings module is in force: "local", "test" or "production" (set by each module).
ENVIRONMENT = "local"

SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Feature flags.
ENABLE_MFA = env_bool("ENABLE_MFA", True)
ENABLE_RATE_LIMITING = env_bool("ENABLE_RATE_LIMITING", True)
ENABLE_BLOCKCHAIN = env_bool("ENABLE_BLOCKCHAIN", True)
# The chain (audit/chain.py): a JSON-RPC node and the key that signs (and owns the
# contract); no URL = an in-process eth-tester chain, for development and tests only.
BLOCKCHAIN_PROVIDER_URL = env_str("BLOCKCHAIN_PROVIDER_URL", "")
BLOCKCHAIN_PRIVATE_KEY = env_str("BLOCKCHAIN_PRIVATE_KEY", "")
# The attestation contract; empty = the latest one `manage.py deploy_contract` recorded.
BLOCKCHAIN_CONTRACT_ADDRESS = env_str("BLOCKCHAIN_CONTRACT_ADDRESS", "")
BLOCKCHAIN_CONFIRMATION_TIMEOUT = env_int("BLOCKCHAIN_CONFIRMATION_TIMEOUT", 120)
BLOCKCHAIN_REQUEST_TIMEOUT = env_int("BLOCKCHAIN_REQUEST_TIMEOUT", 10)
# Keys the pseudonym of a customer in score attestations; derived from SECRET_KEY when empty.
# Keep it stable: changing it makes earlier attestations unverifiable.
ATTESTATION_PSEUDONYM_KEY = env_str("ATTESTATION_PSEUDONYM_KEY", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_celery_beat",
    # BlockScore, in layer order (an app may import only the apps above it here).
    "blockscore",
    "accounts",
    "audit",
    "wallets",
    "compliance",
    "credit",
    "loans",
]

# Outermost first. Security headers and CORS wrap everything that can answer early
# (the body cap's 413/411), so those answers carry them too.
MIDDLEWARE = [
    "blockscore.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "blockscore.middleware.SecurityHeadersMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "blockscore.middleware.MetricsMiddleware",
    "blockscore.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The chain for requests under /api/ (blockscore.handlers): MIDDLEWARE without what only
# the browser console uses. Bearer tokens authenticate the API, so request.user is the
# anonymous user until DRF has authenticated the request.
_CONSOLE_ONLY_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
}
API_MIDDLEWARE = [
    "blockscore.middleware.AnonymousUserMiddleware"
    if path == "django.contrib.auth.middleware.AuthenticationMiddleware"
    else path
    for path in MIDDLEWARE
    if path not in _CONSOLE_ONLY_MIDDLEWARE
]

ROOT_URLCONF = "blockscore.urls"
WSGI_APPLICATION = "blockscore.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL (postgres://...) for scale.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, sending BEGIN with a transaction's first statement (one round
        # trip less per transaction): blockscore/postgresql/base.py.
        DATABASES["default"]["ENGINE"] = "blockscore.postgresql"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "blockscore.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue
                # instead of failing with "database is locked" on lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (throttles, lockout counters): Redis when configured, else process memory.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "blockscore"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# Argon2id first (memory-hard); older PBKDF2 hashes still verify and are upgraded at login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Requests: bodies above this are refused with 413 before they are read.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# Multipart uploads (KYC documents) may be larger, on these paths only.
MAX_UPLOAD_BODY_BYTES = env_int("MAX_UPLOAD_BODY_BYTES", 16 * 1_048_576)
UPLOAD_PATH_PREFIXES = ("/api/v1/kyc/",)

# E-mail (magic links). Console by default so a local run shows the link.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "BlockScore <no-reply@blockscore.local>")
# Where the link in a magic-link e-mail points (the customer app's page).
MAGIC_LINK_URL = env_str("MAGIC_LINK_URL", "http://127.0.0.1:8000/magic-link?token={token}")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["blockscore.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "blockscore.api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "blockscore.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "blockscore.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["blockscore.api.throttles.DefaultScopeThrottle"],
    "DEFAULT_SCHEMA_CLASS": "blockscore.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "blockscore.api.errors.exception_handler",
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Throttle rates per scope, "<count>/<second|minute|hour|day>". Enforced with an
# atomic counter in the cache (Redis when configured).
THROTTLE_RATES = {
    "anon": env_str("THROTTLE_ANON", "120/minute"),
    "user": env_str("THROTTLE_USER", "600/minute"),
    "login": env_str("THROTTLE_LOGIN", "20/minute"),
    "register": env_str("THROTTLE_REGISTER", "10/hour"),
    "magic_link": env_str("THROTTLE_MAGIC_LINK", "5/hour"),
    "mfa": env_str("THROTTLE_MFA", "10/minute"),
    "money": env_str("THROTTLE_MONEY", "60/minute"),
    "staff": env_str("THROTTLE_STAFF", "600/minute"),
    "webhook": env_str("THROTTLE_WEBHOOK", "600/minute"),
}
# Transfer limits per currency, "CUR=per_transfer/per_day" (major units), comma-separated.
# KYC tiers tighten them per customer through the ledger's pre-transfer check registry.
TRANSFER_LIMITS = env_limits(
    "TRANSFER_LIMITS",
    "USD=10000/25000,EUR=10000/25000,GBP=10000/25000,NGN=5000000/15000000,KES=1000000/3000000,"
    "GHS=100000/300000,ZAR=150000/450000,INR=800000/2500000,JPY=1500000/4000000,KWD=3000/8000,"
    "BHD=3500/9000,BTC=0.5/1",
)

# Seconds an FX quote can be executed.
FX_QUOTE_TTL_SECONDS = env_int("FX_QUOTE_TTL_SECONDS", 60)

# Where customers send bank deposits (shown with each deposit's reference).
BANK_DEPOSIT_BENEFICIARY = env_str("BANK_DEPOSIT_BENEFICIARY", "BlockScore Client Money Account")
BANK_DEPOSIT_ACCOUNT = env_str("BANK_DEPOSIT_ACCOUNT", "GB33BUKB20201555555555")
BANK_DEPOSIT_BANK = env_str("BANK_DEPOSIT_BANK", "Example Bank plc")

# Idempotency-Key records: how long a key is remembered, and how long a duplicate waits
# for the first request to finish before answering 409 (PostgreSQL).
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 86400)
IDEMPOTENCY_LOCK_WAIT_SECONDS = env_int("IDEMPOTENCY_LOCK_WAIT_SECONDS", 5)
# The hot statements (ledger postings, audit events, idempotency records) run as prepared
# statements on PostgreSQL (blockscore/sql.py). Turn off behind a connection pooler in
# transaction mode, where one client's statements may reach another's session.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# Ledger audit events are chained to the audit trail after their transaction commits: on
# PostgreSQL by a thread of each process, AUDIT_CHAIN_DELAY_MS after a commit, for all the
# events committed meanwhile at once (audit/services.py). Off: each committing thread
# chains right after its own commit.
AUDIT_CHAIN_IN_BACKGROUND = env_bool("AUDIT_CHAIN_IN_BACKGROUND", True)
AUDIT_CHAIN_DELAY_SECONDS = env_int("AUDIT_CHAIN_DELAY_MS", 200) / 1000

# Lightning rail: an LNbits wallet (all three empty: the rail reports itself disabled).
LIGHTNING_LNBITS_URL = env_str("LIGHTNING_LNBITS_URL", "")
LIGHTNING_LNBITS_INVOICE_KEY = env_str("LIGHTNING_LNBITS_INVOICE_KEY", "")
LIGHTNING_LNBITS_ADMIN_KEY = env_str("LIGHTNING_LNBITS_ADMIN_KEY", "")
LIGHTNING_LNBITS_TIMEOUT = env_int("LIGHTNING_LNBITS_TIMEOUT", 10)
# Signs the per-deposit token in the webhook URL given to LNbits; derived from SECRET_KEY when empty.
LIGHTNING_WEBHOOK_SECRET = env_str("LIGHTNING_WEBHOOK_SECRET", "")
# This API's address as LNbits reaches it, for deposit webhooks; empty: polling only.
LIGHTNING_WEBHOOK_BASE_URL = env_str("LIGHTNING_WEBHOOK_BASE_URL", "")
# Deposit invoices expire after this many seconds.
LIGHTNING_INVOICE_EXPIRY_SECONDS = env_int("LIGHTNING_INVOICE_EXPIRY_SECONDS", 3600)
# Payouts hold a routing-fee reserve on top of the amount: this many parts per million of
# it, at least the minimum (LNbits' own reserve is 1 % and at least 2 sat).
LIGHTNING_FEE_RESERVE_PPM = env_int("LIGHTNING_FEE_RESERVE_PPM", 10000)
LIGHTNING_FEE_RESERVE_MIN_SAT = env_int("LIGHTNING_FEE_RESERVE_MIN_SAT", 2)
# An invoice to pay must stay valid at least this long.
LIGHTNING_MIN_INVOICE_SECONDS_LEFT = env_int("LIGHTNING_MIN_INVOICE_SECONDS_LEFT", 60)

# KYC data at rest: Fernet keys, newest first (the first encrypts; all decrypt). Empty:
# a key derived from SECRET_KEY (local only; production requires the setting).
KYC_ENCRYPTION_KEYS = env_list("KYC_ENCRYPTION_KEYS", "")
# Where KYC document files are kept (encrypted), never under a public URL.
KYC_STORAGE_DIR = env_str("KYC_STORAGE_DIR", str(VAR_DIR / "kyc"))
# Largest accepted KYC file, in bytes.
KYC_MAX_FILE_BYTES = env_int("KYC_MAX_FILE_BYTES", 5 * 1024 * 1024)
# Customers without approved KYC: per-transaction and per-day limits (major units), tighter
# than TRANSFER_LIMITS; enforced by compliance's pre-transfer check.
KYC_UNVERIFIED_LIMITS = env_limits(
    "KYC_UNVERIFIED_LIMITS",
    "USD=200/500,EUR=200/500,GBP=150/400,NGN=150000/400000,KES=25000/60000,GHS=2500/6000,"
    "ZAR=3500/9000,INR=15000/40000,JPY=30000/75000,KWD=60/150,BHD=75/190,BTC=0.005/0.01",
)

# Sanctions screening (compliance.screening): hits at or above this score (0-1) are raised;
# chosen from benchmarks/screening.py (docs/compliance.md has the figures).
SCREENING_THRESHOLD = float(env_str("SCREENING_THRESHOLD", "0.85"))
# Watchlist imports: largest file accepted (bytes) and the download read timeout (seconds).
WATCHLIST_MAX_BYTES = env_int("WATCHLIST_MAX_BYTES", 100 * 1024 * 1024)
WATCHLIST_FETCH_TIMEOUT = env_int("WATCHLIST_FETCH_TIMEOUT", 120)

# Loans: reminder e-mails go out this many days before an installment falls due (the
# servicing job, loans.services.servicing).
LOANS_REMINDER_DAYS = env_int("LOANS_REMINDER_DAYS", 3)

# Credit scores: a customer may ask for a fresh score this often.
SCORE_REFRESH_INTERVAL_SECONDS = env_int("SCORE_REFRESH_INTERVAL_SECONDS", 3600)
# Threads of the nightly rescoring (each with its own database connection; SQLite: one).
NIGHTLY_RESCORE_WORKERS = env_int("NIGHTLY_RESCORE_WORKERS", 2)

# Lockout: this many failed logins within the window lock the account (or IP).
LOGIN_FAILURE_LIMIT_PER_ACCOUNT = env_int("LOGIN_FAILURE_LIMIT_PER_ACCOUNT", 5)
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 20)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
MAGIC_LINK_TTL_SECONDS = env_int("MAGIC_LINK_TTL_SECONDS", 900)
MFA_CHALLENGE_TTL_SECONDS = env_int("MFA_CHALLENGE_TTL_SECONDS", 300)
MFA_CHALLENGE_MAX_ATTEMPTS = env_int("MFA_CHALLENGE_MAX_ATTEMPTS", 5)
# Trust X-Forwarded-For for the client address only behind a known proxy.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_SECONDS", 300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_REFRESH_SECONDS", 7 * 86400)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "ISSUER": env_str("JWT_ISSUER", "blockscore"),
    "LEEWAY": 5,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "BlockScore API",
    "DESCRIPTION": (
        "Back office of a digital lender and wallet provider. Errors are RFC 9457 "
        "problem details (application/problem+json) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "wallets.models.LedgerAccount.Status",
        "AccountKindEnum": "wallets.models.LedgerAccount.Kind",
        "EntryKindEnum": "wallets.models.JournalEntry.Kind",
        "CurrencyEnum": "wallets.models.CURRENCY_CHOICES",
        "CountryEnum": "django_countries.countries",
        "AttestationStatusEnum": "credit.models.ScoreAttestation.Status",
    },
    # Problem responses and their headers are added per operation by blockscore.api.schema.AutoSchema.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# Security headers that hold in every environment; production adds HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (served as separate script files, so no inline script is needed).
DOCS_CSP = ADMIN_CSP

# Celery: Redis when configured; otherwise an embedded file-system broker under
# var/, so worker and beat run on a fresh machine with nothing else installed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or REDIS_URL or "filesystem://"
_celery_dir = VAR_DIR / "celery"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
for _folder in ("queue", "processed", "control") if CELERY_BROKER_TRANSPORT_OPTIONS else ():
    (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# /metrics: open on the loopback by default; set METRICS_TOKEN to require a bearer token.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "blockscore.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "blockscore.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "BlockScore")
OTP_TOTP_THROTTLE_FACTOR = 1

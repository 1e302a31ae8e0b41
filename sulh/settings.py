"""Settings, read from the environment by typed helpers that fail loudly.

No secret lives in code: in development the Django secret key is generated once
under ``SULH_DATA_DIR/keys`` (mode 0600); in production it comes from
``SULH_SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


class ImproperSetting(RuntimeError):
    """A setting from the environment is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperSetting(f"environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperSetting(f"environment variable {name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperSetting(
            f"environment variable {name} must be an integer, not {raw!r}"
        ) from exc


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


def _development_secret(keys_dir: Path) -> str:
    """A per-installation secret created on first use, never committed."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys_dir / "django-secret"
    if not path.exists():
        # Written whole under a private name, then linked into place: processes starting
        # together all read the one secret that won, never a half-written file.
        draft = keys_dir / f".django-secret.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: use its secret
        finally:
            draft.unlink()
    return path.read_text().strip()


# --- Where state lives -------------------------------------------------------
SULH_DATA_DIR = Path(env_str("SULH_DATA_DIR", str(BASE_DIR / "var"))).resolve()
SULH_KEYS_DIR = Path(env_str("SULH_KEYS_DIR", str(SULH_DATA_DIR / "keys"))).resolve()
SULH_PROGRAMS_DIR = Path(env_str("SULH_PROGRAMS_DIR", str(BASE_DIR / "programs"))).resolve()
SULH_DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("SULH_DEBUG", False)
SULH_PRODUCTION = env_bool("SULH_PRODUCTION", False)
SULH_DEMO = env_bool("SULH_DEMO", False)
# The program's root public key (base64url point or PEM) the card verifier page pins; when
# empty, the root recorded on this site. Set it per deployment from the root ceremony.
SULH_ROOT_PUBLIC_KEY = env_str("SULH_ROOT_PUBLIC_KEY", "")
# How far a station's clock may differ from the server's when it sends ``submitted_at``
# (kept as the station's claim only; the server's clock is the registration time).
SULH_INTAKE_CLOCK_SKEW_SECONDS = env_int("SULH_INTAKE_CLOCK_SKEW_SECONDS", 600)

# --- Signing keys in a PKCS#11 token (sulh.keys.token); empty: sealed in the database ---
SULH_PKCS11_MODULE = env_str("SULH_PKCS11_MODULE", "")
SULH_PKCS11_TOKEN = env_str("SULH_PKCS11_TOKEN", "sulh")
SULH_PKCS11_PIN = env_str("SULH_PKCS11_PIN", "")
SULH_PKCS11_PIN_FILE = env_str("SULH_PKCS11_PIN_FILE", "")

if SULH_PRODUCTION:
    SECRET_KEY = env_str("SULH_SECRET_KEY")
else:
    SECRET_KEY = os.environ.get("SULH_SECRET_KEY") or _development_secret(SULH_KEYS_DIR)

ALLOWED_HOSTS = env_list("SULH_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# --- Database ------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SULH_DATA_DIR / "sulh.sqlite3"),
            "OPTIONS": {
                # WAL lets readers work while a desk writes; IMMEDIATE takes the write lock
                # up front so two writers queue instead of failing half-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications --------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sulh.core",
    "sulh.keys",
    "sulh.accounts",
    "sulh.programs",
    "sulh.registry",
    "sulh.cases",
    "sulh.matching",
    "sulh.cards",
    "sulh.ledger",
    "sulh.bulletins",
    "sulh.departures",
    "sulh.custody",
    "sulh.audit",
    "sulh.api",
    "sulh.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sulh.core.middleware.SecurityHeadersMiddleware",
    "sulh.keys.middleware.AbandonedSiteMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sulh.core.middleware.SulhErrorPageMiddleware",
]

ROOT_URLCONF = "sulh.urls"
WSGI_APPLICATION = "sulh.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# Enforced wherever a password is set: user_create (demo, commands), the admin's forms.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sulh.web.context.policy",
            ]
        },
    }
]

# --- Languages -----------------------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", "العربية"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "sulh" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("SULH_TIME_ZONE", "Asia/Damascus")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = SULH_DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files are served by WhiteNoise straight from the packages (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Sessions and security -----------------------------------------------------
# Session keys are stored keyed (sulh.accounts.sessions): a database copy gives no cookie.
SESSION_ENGINE = "sulh.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SULH_SESSION_SECONDS", 8 * 3600)
# Case reads per account in a window (pages, API reads and actions alike): beyond them,
# 429 and an alert. An officer works a case for minutes; 60 in 5 minutes is a scraper.
SULH_CASE_READS = env_int("SULH_CASE_READS", 60)
SULH_CASE_READS_SECONDS = env_int("SULH_CASE_READS_SECONDS", 300)
# A person shown by a search counts as a case read. Look-alike checks while a clerk types
# an intake have a budget of their own in the same window: a few per registration, not
# a sweep of names or birth years.
SULH_INTAKE_CHECKS = env_int("SULH_INTAKE_CHECKS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if SULH_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SULH_SSL_REDIRECT", True)

# --- Sign-in throttling and rate limits (issue #16, F11 and F15) ---------------
# Requests per client address per minute, answered 429 with Retry-After beyond.
SULH_RATE_SIGN_IN = env_int("SULH_RATE_SIGN_IN", 20)  # sign-in and second-step posts
SULH_RATE_PROOFS = env_int("SULH_RATE_PROOFS", 120)  # public tree heads and proofs
SULH_RATE_PERIOD = env_int("SULH_RATE_PERIOD", 60)
# Public proofs are cached (Django cache) this long; a proof of a published head never changes.
SULH_PROOF_CACHE_SECONDS = env_int("SULH_PROOF_CACHE_SECONDS", 86_400)
# Failed passwords or codes: this many in a row are free, then each waits twice as long
# (from one second) up to the cap; an address is capped at 15 minutes, an account at one
# minute (a stranger can slow a real officer down, never lock them out), and a browser
# the account signed in from before skips the account's wait. Forgotten after a quiet day.
SULH_FREE_FAILURES = env_int("SULH_FREE_FAILURES", 5)
SULH_ACCOUNT_FREE_FAILURES = env_int("SULH_ACCOUNT_FREE_FAILURES", 10)
SULH_ADDRESS_BACKOFF_CAP = env_int("SULH_ADDRESS_BACKOFF_CAP", 15 * 60)
SULH_ACCOUNT_BACKOFF_CAP = env_int("SULH_ACCOUNT_BACKOFF_CAP", 60)
SULH_FAILURE_MEMORY = env_int("SULH_FAILURE_MEMORY", 24 * 3600)
# Reverse proxies in front of the site that append the client to X-Forwarded-For (0: none,
# the client address is REMOTE_ADDR; a header a client sent itself is never trusted).
SULH_TRUSTED_PROXIES = env_int("SULH_TRUSTED_PROXIES", 0)
# An enrolment code for a second factor is good this many hours, once.
SULH_ENROLMENT_CODE_HOURS = env_int("SULH_ENROLMENT_CODE_HOURS", 24)

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SULH_LOG_LEVEL", "WARNING")},
}

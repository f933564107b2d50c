"""Sightline's one settings module. Every knob is an environment variable (see README.md).

Values may also come from a `.env` file beside manage.py (`make run` writes one with a random
SECRET_KEY); real environment variables win over it.
"""

import base64
import binascii
import re
import zoneinfo
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_text(name: str, default: str = "") -> str:
    """Text without the spaces around it, or the default when empty."""
    return env.str(name, default="").strip() or default


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated text, or the default when empty."""
    return [item.strip() for item in env_text(name).split(",") if item.strip()] or default


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: true or false (any case), or empty for the default; anything else is a
    mistake, not a guess."""
    raw = env_text(name).lower()
    if raw == "":
        return default
    if raw in {"true", "false"}:
        return raw == "true"
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, low: int, high: int) -> int:
    """A whole number from `low` to `high`, or empty for the default."""
    raw = env_text(name)
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from {low} to {high}, not {raw!r}"
        )
    return value


def _one_of(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + f" or {choices[-1]}"


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (any case, given back as spelled there), or empty for the default."""
    raw = env_text(name)
    if raw == "":
        return default
    by_case = {choice.lower(): choice for choice in choices}
    if raw.lower() not in by_case:
        raise ImproperlyConfigured(f"{name} must be {_one_of(choices)}, not {raw!r}")
    return by_case[raw.lower()]


def env_secret(name: str) -> str:
    """A secret from `name`, or from the file that `name`_FILE names (Docker secrets, systemd
    credentials), less its trailing newline; never both. The secret itself is never echoed."""
    value: str = env.str(name, default="")
    path = env_text(f"{name}_FILE")
    if not path:
        return value
    if value:
        raise ImproperlyConfigured(
            f"Set {name} or {name}_FILE, not both (check the environment and .env)."
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {reason}.") from None
    text = text.rstrip("\r\n")
    if not text:
        raise ImproperlyConfigured(f"{name}_FILE: {path} is empty.")
    return text


KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
KEY_HELP = "see Keys in README.md; `make run` writes fresh ones into .env"


def _key_bytes(name: str, text: str, label: str) -> bytes:
    """32 bytes from base64 (standard or URL-safe). The value itself is never echoed."""
    text = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{name}: {label} must be 32 random bytes written in base64 ({KEY_HELP})."
        )
    return raw


def env_keys(name: str) -> dict[str, bytes]:
    """`id:base64key,id:base64key…`, the first one current. Missing or malformed stops the app:
    it never falls back to storing plaintext, and never derives a key from SECRET_KEY."""
    raw = env_secret(name).strip()
    if not raw:
        raise ImproperlyConfigured(f"{name} is not set ({KEY_HELP}).")
    keys: dict[str, bytes] = {}
    for position, pair in enumerate(raw.split(","), start=1):
        key_id, sep, text = pair.strip().partition(":")
        if not sep or not KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"{name}: key {position} must be written id:base64key, the id 1 to 16 letters, "
                f"digits, - or _ ({KEY_HELP})."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"{name}: the id {key_id!r} is used twice.")
        keys[key_id] = _key_bytes(name, text, f"the key {key_id!r}")
    return keys


def env_key(name: str) -> bytes:
    raw = env_secret(name).strip()
    if not raw:
        raise ImproperlyConfigured(f"{name} is not set ({KEY_HELP}).")
    return _key_bytes(name, raw, "the key")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. `make run` or `make test` writes one into .env for you."
    )

# Encryption at rest (see Keys in README.md). Losing these keys loses the diary: back them up.
# The first of ENCRYPTION_KEYS encrypts; the others still decrypt until `rotate_keys` has run.
ENCRYPTION_KEYS = env_keys("ENCRYPTION_KEYS")
# The blind index that lets text search work over encrypted entries has a key of its own.
SEARCH_INDEX_KEY = env_key("SEARCH_INDEX_KEY")
if SEARCH_INDEX_KEY in ENCRYPTION_KEYS.values():
    raise ImproperlyConfigured("SEARCH_INDEX_KEY must differ from every key in ENCRYPTION_KEYS.")
# The Ed25519 key that signs bundles, shared heads and receipts (diary.core.signing): a 32-byte
# seed each, the first one signing, the others earlier keys still published for checking.
SIGNING_KEYS = env_keys("SIGNING_KEYS")
if set(SIGNING_KEYS.values()) & ({SEARCH_INDEX_KEY} | set(ENCRYPTION_KEYS.values())):
    raise ImproperlyConfigured("SIGNING_KEYS must differ from every other key.")

# RFC 3161 timestamp authorities that vouch for each diary's ledger head (diary.ledger.anchoring):
# their URLs, comma-separated, and each one's root certificate (a PEM file), in the same order,
# which goes into every bundle so its tokens can be checked offline. None by default: the owner's
# status line then says her records are not yet independently timestamped.
TIMESTAMP_URLS = env_list("TIMESTAMP_URLS", [])
TIMESTAMP_CA_CERTS = env_list("TIMESTAMP_CA_CERTS", [])
if len(TIMESTAMP_CA_CERTS) != len(TIMESTAMP_URLS):
    raise ImproperlyConfigured(
        f"TIMESTAMP_CA_CERTS must name one root certificate (a PEM file) for each of the "
        f"{len(TIMESTAMP_URLS)} TIMESTAMP_URLS, in the same order; it names "
        f"{len(TIMESTAMP_CA_CERTS)}."
    )
for _url in TIMESTAMP_URLS:
    if not _url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"TIMESTAMP_URLS: {_url!r} is not an http(s) URL.")
for _path in TIMESTAMP_CA_CERTS:
    try:
        _pem = Path(_path).read_text()
    except (OSError, UnicodeDecodeError) as _error:
        raise ImproperlyConfigured(f"TIMESTAMP_CA_CERTS: cannot read {_path}: {_error}") from None
    if "-----BEGIN CERTIFICATE-----" not in _pem:
        raise ImproperlyConfigured(f"TIMESTAMP_CA_CERTS: {_path} holds no PEM certificate.")
# The least time between two timestamps of one diary's head while records keep arriving.
TIMESTAMP_EVERY = env_int("TIMESTAMP_EVERY", 300, low=10, high=86_400)

# Long work in the background (diary/jobs/): Django's tasks framework, its database backend,
# and `manage.py db_worker` to run them (README, "Background work"; docs/deploy.md, Workers).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running job writes a heartbeat this often; one silent for JOB_LEASE_SECONDS has lost its
# worker and is tried again, JOB_ATTEMPTS times in all before it is given up on.
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 5, low=1, high=300)
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 60, low=2, high=3600)
JOB_ATTEMPTS = env_int("JOB_ATTEMPTS", 3, low=1, high=10)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind TLS (production) cookies are Secure, HSTS is sent and http redirects to https.
HTTPS = env_bool("HTTPS", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "diary",
    "witnesses",
]

MIDDLEWARE = [
    # First, so a body over its route's cap is refused before anything reads it.
    "diary.web.body_size.BodySizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "diary.web.middleware.ActingRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "diary.safety.middleware.OwnerSessionMiddleware",
    "diary.safety.middleware.ConfirmBeforePasswordChangeMiddleware",
    "diary.safety.middleware.RecoveryCodesShownMiddleware",
    "diary.web.middleware.OwnerTimeZoneMiddleware",
    "diary.web.middleware.PrivateResponseMiddleware",
    # Last, so it sees a sign-in refused for a locked-out (address, IP) pair.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "diary.web.context_processors.sightline",
                "witnesses.owner.context_processors.inbox",
            ],
        },
    },
]

# Databases: a SQLite file by default; PostgreSQL when DATABASE_URL says so.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 10, low=1, high=100)
DATABASES = {
    "default": env.db_url_config(
        env_secret("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # secure_delete zeroes what a row held when it is overwritten or deleted, so plain text
        # that encryption replaced does not linger in the file's free pages.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
        ),
    }
else:
    # Under ASGI each request runs in a thread of its own, so a connection kept per thread
    # (CONN_MAX_AGE) is never reused: they piled up until PostgreSQL refused more clients
    # (docs/performance.md). A pool shared by the process's threads is Django's advice instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": DATABASE_POOL_SIZE, "timeout": 30}
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Fixtures with times to the microsecond, as the ledger hashes them (backup and restore).
SERIALIZATION_MODULES = {"exactjsonl": "diary.core.exact_jsonl"}
AUTH_USER_MODEL = "diary.User"

# Live updates and the cache: in this process by default; Redis when REDIS_URL is set.
REDIS_URL = env_secret("REDIS_URL")
# One Redis may serve several instances: a prefix of their own keeps their groups and keys apart.
REDIS_PREFIX = env_text("REDIS_PREFIX", "sightline")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # A socket waits for its next event in a blocking pop of 5 seconds
                # (channels_redis's brpop_timeout). redis-py 8 gives up on any read after 5
                # seconds by default, so an idle socket's wait raced its own timeout, and losing
                # closed the socket with an error (found by the load test, docs/performance.md).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": REDIS_PREFIX,
                # Every socket a worker holds shares one Redis list, and a group event that
                # finds it holding `capacity` messages is dropped without a word. channels'
                # default of 100 lost a quarter of the live events of 1,200 open pages on a busy
                # machine (docs/performance.md); a backlog of 20,000 is some 40 MB of Redis.
                "capacity": 20_000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Passwords: argon2 first.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out (address, IP) pair is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts (django-allauth): e-mail and password, no usernames.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory by default: a sign-up that signed in at once could not look the same as one with an
# address that already has an account, so anyone could learn that she uses the site. Both now go
# to "check your e-mail"; the link signs the new owner in, in the browser that signed up.
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", ("none", "optional", "mandatory")
)
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Neutral subjects: whoever else reads this inbox learns nothing from them.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_ADAPTER = "diary.safety.accounts.OwnerAccountAdapter"
ACCOUNT_USER_DISPLAY = "diary.safety.accounts.user_display"
ACCOUNT_FORMS = {
    "signup": "diary.safety.accounts.OwnerSignupForm",
    # With two-step sign-in on, a new password from a reset link also needs a code.
    "reset_password_from_key": "diary.safety.accounts.OwnerResetPasswordKeyForm",
}
ACCOUNT_PREVENT_ENUMERATION = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "diary:timeline"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# Changing the e-mail address or the password, and everything on the two-factor pages, asks
# for the password (or, with two-factor on, the second factor) again first.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("REAUTHENTICATION_SECONDS", 300, low=30, high=3600)
# allauth's own limit on failed sign-ins counts per address from anywhere, which would let
# anyone lock the owner out; it counts per IP only, and django-axes locks an (address, IP) pair.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip"}
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, low=0, high=5)
# Two-factor sign-in: an authenticator app, recovery codes, and passkeys or security keys
# where the browser has them. Never SMS: whoever holds (or once held) the phone gets the code.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = env_text("MFA_TOTP_ISSUER", "Notes")
MFA_ADAPTER = "diary.safety.accounts.OwnerMFAAdapter"
# Wrong second-step codes are also counted per account, from every address together (sign-in,
# confirming it is you, a password reset): past this many, codes pause for a while.
MFA_FORMS = {
    "authenticate": "diary.safety.accounts.OwnerAuthenticateForm",
    "reauthenticate": "diary.safety.accounts.OwnerReauthenticateForm",
}
SECOND_STEP_WRONG_CODES = env_int("SECOND_STEP_WRONG_CODES", 10, low=3, high=100)
SECOND_STEP_PAUSE_MINUTES = env_int("SECOND_STEP_PAUSE_MINUTES", 15, low=1, high=1440)
# WebAuthn needs a secure origin; http://127.0.0.1 and localhost count as one in browsers.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not HTTPS

# Lockout after failed sign-ins (django-axes): on the address AND the IP together, so failed
# tries from elsewhere never lock the owner out of their own connection.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5, low=1, high=100)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15, low=1, high=1440))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "diary.safety.accounts.signin_address"
AXES_CLIENT_IP_CALLABLE = "diary.web.client.client_ip"
AXES_LOCKOUT_CALLABLE = "diary.safety.accounts.locked_out"
# Our own history of sign-ins is what the owner reads; axes keeps only what it locks on.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The number of proxies in front of the app that add to X-Forwarded-For (0: none, use the
# connection's address). Wrong here means every sign-in seems to come from the proxy.
TRUSTED_PROXY_COUNT = ALLAUTH_TRUSTED_PROXY_COUNT

# Sessions: signed out after this long without use, and after this long whatever happens.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60, low=1, high=1440)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12, low=1, high=168)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
# Only a keyed hash of each session key is stored, and the session data sealed.
SESSION_ENGINE = "diary.safety.session_store"

EMAIL_CONFIG = env.email_url_config(env_secret("EMAIL_URL") or "consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env_text("DEFAULT_FROM_EMAIL", "no-reply@localhost")

# Time: stored in UTC, shown in each owner's zone.
USE_TZ = True
TIME_ZONE = "UTC"
OWNER_DEFAULT_TIME_ZONE = env_text("OWNER_DEFAULT_TIME_ZONE", "Europe/London")
if OWNER_DEFAULT_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        "OWNER_DEFAULT_TIME_ZONE must be a time zone name such as Europe/London, "
        f"not {OWNER_DEFAULT_TIME_ZONE!r}"
    )
LANGUAGE_CODE = "en-gb"
USE_I18N = True

# Files.
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_text("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_text("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Or S3-compatible object storage (django-storages), when S3_BUCKET is set: what reaches the
# bucket is already encrypted (diary.core.filestore), and it is read back only by the app's
# own views.
S3_BUCKET = env_text("S3_BUCKET")
_s3_given = {
    option: value
    for option, value in {
        "endpoint_url": env_text("S3_ENDPOINT_URL"),
        "region_name": env_text("S3_REGION"),
        "access_key": env_text("S3_ACCESS_KEY_ID"),
        "secret_key": env_secret("S3_SECRET_ACCESS_KEY").strip(),
        "location": env_text("S3_PREFIX"),
        "addressing_style": env_choice("S3_ADDRESSING_STYLE", "", ("auto", "path", "virtual")),
    }.items()
    if value
}
if _s3_given and not S3_BUCKET:
    raise ImproperlyConfigured(
        "S3 settings are set but S3_BUCKET is not: set the bucket too, or none of them."
    )
if ("access_key" in _s3_given) != ("secret_key" in _s3_given):
    raise ImproperlyConfigured(
        "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither (to use the machine's "
        "own AWS credentials)."
    )
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "diary.core.s3.S3Storage",
        "OPTIONS": {"bucket_name": S3_BUCKET, **_s3_given},
    }
# Evidence files larger than this are refused with a clear message.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 50 * 1024 * 1024, low=1024**2, high=4 * 1024**3)
# An export uploaded to bring messages in (diary.imports): a mailbox can be gigabytes. It is
# read in a stream by a worker, never whole into memory.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 4 * 1024**3, low=1024**2, high=64 * 1024**3)
# The most files the owner's forms take in one send (the entry forms, "Add files").
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10, low=1, high=50)
# Files and recordings sent in pieces (tus, diary/uploads/): the largest piece one request
# may carry, how long an unfinished upload waits to be resumed, and how long a recording may
# go without a piece before it is kept as cut off.
UPLOAD_PIECE_MAX_BYTES = env_int(
    "UPLOAD_PIECE_MAX_BYTES", 8 * 1024**2, low=64 * 1024, high=64 * 1024**2
)
UPLOAD_EXPIRES_SECONDS = env_int("UPLOAD_EXPIRES_SECONDS", 86_400, low=600, high=7 * 86_400)
RECORDING_QUIET_SECONDS = env_int("RECORDING_QUIET_SECONDS", 60, low=5, high=3600)
# Uploads above 2.5 MB stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Stored files and the folders that hold them are the app's alone (project/umask.py).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# How far into the future a "when it happened" may be, for a phone clock a little fast.
FUTURE_TOLERANCE_MINUTES = env_int("FUTURE_TOLERANCE_MINUTES", 5, low=0, high=1440)
# Witness links: how long a new link lasts, and how many sends one link may make an hour.
WITNESS_LINK_DAYS = env_int("WITNESS_LINK_DAYS", 90, low=1, high=366)
WITNESS_SUBMISSIONS_PER_HOUR = env_int("WITNESS_SUBMISSIONS_PER_HOUR", 30, low=1, high=1_000_000)
# Links that do not work one address may open in an hour (then a calm "please wait", 429).
WITNESS_LINK_GUESSES_PER_HOUR = env_int("WITNESS_LINK_GUESSES_PER_HOUR", 20, low=1, high=10_000)
# New devices a link may gain in an hour, and one address may open on working links: a contact
# opens theirs on a phone or two; a flood of landings would bury the owner's access log.
WITNESS_DEVICES_PER_LINK_PER_HOUR = env_int(
    "WITNESS_DEVICES_PER_LINK_PER_HOUR", 10, low=1, high=10_000
)
WITNESS_DEVICES_PER_ADDRESS_PER_HOUR = env_int(
    "WITNESS_DEVICES_PER_ADDRESS_PER_HOUR", 20, low=1, high=10_000
)
# Follow-ups (notes added to something already sent) per device and per link in an hour.
WITNESS_FOLLOW_UPS_PER_DEVICE_PER_HOUR = env_int(
    "WITNESS_FOLLOW_UPS_PER_DEVICE_PER_HOUR", 10, low=1, high=10_000
)
WITNESS_FOLLOW_UPS_PER_LINK_PER_HOUR = env_int(
    "WITNESS_FOLLOW_UPS_PER_LINK_PER_HOUR", 30, low=1, high=10_000
)
WITNESS_COOKIE_NAME = "w"
# The key backups are encrypted with (64 hex characters), unless `--key-file` names one. Keep it
# away from the backups and from this server's disk; it is never derived from SECRET_KEY.
BACKUP_KEY = env_secret("BACKUP_KEY")
# How long a retried send (same Idempotency-Key) gets the first send's answer.
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24, low=1, high=168)
# The quick-exit button leaves for this ordinary site.
QUICK_EXIT_URL = env_text("QUICK_EXIT_URL", "https://www.bbc.co.uk/weather")
if not re.fullmatch(r"https?://[^\s/?#'\";,]+(/[^\s'\";,]*)?", QUICK_EXIT_URL):
    raise ImproperlyConfigured("QUICK_EXIT_URL must be a whole http(s) address.")
# A contact's browser remembers here that it has read what the quick exit cannot do.
QUICK_EXIT_NOTE_COOKIE = "qx"

# Headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with every form
# POST, which fails the CSRF origin check, and trusting "null" would trust any sandboxed frame.
# same-origin sends no Referer to any other site (the quick exit included), and a full one only
# to this server, which already knows its own URLs. Witness link pages, whose URL holds the
# token, send no-referrer (witnesses/witness_views.py).
SECURE_REFERRER_POLICY = "same-origin"
# Nothing here needs a camera, microphone, location or payment; file inputs do not need them.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), midi=(), "
    "display-capture=(), browsing-topics=()"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        # The players on an entry's page stream its recordings from here, and only here.
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        # Without JavaScript, "Leave this site" posts here and is redirected on to the quick
        # exit's site: form-action governs that redirect too.
        "form-action": ["'self'", QUICK_EXIT_URL],
        "frame-ancestors": ["'none'"],
    }
}

# The API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "diary.web.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    # Anyone can read the schema and its docs: they say what the endpoints do, not what the
    # site is for (tests/security/test_neutral_pages.py).
    "TITLE": "Notes API",
    "DESCRIPTION": "Notes, their files and items, and the record of changes. Session "
    "authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EvidenceKindEnum": "diary.models.choices.EvidenceKind",
        "ItemKindEnum": "diary.models.choices.ItemKind",
        "BehaviourEnum": "diary.models.choices.Behaviour",
        "ChannelEnum": "diary.models.choices.Channel",
        "PrecisionEnum": "diary.models.choices.Precision",
        "StorageEnum": "diary.models.choices.Storage",
        "SubmissionKindEnum": "witnesses.models.SubmissionKind",
    },
}

# Every logger that may print a request path goes through the filter that hides witness links.
_PATH_LOGGERS = ("django.request", "django.server", "uvicorn", "uvicorn.access", "uvicorn.error")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_witness_links": {"()": "project.logging.RedactWitnessLinks"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_witness_links"]}
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    },
    "loggers": {
        **{name: {"level": "INFO", "filters": ["redact_witness_links"]} for name in _PATH_LOGGERS},
        # WeasyPrint narrates every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        # django-axes narrates every sign-in at INFO; the access log keeps what matters.
        "axes": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

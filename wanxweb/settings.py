"""wanxweb settings: everything comes from environment variables, with safe local defaults."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from wanxweb.private_files import write_private

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Local state (SQLite database, stored images, the first admin's password); never committed.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A random key kept in VAR_DIR, so a deployment that forgets SECRET_KEY is still safe."""
    path = VAR_DIR / "secret-key.txt"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        write_private(path, get_random_secret_key())
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="") or _local_secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Served over HTTPS (HTTPS=true): cookies only travel over https and http is redirected. HSTS
# is a promise browsers keep for SECURE_HSTS_SECONDS, so it is a separate, deliberate step.
# The defaults suit `make run` on http://127.0.0.1. Behind a proxy, gunicorn trusts its
# X-Forwarded-Proto from loopback (FORWARDED_ALLOW_IPS for others), so Django sees https.
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz"]  # load balancers probe over plain http
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Content-Security-Policy (django-csp): the app's own scripts, styles and images only; no inline
# script or style and no eval. base.html's htmx-config keeps htmx within this.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
    "django_q",
    "axes",
    "csp",
    "gallery",
]

# Larger bodies answer 413 unread (wanxweb.middleware); deploy/nginx.conf's
# client_max_body_size says the same. The prompt form, logged in, takes reference images: up
# to nine of DashScope's 20 MB.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024)
UPLOAD_BODY_MAX_BYTES = env.int("UPLOAD_BODY_MAX_BYTES", default=200 * 1024 * 1024)
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gallery.middleware.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads a body (the CSRF check, in its process_view); after the user is
    # known, whom the prompt form's larger limit is for.
    "wanxweb.middleware.RequestBodyCheckMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused login into the lockout page
]

ROOT_URLCONF = "wanxweb.urls"
WSGI_APPLICATION = "wanxweb.wsgi.application"

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
                "gallery.context_processors.dashscope_mode",
                "gallery.context_processors.user_teams",
                "gallery.context_processors.theme",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Keep each thread's connection between requests: opening one (and SQLite's PRAGMAs) cost a
# quarter of a card refresh's time. Health checks replace a connection the server dropped.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
SQLITE = "django.db.backends.sqlite3"
if DATABASES["default"]["ENGINE"] == SQLITE:
    # IMMEDIATE: a deferred transaction that later wants the write lock can deadlock past the
    # busy timeout; WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a real qcluster process in the tests shares the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login attempts (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is refused for LOGIN_COOLOFF_MINUTES, the admin's login included.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: it refuses before a password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # not a banner on every manage.py command
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address is the connection's own unless TRUSTED_PROXY_COUNT proxies stand in front (1 for
# deploy/nginx.conf): then it is the one the nearest proxy appended to X-Forwarded-For, which a
# client cannot forge (only the proxies must be able to reach gunicorn). Never the header's
# other entries: anyone can write them.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is a number of proxies: 0 or more.")
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    # The header lists the client and every proxy but the last, whose address is REMOTE_ADDR.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    # Counted from the right, past whatever the client put in front; strict would drop the
    # whole header then, and every such client would share the proxy's address.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Who may create an account: "invite" (someone opening a team's invitation link), "open"
# (anyone, at /accounts/signup/ too) or "closed" (only staff, in the admin).
SIGNUP = env.str("SIGNUP", default="invite")
if SIGNUP not in ("invite", "open", "closed"):
    raise ImproperlyConfigured(f"SIGNUP is {SIGNUP!r}: invite, open or closed")
# Email, for password reset and budget warnings to a team's owner: EMAIL_URL as django-environ
# reads it (smtp+tls://user:password@smtp.example.com:587). Without it neither is sent, and the
# login page offers no reset.
EMAIL_CONFIGURED = bool(env.str("EMAIL_URL", default=""))
if EMAIL_CONFIGURED:
    globals().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="wanxweb <noreply@localhost>")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "login"

# A browser's Accept-Language chooses, or the person in the menu (gallery/views/preferences.py);
# English for a browser that asks for neither.
LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Overwriting, as S3Storage does: storing an image again replaces it (gallery/downloads.py).
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"allow_overwrite": True},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Stored images are private: they are served only through a view that checks permission,
# so MEDIA_ROOT is never exposed under a public URL.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# With X_ACCEL_REDIRECT=true, that view leaves sending a local file to nginx (the internal
# location /protected-media/ of deploy/nginx.conf) instead of a web worker; not with a bucket.
X_ACCEL_REDIRECT = env.bool("X_ACCEL_REDIRECT", default=False)


def _bucket_origins() -> list[str]:
    """Where presigned URLs point: the endpoint, in path or virtual-hosted style."""
    if not AWS_S3_ENDPOINT_URL:  # boto3 names the global or the regional host
        hosts = ["s3.amazonaws.com", f"s3.{AWS_S3_REGION_NAME}.amazonaws.com"]
        bucket = f"{AWS_STORAGE_BUCKET_NAME}."
        return [f"https://{prefix}{host}" for host in hosts for prefix in ("", bucket)]
    endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
    origin = f"{endpoint.scheme}://{endpoint.netloc}"
    return [origin, f"{endpoint.scheme}://{AWS_STORAGE_BUCKET_NAME}.{endpoint.netloc}"]


# Object storage (AWS S3, Alibaba OSS, MinIO) instead of MEDIA_ROOT when a bucket is named; the
# variables are django-storages' own names. The bucket stays private: the view answers with a
# presigned URL that lapses after AWS_QUERYSTRING_EXPIRE seconds.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)  # None: AWS itself
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    if not AWS_S3_ENDPOINT_URL and not AWS_S3_REGION_NAME:
        # boto3 would sign presigned URLs for us-east-1: a bucket elsewhere refuses them all.
        raise ImproperlyConfigured("Set AWS_S3_REGION_NAME to the bucket's AWS region.")
    AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE", default=None)  # OSS: "virtual"
    AWS_LOCATION = env("AWS_LOCATION", default="")  # a folder inside the bucket
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=300)
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_DEFAULT_ACL = None  # the bucket's own (private) policy, never "public-read"
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    # Browsers follow the image view's redirect to the bucket: the CSP must allow it for <img>.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = [SELF, *_bucket_origins()]

# django-q2. `timeout` must exceed the dispatcher's loop (55 s) and `retry` must exceed
# `timeout`, or the ORM broker hands a still-running task out again (the Redis broker has no
# `retry`, `max_attempts` or `poll`: it never hands a task out twice, and may lose one).
Q_CLUSTER = {
    "name": env("QUEUE_NAME", default="wanxweb"),  # the processes sharing a queue share it
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 90,
    "retry": 120,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    # How soon a queued store job starts on the ORM broker (Redis hands it over at once): part
    # of the completion lag, up to a whole poll. Each idle poll is one indexed SELECT.
    "poll": 0.1,
    "save_limit": 500,
    "sync": env.bool("Q_SYNC", default=False),
}
# REDIS_URL moves the q2 broker and Django's cache to Redis. Redis keeps no receipt of a task a
# killed cluster was running: the dispatcher's database sweep finds and re-queues its record.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": Q_CLUSTER["name"],
        }
    }
else:
    Q_CLUSTER["orm"] = "default"

# Processes on several machines must sign alike (sessions, CSRF tokens, q2's queued jobs): a key
# made up by each machine would break them, so the scale-out configuration needs SECRET_KEY.
if not env("SECRET_KEY", default="") and (
    REDIS_URL or AWS_STORAGE_BUCKET_NAME or DATABASES["default"]["ENGINE"] != SQLITE
):
    raise ImproperlyConfigured("Set SECRET_KEY, the same on every machine (see README).")

# DashScope. Without an API key the app talks to the bundled simulator (see README).
DASHSCOPE_API_KEY = env("DASHSCOPE_API_KEY", default="")
DASHSCOPE_BASE_URL = env("DASHSCOPE_BASE_URL", default="https://dashscope.aliyuncs.com/api/v1")
DASHSCOPE_WORKSPACE = env("DASHSCOPE_WORKSPACE", default="")
# Which models are offered, under which names and prices: the key's region (keys are bound to
# one), from the base URL's host unless set (cn-beijing, ap-southeast-1, us-east-1).
DASHSCOPE_REGION = env("DASHSCOPE_REGION", default="") or next(
    (
        region
        for marker, region in [
            ("dashscope-intl.", "ap-southeast-1"),
            (".ap-southeast-1.", "ap-southeast-1"),
            ("dashscope-us.", "us-east-1"),
            (".us-east-1.", "us-east-1"),
        ]
        if marker in urlsplit(DASHSCOPE_BASE_URL).netloc
    ),
    "cn-beijing",
)
# Hosts result images may be downloaded from: suffixes, or patterns whose "*" stands within one
# label. By default DashScope's own OSS result buckets, named one by one on any OSS endpoint:
# a pattern over bucket names would match a bucket anyone can create. Only loopback hosts may
# use plain http.
DASHSCOPE_BUCKET_HOSTS = [
    f"{bucket}.oss-*.aliyuncs.com"
    for bucket in [
        *(f"dashscope-result-{site}" for site in "bj hz sh wlcb zjk sz hy cd gz intl".split()),
        "dashscope-463f",
    ]
]
DASHSCOPE_RESULT_HOSTS = env.list("DASHSCOPE_RESULT_HOSTS", default=DASHSCOPE_BUCKET_HOSTS)
DASHSCOPE_SIMULATED = env.bool("DASHSCOPE_SIMULATED", default=False)
DASHSCOPE_TIMEOUT = env.float("DASHSCOPE_TIMEOUT", default=15.0)
# After a submit's answer is lost, DashScope's task list is read this much later (a new task
# may take a moment to appear in it: how long is not documented), and again this often while
# tasks that could be the record's have not finished.
DASHSCOPE_LISTING_DELAY_SECONDS = env.float("DASHSCOPE_LISTING_DELAY_SECONDS", default=5.0)
DASHSCOPE_LISTING_RECHECK_SECONDS = env.float("DASHSCOPE_LISTING_RECHECK_SECONDS", default=5.0)


def _per_model(name: str, cast: type) -> dict[str, int | float]:
    """ "5" for every model, or "wan2.7-image=3,wan2.6-t2i=1" for some ("*" = the rest)."""
    value = env(name, default="").strip()
    if value and "=" not in value:
        return {"*": cast(value)}
    pairs = (pair.split("=", 1) for pair in value.split(",") if pair.strip())
    return {model.strip(): cast(number) for model, number in pairs}


# Per Alibaba Cloud account and model, shared by every key: queue here, submit when free. The
# catalog (gallery/dashscope/catalog.py) has DashScope's figures; these override them.
DASHSCOPE_CONCURRENCY = _per_model("DASHSCOPE_CONCURRENCY", int)
DASHSCOPE_SUBMIT_RATE = _per_model("DASHSCOPE_SUBMIT_RATE", float)
DASHSCOPE_QUERY_RATE = env.float("DASHSCOPE_QUERY_RATE", default=15.0)  # DashScope allows 20/s
# CNY an image in this installation's region, where Alibaba's price is not the catalog's; the
# usage ledger keeps each entry's price as it was (gallery/usage.py).
DASHSCOPE_PRICES = _per_model("DASHSCOPE_PRICES", Decimal)

# Deleted generations stay in their author's trash this long, then a daily job removes them.
TRASH_DAYS = env.int("TRASH_DAYS", default=30)
# How soon another dispatcher loop may take over from one that died.
DISPATCHER_LEASE_SECONDS = env.float("DISPATCHER_LEASE_SECONDS", default=30.0)
# /healthz/worker answers 503 once work waits this long on the dispatcher (a lost loop: ~90 s).
WORKER_STALL_SECONDS = env.int("WORKER_STALL_SECONDS", default=180)
# A record that makes no progress for this long ends FAILED (its task id kept for re-checks).
GENERATION_MAX_AGE = env.int("GENERATION_MAX_AGE", default=30 * 60)
# DashScope counts as down after this many failed calls in a row (no answer, or a 5xx) spanning
# at least this many seconds: then every page says so, new tasks wait here, and nothing times
# out until it answers again (the age limit counts from then).
DASHSCOPE_OUTAGE_AFTER_FAILURES = env.int("DASHSCOPE_OUTAGE_AFTER_FAILURES", default=5)
DASHSCOPE_OUTAGE_AFTER_SECONDS = env.float("DASHSCOPE_OUTAGE_AFTER_SECONDS", default=15.0)
# While down, one call this often asks whether DashScope is back.
DASHSCOPE_OUTAGE_PROBE_SECONDS = env.float("DASHSCOPE_OUTAGE_PROBE_SECONDS", default=5.0)
# A task DashScope has answered UNKNOWN for this long stops holding a concurrency slot.
FORGOTTEN_TASK_SLOT_SECONDS = env.int("FORGOTTEN_TASK_SLOT_SECONDS", default=120)
# A job storing a task's images that has not finished a step (one image, downloaded and saved)
# for this long is taken for dead and started again: a killed worker, or a job the Redis broker
# lost. A live job that slow (a trickling download) stops at its next step, leaving it to the new.
STORE_DEADLINE_SECONDS = env.int("STORE_DEADLINE_SECONDS", default=120)
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=20 * 1024 * 1024)
THUMBNAIL_SIZE = env.int("THUMBNAIL_SIZE", default=384)
# A waiting card shows how long its model's recent tasks took (gallery/waiting.py): asked for
# every second or so by each active card, it is worked out once a minute (0: each time).
USUAL_TIME_CACHED_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_traceback_below_500": {
            "()": "django.utils.log.CallbackFilter",
            "callback": "ext://wanxweb.log_filters.no_traceback_below_500",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_traceback_below_500"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

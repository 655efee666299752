"""
Settings for portwiki, read from the environment.

Development defaults are safe: without DEBUG=true the site refuses to start
unless a real SECRET_KEY is given. Every variable is listed in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name, default=False):
    """Yes or no from the environment; a misspelt value stops the start."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS | FALSE_WORDS:
        return value in TRUE_WORDS
    # A typo must not quietly switch a setting: "flase" is not "false".
    raise ImproperlyConfigured(
        f"{name} must be one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}, "
        f"not {os.environ[name]!r}."
    )


def env_int(name, default, *, minimum=0):
    """A whole number from the environment; anything else stops the start."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least {minimum}, not {value!r}."
        )
    return number


def env_list(name, default=""):
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


DEBUG = env_bool("DEBUG")

# A key that only development may fall back to; production must set its own.
_DEVELOPMENT_SECRET_KEY = "django-insecure-portwiki-development-only"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(or DEBUG=true for local development)."
        )
    SECRET_KEY = _DEVELOPMENT_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG=false: use at least 50 random characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it must come before it.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # Full-text search fields; it changes nothing on other databases.
    "django.contrib.postgres",
    "import_export",
    "axes",
    "django_tasks_db",
    # The API's documentation page and its Swagger UI files (served from static).
    "ninja",
    "corsheaders",
    "ports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Above everything that answers by itself (refusals, 304s, the page cache),
    # so that every answer of the open data may be read by any origin.
    "corsheaders.middleware.CorsMiddleware",
    "ports.security.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 304s for every response with an ETag or Last-Modified, cached or not.
    "django.middleware.http.ConditionalGetMiddleware",
    # Anonymous readers answered from the page cache before sessions, auth
    # and the view; it stores what the stack below shares, gzipped or not.
    "ports.cache.page_cache.PageCacheMiddleware",
    # HTML and other text responses (static files come compressed already).
    "django.middleware.gzip.GZipMiddleware",
    "ports.routers.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers locked-out logins.
    "axes.middleware.AxesMiddleware",
]

# The open data (the API and the downloads) may be read by any site's
# scripts: public, read-only, no credentials (django-cors-headers).
CORS_URLS_REGEX = r"^/(api|data)/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag"]

# The benchmark swaps in a URLconf with a minimal reference view.
ROOT_URLCONF = os.environ.get("ROOT_URLCONF", "portwiki.urls")

TEMPLATES = [
    # The reader site (templates/jinja2/): Jinja2, which renders a port page
    # several times faster than Django's engine (ports.reader.templating).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "ports.reader.templating.environment",
            "context_processors": ["django.template.context_processors.i18n"],
        },
    },
    # The admin and its overrides (templates/admin/).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "portwiki.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded development database lives in var/, outside the code.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
# On PostgreSQL, statements Django sends again and again on one connection
# (a page's reads) are prepared after PREPARE_THRESHOLD runs, so they are no
# longer planned on every request: that needs server-side parameter binding.
# A connection pooler in transaction mode that cannot keep prepared
# statements (PgBouncer before 1.21) needs DATABASE_PREPARED_STATEMENTS=false.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)


def database(url):
    config = dj_database_url.parse(
        url,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    postgresql = config["ENGINE"] == "django.db.backends.postgresql"
    if postgresql and DATABASE_PREPARED_STATEMENTS:
        config["OPTIONS"] = {
            **config.get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": env_int("PREPARE_THRESHOLD", 5),
        }
    return config


DATABASES = {"default": database(DATABASE_URL)}
# An optional read replica for public pages (ports.routers).
if DATABASE_REPLICA_URL := os.environ.get("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = {
        **database(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["ports.routers.ReplicaRouter"]

# Long work (registry imports from the admin, cache warming) runs in a task
# worker (`manage.py db_worker`), queued in the database every app server
# shares. TASKS_IMMEDIATE=true (the default with DEBUG) runs them inside the
# request instead, so development needs no worker.
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_bool("TASKS_IMMEDIATE", DEBUG)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, keeping its Redis clients (ports.cache.redis).
            "BACKEND": "ports.cache.redis.PooledClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portwiki",
            # A Redis that stops answering costs a request half a second at
            # most: pages are then built from the database.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Files on this machine: every process of it (the server, manage.py
    # publish_scheduled and import_registry, a task worker) shares them, so
    # a change made by one is purged for all.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            # Room for pages and a version token per port an import touches.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# Login guessing: django-axes counts failed logins per account and address in
# the database, so every app server sees the same count, and refuses further
# tries for a while. First in the list, so it sees every attempt.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# The pair, not the address alone (a shared office address would lock out
# everyone) nor the name alone (anyone could lock an editor out).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "429.html"
# The reader's address as feedback votes see it: behind TRUSTED_PROXY_COUNT
# proxies, from X-Forwarded-For, read from the right (the left is the client's).
AXES_CLIENT_IP_CALLABLE = "ports.security.client_address"

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

# Languages the site speaks. English is the source language of every story;
# the others fall back to it wherever an editor has not translated yet.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ja", _("Japanese")),
    ("ps", _("Pashto")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("pt-br", _("Brazilian Portuguese")),
    ("zh-hans", _("Simplified Chinese")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("vi", _("Vietnamese")),
    ("id", _("Indonesian")),
    ("tr", _("Turkish")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django has no locale data for Pashto; the admin's translation widgets ask
# for every language's name and direction.
LANG_INFO.setdefault(
    "ps", {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"}
)
# Django's default list lacks Pashto; its pages are right-to-left too.
LANGUAGES_BIDI = ["he", "ar", "ar-dz", "ckb", "fa", "ug", "ur", "ps"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)


# A translated field's label: "title [ID]", the language as the admin's
# language switch names it (modeltranslation's default says "[ind]").
def MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME(verbose_name, language):  # noqa: N802
    from ports.languages import language_label

    return f"{verbose_name} [{language_label(language)}]"


TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Registry files larger than this are refused before parsing.
REGISTRY_UPLOAD_MAX_BYTES = env_int(
    "REGISTRY_UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# No request body may be larger than the largest registry file plus room for
# the form around it; larger ones are answered 413 before being read.
REQUEST_MAX_BYTES = REGISTRY_UPLOAD_MAX_BYTES + 1024 * 1024

# import-export: imports and exports need their own permissions.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# An uploaded registry file waits between preview and confirmation in media
# storage, not a worker's /tmp, so any app server can confirm it.
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

SITE_NAME = os.environ.get("SITE_NAME", "portwiki")
# The site's public address, for links in what is made outside a request
# (the open data's downloads).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where the open data's downloads are written (served at /data/): storage
# every app server shares, as MEDIA_ROOT.
DATA_EXPORT_DIR = os.environ.get("DATA_EXPORT_DIR", str(BASE_DIR / "var" / "data"))

# How many reverse proxies in front of the site append to X-Forwarded-For
# (0: none, REMOTE_ADDR is the reader). Feedback votes are counted per reader.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# A story needs attention in a language (the admin index's "Needs attention"
# queue) when, over the last FEEDBACK_ATTENTION_DAYS days, at least
# FEEDBACK_ATTENTION_MIN_VOTES readers answered "Was this page helpful?" and
# fewer than FEEDBACK_ATTENTION_SHARE percent of them said yes. The window
# lets a story that was fixed leave the queue as new answers come in.
FEEDBACK_ATTENTION_SHARE = env_int("FEEDBACK_ATTENTION_SHARE", 50)
if FEEDBACK_ATTENTION_SHARE > 100:
    raise ImproperlyConfigured(
        f"FEEDBACK_ATTENTION_SHARE is a percentage, not {FEEDBACK_ATTENTION_SHARE}."
    )
FEEDBACK_ATTENTION_MIN_VOTES = env_int("FEEDBACK_ATTENTION_MIN_VOTES", 10, minimum=1)
FEEDBACK_ATTENTION_DAYS = env_int("FEEDBACK_ATTENTION_DAYS", 90, minimum=1)

# The free-port finder suggests a port only if nmap found it open on at most
# this many hosts in a million. 100 (0.01%) lets through TCP ports seen on
# a handful of hosts, the noise of hosts that answer on every port (nmap's
# smallest TCP values, 13–76 per million, on thousands of ports), while
# every service in real use is far above; nmap's UDP data has no values so
# small (181 per million and up), so UDP suggestions are ports it never found open.
FREE_PORT_MAX_OPEN_PER_MILLION = env_int("FREE_PORT_MAX_OPEN_PER_MILLION", 100)

# How long browsers (max-age) and shared caches (s-maxage: a CDN, Varnish,
# the app's page cache) keep a reader page, and how long shared caches may
# serve it stale while they fetch it again or while the site fails.
# Publishing and imports purge shared caches at once (ports.cache).
BROWSER_CACHE_SECONDS = env_int("BROWSER_CACHE_SECONDS", 60)
SHARED_CACHE_SECONDS = env_int("SHARED_CACHE_SECONDS", 24 * 60 * 60)
STALE_WHILE_REVALIDATE_SECONDS = env_int("STALE_WHILE_REVALIDATE_SECONDS", 60)
STALE_IF_ERROR_SECONDS = env_int("STALE_IF_ERROR_SECONDS", 24 * 60 * 60)
# The app's own page cache keeps shared pages at most this long (0: off).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 3600)
# Front caches purged by tag after every change (ports.cache.front): each
# address in FRONT_CACHE_LOCATIONS with FRONT_CACHE_BACKEND (Varnish by
# default; a dotted path for a CDN's backend).
_front_cache_timeout = env_int("FRONT_CACHE_TIMEOUT_MS", 1000, minimum=1) / 1000
FRONT_CACHES = [
    {
        "BACKEND": os.environ.get("FRONT_CACHE_BACKEND", "ports.cache.front.Varnish"),
        "LOCATION": location,
        "TIMEOUT": _front_cache_timeout,
    }
    for location in env_list("FRONT_CACHE_LOCATIONS")
]
# After a change, pages are read from the primary database, not the replica,
# for this long: longer than the replica ever lags.
REPLICA_LAG_SECONDS = env_int("REPLICA_LAG_SECONDS", 10)

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Content Security Policy: scripts and styles only from this site or, inline,
# with the response's nonce; no page may be framed. Reader pages carry no
# inline code, so a cached page never holds a stale nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

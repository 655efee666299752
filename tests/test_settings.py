"""Settings come from the environment and refuse unsafe production values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3!v9-production-like-secret-key-with-entropy-0123456789abcdef",
    "ALLOWED_HOSTS": "portwiki.example",
    "CSRF_TRUSTED_ORIGINS": "https://portwiki.example",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, **env):
    # Only what the test gives: nothing from the developer's or CI's shell,
    # nor DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set.
    inherited = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_key():
    result = manage(
        "check",
        **{**PRODUCTION, "SECRET_KEY": "django-insecure-portwiki-development-only"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_check_deploy_passes_with_production_like_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_local_editor_login_is_refused_in_production():
    result = manage("ensure_local_editor", **PRODUCTION)
    assert result.returncode != 0
    assert "only for development" in result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://u@db.example:5432/portwiki", "django.db.backends.postgresql"),
        ("", "django.db.backends.sqlite3"),
    ],
)
def test_database_comes_from_database_url(url, engine):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    output = settings_output(code, **({"DATABASE_URL": url} if url else {}))
    assert output.split() == [engine, "60", "True"]


def settings_output(code, **env_vars):
    """What `code` prints in a fresh process with these variables set."""
    inherited = {"DATABASE_URL", "DATABASE_PREPARED_STATEMENTS", "PREPARE_THRESHOLD"}
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env.update(DEBUG="true", DJANGO_SETTINGS_MODULE="portwiki.settings", **env_vars)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cache_is_redis_when_redis_url_is_set():
    code = (
        "from django.core.cache import caches; cache = caches['default'];"
        "from django.core.cache.backends.redis import RedisCache;"
        "cache.set('settings-test', 'stored in redis', 30);"
        "print(isinstance(cache, RedisCache), cache.get('settings-test'))"
    )
    env = {
        **os.environ,
        "DEBUG": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "DJANGO_SETTINGS_MODULE": "portwiki.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True stored in redis", result.stderr


def _database_options(**env_vars):
    return settings_output(
        "from django.conf import settings;"
        "print(sorted(settings.DATABASES['default'].get('OPTIONS', {}).items()))",
        **env_vars,
    )


def test_postgresql_prepares_repeated_statements_unless_turned_off():
    url = "postgres://u@db.example:5432/portwiki"
    assert _database_options(DATABASE_URL=url) == (
        "[('prepare_threshold', 5), ('server_side_binding', True)]"
    )
    assert _database_options(DATABASE_URL=url, PREPARE_THRESHOLD="2") == (
        "[('prepare_threshold', 2), ('server_side_binding', True)]"
    )
    # Behind a connection pooler that cannot keep prepared statements.
    assert (
        _database_options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
        == "[]"
    )
    # SQLite has no such options.
    assert _database_options(DATABASE_URL="sqlite:///:memory:") == "[]"


NOT_A_NUMBER = "must be a whole number of at least"
NEITHER_YES_NOR_NO = "must be one of 0, 1, false, no, off, on, true, yes"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("PREPARE_THRESHOLD", "often", NOT_A_NUMBER),
        ("PREPARE_THRESHOLD", "-1", NOT_A_NUMBER),
        ("PAGE_CACHE_SECONDS", "1h", NOT_A_NUMBER),
        ("SHARED_CACHE_SECONDS", "1d", NOT_A_NUMBER),
        ("BROWSER_CACHE_SECONDS", "-5", NOT_A_NUMBER),
        ("FRONT_CACHE_TIMEOUT_MS", "0", NOT_A_NUMBER),
        ("REPLICA_LAG_SECONDS", "soon", NOT_A_NUMBER),
        ("LOGIN_FAILURE_LIMIT", "0", NOT_A_NUMBER),
        ("CONN_MAX_AGE", "forever", NOT_A_NUMBER),
        ("DATABASE_PREPARED_STATEMENTS", "flase", NEITHER_YES_NOR_NO),
        ("SECURE_SSL_REDIRECT", "nope", NEITHER_YES_NOR_NO),
        ("SECURE_HSTS_PRELOAD", "2", NEITHER_YES_NOR_NO),
    ],
)
def test_a_malformed_value_stops_the_start_with_its_name(name, value, complaint):
    result = manage(
        "check", **{**PRODUCTION, "DATABASE_URL": "postgres://u@db/x", name: value}
    )
    assert result.returncode != 0
    assert f"{name} {complaint}" in result.stderr
    assert repr(value) in result.stderr


def test_yes_and_no_are_read_in_any_case_and_spacing():
    url = "postgres://u@db.example:5432/portwiki"
    for value in ("OFF", " no ", "0", "False"):
        options = _database_options(
            DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS=value
        )
        assert options == "[]", value
    for value in ("ON", " yes ", "1", "True"):
        options = _database_options(
            DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS=value
        )
        assert "server_side_binding" in options, value


def _settings_value(expression, **env):
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print({expression})",
        **{**PRODUCTION, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_front_caches_come_from_their_addresses():
    caches = _settings_value(
        "settings.FRONT_CACHES",
        FRONT_CACHE_LOCATIONS="http://varnish-1:6081, http://varnish-2:6081",
        FRONT_CACHE_TIMEOUT_MS="250",
    )
    assert caches == str(
        [
            {
                "BACKEND": "ports.cache.front.Varnish",
                "LOCATION": f"http://varnish-{n}:6081",
                "TIMEOUT": 0.25,
            }
            for n in (1, 2)
        ]
    )
    assert _settings_value("settings.FRONT_CACHES") == "[]"


def test_without_redis_the_page_cache_is_in_files_every_process_shares(tmp_path):
    backend = _settings_value(
        "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']",
        CACHE_DIR=str(tmp_path),
    )
    assert backend == f"django.core.cache.backends.filebased.FileBasedCache {tmp_path}"


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        (
            {"FRONT_CACHE_LOCATIONS": "varnish:6081"},
            "ports.E002) FRONT_CACHE_LOCATIONS: 'varnish:6081' is not an http://",
        ),
        (
            {
                "FRONT_CACHE_LOCATIONS": "http://varnish:6081",
                "FRONT_CACHE_BACKEND": "mysite.cdn.Nowhere",
            },
            "ports.E001) FRONT_CACHE_BACKEND 'mysite.cdn.Nowhere' cannot be imported",
        ),
    ],
)
def test_a_front_cache_that_could_never_be_purged_stops_the_start(env, complaint):
    result = manage("check", **{**PRODUCTION, **env})
    assert result.returncode != 0
    assert complaint in result.stderr
    assert (
        manage("check", **PRODUCTION, FRONT_CACHE_LOCATIONS="http://v:6081").returncode
        == 0
    )

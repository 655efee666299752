"""
Login guessing is cut short: after LOGIN_FAILURE_LIMIT wrong passwords for
one account from one address, the admin login answers 429 with a plain page,
even with the right password, until the cool-off ends; the count lives in the
database, so every app server shares it.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from tests.factories import make_user

LOGIN = "/admin/login/?next=/admin/"


def attempt(client, password, username="edna", address="203.0.113.7"):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def editor(db):
    return make_user("edna", role="Editor", password="right-password-1")


def test_lockout_after_the_failure_limit(client, editor):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        response = attempt(client, "guess")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in (
            response.content.decode()
        )
    response = attempt(client, "guess")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "0:15:00" in response.content.decode()

    # Even the right password is refused now.
    response = attempt(client, "right-password-1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account_and_address(client, editor):
    make_user("rita", role="Reviewer", password="right-password-2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "guess")
    assert attempt(client, "right-password-1").status_code == 429
    # Another address, or another account, is not blocked by it.
    other_address = attempt(client, "right-password-1", address="198.51.100.9")
    assert other_address.status_code == 302
    client.logout()
    other_account = attempt(client, "right-password-2", username="rita")
    assert other_account.status_code == 302


def test_failures_are_counted_in_the_database(client, editor):
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    attempt(client, "guess")
    attempt(client, "guess")
    stored = AccessAttempt.objects.get(username="edna", ip_address="203.0.113.7")
    assert stored.failures_since_start == 2


def test_success_resets_the_count(client, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "guess")
    assert attempt(client, "right-password-1").status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username="edna").exists()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "guess").status_code == 200


def test_lockout_page_passes_the_content_security_policy(client, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, "guess")
    assert response.status_code == 429
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in response.content.decode()


def test_force_login_is_not_counted(client, editor):
    """Tests sign in with force_login, which never touches the login guard."""
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200
    assert not AccessAttempt.objects.exists()


def test_behind_proxies_the_forwarded_address_counts(client, editor, settings):
    """With one trusted proxy, the address it saw counts, not what a client adds."""
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(forwarded, password="guess"):
        return client.post(
            LOGIN,
            {"username": "edna", "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for number in range(settings.AXES_FAILURE_LIMIT):
        # A guesser rotating a made-up left-hand address is still one reader.
        via_proxy(f"192.0.2.{number}, 203.0.113.7")
    assert via_proxy("203.0.113.7", "right-password-1").status_code == 429
    # Another reader behind the same proxy is not locked out.
    assert via_proxy("198.51.100.9", "right-password-1").status_code == 302
    assert AccessAttempt.objects.get(username="edna").ip_address == "203.0.113.7"

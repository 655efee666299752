"""
Content Security Policy and the other security headers: every page carries
the policy, no inline script or style runs without the response's nonce, and
production settings pass `check --deploy`.
"""

import re

import pytest
from django.test import override_settings

from tests.factories import make_citation, make_published_story, make_user
from tests.test_settings import PRODUCTION, manage

INLINE_TAG_RE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
DATA_BLOCK_RE = re.compile(r'type="application/(ld\+)?json"')


def policy(response):
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:]
        for part in (item.strip() for item in header.split(";"))
        if part
    }


def assert_inline_code_has_nonce(response):
    """Every inline <script>/<style> carries the nonce the header allows."""
    directives = policy(response)
    html = response.content.decode()
    for tag, attributes in INLINE_TAG_RE.findall(html):
        if tag.lower() == "script" and (
            "src=" in attributes or DATA_BLOCK_RE.search(attributes)
        ):
            # External files are covered by 'self'; JSON data blocks never run.
            continue
        nonce = re.search(r'nonce="([^"]+)"', attributes)
        assert nonce, f"inline <{tag}{attributes}> without a nonce"
        source = "script-src" if tag.lower() == "script" else "style-src"
        assert f"'nonce-{nonce.group(1)}'" in directives[source]
    assert not re.search(r"\son[a-z]+\s*=", html.replace("&quot;", "")), (
        "inline event handler attribute"
    )


@pytest.fixture
def story(db):
    story = make_published_story(4321, title="CSP story")
    make_citation(story, position=2)
    return story


READER_URLS = [
    "/",
    "/ports/",
    "/ports/4321/",
    "/ports/system/",
    "/search/?q=4321",
    "/ports/no-such-page/",
]


@pytest.mark.parametrize("url", READER_URLS)
def test_reader_pages_carry_a_strict_policy(client, story, url):
    response = client.get(url)
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert_inline_code_has_nonce(response)


def test_cached_reader_pages_hold_no_nonce(client, story):
    """A shared cached page cannot hold one reader's nonce, so it holds none."""
    first = client.get("/ports/4321/")
    second = client.get("/ports/4321/")
    assert "nonce" not in first.content.decode()
    assert "nonce" not in second.content.decode()
    assert policy(second)["script-src"] == ["'self'"]


def admin_urls(story):
    pk = story.pk
    return [
        "/admin/",
        "/admin/ports/story/",
        "/admin/ports/story/add/",
        f"/admin/ports/story/{pk}/change/",
        f"/admin/ports/story/{pk}/revisions/",
        f"/admin/ports/story/{pk}/workflow/unpublish/",
        f"/preview/stories/{pk}/",
        "/admin/ports/assignment/",
        "/admin/ports/assignment/import/",
        "/admin/ports/assignment/export/",
        "/admin/ports/feedbackprompt/add/",
        "/admin/auth/user/",
        "/admin/password_change/",
    ]


def test_admin_pages_use_nonces_for_their_inline_code(client, story):
    client.force_login(make_user("root", is_superuser=True))
    for url in admin_urls(story):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert_inline_code_has_nonce(response)


def test_each_response_gets_its_own_nonce(client, story):
    client.force_login(make_user("rita", role="Reviewer"))
    url = f"/admin/ports/story/{story.pk}/change/"
    nonces = {
        re.search(
            r"'nonce-([^']+)'", client.get(url).headers["Content-Security-Policy"]
        ).group(1)
        for _ in range(2)
    }
    assert len(nonces) == 2


def test_admin_login_page_carries_the_policy(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert policy(response)["frame-ancestors"] == ["'none'"]
    assert_inline_code_has_nonce(response)


@override_settings(DEBUG=False)
def test_story_preview_is_framed_by_nobody(client, story):
    client.force_login(make_user("edna", role="Editor"))
    response = client.get(f"/preview/stories/{story.pk}/")
    assert response.status_code == 200
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_production_settings_harden_cookies_and_transport():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_REFERRER_POLICY, s.X_FRAME_OPTIONS,"
        " *s.SECURE_CSP['frame-ancestors'])"
    )
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "True", "31536000", "True", "True", "True",
        "strict-origin-when-cross-origin", "DENY", "'none'",
    ]  # fmt: skip


def test_check_deploy_reports_nothing():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

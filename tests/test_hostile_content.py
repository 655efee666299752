"""
A corpus of cross-site-scripting payloads and the data that puts them in every
field an editor, a reader or a registry file can write. Shared by the HTML
tests (tests/test_hostile_content.py) and the browser run
(tests/browser/test_xss.py).
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import FAQ, Citation, FeedbackVote, KnownUse, RelatedPort, Story
from ports.registry import importing
from tests.factories import make_port, make_user, registry_csv

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "<svg><script>alert(4)</script></svg>",
    '"><script>alert(5)</script>',
    "'><img src=x onerror=alert(6)>",
    '<a href="javascript:alert(7)">click</a>',
    '<a href="data:text/html,<script>alert(8)</script>">d</a>',
    '<iframe src="javascript:alert(9)"></iframe>',
    "<body onload=alert(10)>",
    '<div style="background:url(javascript:alert(11))">s</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(12)>",
    "<scr<script>ipt>alert(13)</script>",
    "<<script>alert(14);//<</script>",
    "</textarea><script>alert(15)</script>",
    "</title><script>alert(16)</script>",
    "</script><script>alert(17)</script>",
    "[click](javascript:alert(18))",
    "[click](JaVaScRiPt:alert(19))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgyMCk8L3NjcmlwdD4=)",
    "![img](javascript:alert(21))",
    '![x](x" onerror="alert(22))',
    '[a](https://example.org "title" onmouseover="alert(23)")',
    "<details open ontoggle=alert(24)>",
    "\u202e<script>alert(25)</script>",
    "java\x0cscript:alert(26)\x1b\x0b",
    "jav&#x09;ascript:alert(27)",
    "\ufeff<img src=x onerror=alert(28)>",
    "{{ 7*7 }}{% load static %}",
    '<base href="javascript:alert(29)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(30)">',
    '<form action="javascript:alert(31)"><button>x</button></form>',
]
ALL = " ".join(PAYLOADS)
BAD_URLS = [
    "javascript:alert(40)",
    " JAVASCRIPT:alert(41)",
    "data:text/html,<script>alert(42)</script>",
    "vbscript:msgbox(43)",
    'https://example.org/"><script>alert(44)</script>',
]
SAFE_SCHEMES = {"http", "https", "mailto", ""}
LANGUAGES = [code for code, _name in settings.LANGUAGES]
NUMBER = 4444


def suffix(code):
    return "ind" if code == "id" else code.replace("-", "_")


def hostile_world():
    """Every writable field full of payloads; returns the story."""
    make_port(NUMBER)
    translated = {}
    for code in LANGUAGES:
        translated[f"title_{suffix(code)}"] = f"T{code} {PAYLOADS[0]} {PAYLOADS[1]}"
        translated[f"summary_{suffix(code)}"] = f"S{code} {ALL}"[:2000]
        translated[f"body_{suffix(code)}"] = f"B{code}\n\n{ALL}\n\nSee.[^1]"
    story = Story.objects.create(port_id=NUMBER, **translated)
    for position, url in enumerate(BAD_URLS + ["https://example.org/ok"], start=1):
        Citation.objects.create(
            story=story,
            position=position,
            title=f"{PAYLOADS[position % len(PAYLOADS)]} cite",
            url=url,
            publisher=PAYLOADS[2],
            note=PAYLOADS[3],
        )
    FAQ.objects.create(
        story=story,
        position=1,
        **{f"question_{suffix(c)}": f"Q {PAYLOADS[4]}" for c in LANGUAGES},
        **{f"answer_{suffix(c)}": f"A {PAYLOADS[5]} {PAYLOADS[17]}" for c in LANGUAGES},
    )
    RelatedPort.objects.create(
        story=story,
        port=make_port(4445),
        **{f"note_{suffix(c)}": f"N {PAYLOADS[6]}" for c in LANGUAGES},
    )
    for position, url in enumerate(BAD_URLS, start=1):
        KnownUse.objects.create(
            story=story,
            kind=KnownUseKind.values[position % len(KnownUseKind.values)],
            name=f"{PAYLOADS[position]} use",
            description=PAYLOADS[position + 5],
            source_title=PAYLOADS[position + 10],
            source_url=url,
            position=position,
        )
    FeedbackVote.objects.create(
        port_id=NUMBER,
        story=story,
        language="en",
        helpful=False,
        comment=ALL[:1000],
        client_hash="hostile",
        day="2025-01-01",
    )
    importing.import_registry(
        registry_csv(
            [
                "evil-svc",
                str(NUMBER),
                "tcp",
                f"D {PAYLOADS[0]} {PAYLOADS[17]}",
                f"[{PAYLOADS[1]}] [RFC6335]",
                PAYLOADS[2],
                "",
                "",
                PAYLOADS[7],
                "",
                "",
                f"Notes {PAYLOADS[8]}",
            ],  # fmt: skip
            ["", "4446", "udp", PAYLOADS[9], "", "", "", "", "", "", "", PAYLOADS[10]],
        ),
        file_name=f"{PAYLOADS[0]}.csv",
    )
    return actions.story_publish(story=story, by=None)


class PageChecker(HTMLParser):
    """Collects what in a page could run: scripts, handlers, unsafe URLs."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
    FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "frame", "frameset"}

    def __init__(self, *, own_host, require_rel=True):
        super().__init__(convert_charrefs=True)
        self.own_host = own_host
        self.require_rel = require_rel
        self.problems = []
        self.in_script = None
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRIBUTES and value is not None:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and "javascript" in (value or "").lower():
                self.problems.append(f"<{tag} style={value!r}>")
        if tag in self.FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "a" and attributes.get("href") and self.require_rel:
            parts = urlsplit(attributes["href"])
            if parts.scheme in ("http", "https") and parts.netloc != self.own_host:
                rel = set((attributes.get("rel") or "").split())
                if not {"noopener", "noreferrer"} <= rel:
                    self.problems.append(f"external link without rel: {attributes}")
        if tag == "script":
            kind = attributes.get("type", "")
            if "src" in attributes or kind == "application/ld+json":
                self.in_script = kind or "src"
            elif "nonce" in attributes or kind == "application/json":
                self.in_script = "nonce"
            else:
                self.problems.append(f"inline <script {attributes}>")
                self.in_script = "bad"

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = None

    def handle_data(self, data):
        if self.in_script == "application/ld+json":
            self.scripts.append(data)
            if "<" in data:
                self.problems.append(f"markup inside JSON-LD: {data[:80]!r}")
        elif self.in_script == "src" and data.strip():
            self.problems.append(f"code in a <script src>: {data[:80]!r}")


def page_problems(html, own_host="testserver", require_rel=True):
    checker = PageChecker(own_host=own_host, require_rel=require_rel)
    checker.feed(html)
    checker.close()
    return checker.problems


# Tests ---------------------------------------------------------------------------

import re  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

import pytest  # noqa: E402

from ports.models import Assignment, ImportRun  # noqa: E402

ESCAPED_TITLE = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(db):
    return hostile_world()


def reader_urls():
    urls = [f"/ports/{NUMBER}/", "/ports/4445/", "/", "/ports/", "/ports/user/"]
    urls += [f"/{code}/ports/{NUMBER}/" for code in LANGUAGES if code != "en"]
    urls += ["/search/?q=evil-svc", "/search/?q=alert", "/services/evil-svc/"]
    return urls


def assert_safe(response, url):
    assert response.status_code == 200, (url, response.status_code)
    # Django's admin links a URL field's current value plainly, in the same
    # tab; reader pages and the preview must mark every external link.
    admin = url.startswith("/admin/")
    problems = page_problems(response.content.decode(), require_rel=not admin)
    assert problems == [], f"{url}: {problems}"


def test_reader_pages_render_hostile_content_inert(client, hostile):
    for url in reader_urls():
        assert_safe(client.get(url), url)
    page = client.get(f"/ports/{NUMBER}/").content.decode()
    # The fields were really on the page, as text.
    assert ESCAPED_TITLE in page
    assert "Notes &lt;iframe" in page
    assert "evil-svc" in page
    assert page.count('class="source-link"') == 2  # only the two https sources
    assert "alert(40)" not in page and "alert(43)" not in page


def test_unsafe_source_urls_are_not_links(client, hostile):
    page = client.get(f"/ports/{NUMBER}/").content.decode()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert "https://example.org/ok" in hrefs
    for href in hrefs:
        assert not href.strip().lower().startswith(("javascript", "data", "vbscript"))


def test_json_ld_holds_hostile_text_as_data(client, hostile):
    page = client.get(f"/ports/{NUMBER}/").content.decode()
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.S
    )
    assert blocks
    import json

    data = [json.loads(block) for block in blocks]
    text = json.dumps(data)
    assert "<script>alert(1)</script>" in text  # kept as data, escaped in the page
    assert "</script" not in "".join(blocks).lower()


@pytest.mark.parametrize("feed", ["/feeds/stories.rss", "/feeds/stories.atom"])
def test_feeds_carry_hostile_content_inert(client, hostile, feed):
    response = client.get(feed)
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    html_parts = [
        element.text or ""
        for element in root.iter()
        if element.tag.split("}")[-1] in ("description", "summary", "content")
    ]
    assert any("alert" in part or "cite" in part or "S" in part for part in html_parts)
    for part in html_parts:
        assert page_problems(part) == [], part


def staff_urls(story):
    change = Assignment.objects.get(service_name="evil-svc").pk
    run = ImportRun.objects.first().pk
    vote = FeedbackVote.objects.first().pk
    return [
        f"/preview/stories/{story.pk}/",
        f"/ja/preview/stories/{story.pk}/",
        "/admin/",
        "/admin/ports/story/",
        f"/admin/ports/story/{story.pk}/change/",
        f"/admin/ports/story/{story.pk}/revisions/",
        f"/admin/ports/story/{story.pk}/workflow/unpublish/",
        f"/admin/ports/story/{story.pk}/history/",
        "/admin/ports/assignment/",
        "/admin/ports/assignment/?q=evil",
        f"/admin/ports/assignment/{change}/change/",
        "/admin/ports/registrychange/",
        "/admin/ports/importrun/",
        f"/admin/ports/importrun/{run}/change/",
        "/admin/ports/feedbackvote/",
        f"/admin/ports/feedbackvote/{vote}/change/",
        "/admin/ports/feedbackvote/report/",
        "/admin/translations/",
        "/admin/ports/storyrevision/",
        "/admin/ports/storytransition/",
    ]


def test_preview_and_admin_render_hostile_content_inert(client, hostile):
    client.force_login(make_user("root", is_superuser=True))
    for url in staff_urls(hostile):
        response = client.get(url, follow=url.endswith("/preview/"))
        assert_safe(response, url)
    change = client.get(f"/admin/ports/story/{hostile.pk}/change/").content.decode()
    assert ESCAPED_TITLE in change


def test_admin_refuses_script_urls_for_sources(client, db):
    """Editors cannot store a javascript: or data: link in the first place."""
    from tests.factories import admin_form_data, make_story, make_user

    story = make_story(4447)
    client.force_login(make_user("edna", role="Editor"))
    url = f"/admin/ports/story/{story.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update(
        {
            "citations-TOTAL_FORMS": "1",
            "citations-0-position": "1",
            "citations-0-title": "x",
            "citations-0-url": "javascript:alert(1)",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert not Citation.objects.filter(story=story).exists()

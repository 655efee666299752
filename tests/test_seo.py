"""Findability: canonical URLs, descriptions, Open Graph and JSON-LD."""

import json
import re
from html import unescape

import pytest
from django.core.management import call_command

from ports.editorial import actions
from tests.factories import make_citation, make_faq, make_story, make_user

pytestmark = pytest.mark.django_db

JSON_LD_RE = re.compile(
    r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL
)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def head(html):
    return html.split("</head>", 1)[0]


def meta(html, attribute, name):
    match = re.search(
        rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html
    )
    return match[1] if match else None


def canonical(html):
    return unescape(re.search(r'<link rel="canonical" href="([^"]*)">', html)[1])


def json_ld(html):
    return [json.loads(block) for block in JSON_LD_RE.findall(html)]


def test_story_page_has_canonical_url_description_and_open_graph(client, demo):
    html = client.get("/ports/373/?utm_source=newsletter").content.decode()
    assert canonical(html) == "http://testserver/ports/373/"
    description = meta(html, "name", "description")
    assert description.startswith("IANA still lists port 373 for Legent Corporation")
    assert meta(html, "property", "og:type") == "article"
    assert meta(html, "property", "og:title") == (
        "Port 373: legent-1, a registry entry that outlived its company"
    )
    assert meta(html, "property", "og:url") == "http://testserver/ports/373/"
    assert meta(html, "property", "og:description") == description
    assert "<title>Port 373: legent-1" in html


def test_port_without_story_gets_a_description_from_the_registry(client, demo):
    html = client.get("/ports/6001/").content.decode()
    description = meta(html, "name", "description")
    assert "Port 6001" in description and "x11" in description
    assert "X Window System" in description
    assert meta(html, "property", "og:type") == "website"
    assert canonical(html) == "http://testserver/ports/6001/"
    unassigned = client.get("/ports/60000/").content.decode()
    assert "Port 60000" in meta(unassigned, "name", "description")


def test_lists_have_canonical_urls_with_their_filters(client, demo):
    html = client.get("/ports/?story=yes&ref=x").content.decode()
    assert canonical(html) == "http://testserver/ports/?story=yes"
    assert canonical(client.get("/ports/?page=2").content.decode()) == (
        "http://testserver/ports/?page=2"
    )
    assert canonical(client.get("/").content.decode()) == "http://testserver/"


def test_pages_link_their_feeds(client, demo):
    html = head(client.get("/").content.decode())
    assert 'type="application/rss+xml"' in html and 'href="/feeds/stories.rss"' in html
    assert (
        'type="application/atom+xml"' in html and 'href="/feeds/stories.atom"' in html
    )


def test_story_page_has_article_and_faq_structured_data(client, demo):
    blocks = json_ld(client.get("/ports/373/").content.decode())
    assert [block["@type"] for block in blocks] == ["Article", "FAQPage"]
    article, faq = blocks
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == (
        "Port 373: legent-1, a registry entry that outlived its company"
    )
    assert (
        article["url"] == article["mainEntityOfPage"] == "http://testserver/ports/373/"
    )
    assert article["inLanguage"] == "en"
    assert re.match(r"\d{4}-\d\d-\d\dT", article["datePublished"])
    assert article["dateModified"] >= article["datePublished"]
    citations = article["citation"]
    assert len(citations) == 8
    assert {citation["@type"] for citation in citations} == {"CreativeWork"}
    assert citations[1] == {
        "@type": "CreativeWork",
        "name": "Legent Corporation",
        "url": "https://en.wikipedia.org/wiki/Legent_Corporation",
        "publisher": {"@type": "Organization", "name": "Wikipedia"},
    }
    questions = faq["mainEntity"]
    assert [q["name"] for q in questions][0] == "Who owns port 373?"
    assert all(q["@type"] == "Question" for q in questions)
    assert all(q["acceptedAnswer"]["@type"] == "Answer" for q in questions)
    assert len(questions) == 3


def test_structured_data_cannot_break_out_of_its_script(client):
    hostile = "</script><script>alert(1)</script> & <!--"
    story = make_story(4700, title=f"Title {hostile}", summary=hostile, body="x[^1]")
    make_citation(story, title=hostile, url="https://example.org/?a=1&b=<2>")
    make_faq(story, question=f"Q {hostile}?", answer=hostile)
    actions.story_publish(story=story, by=None)
    html = client.get("/ports/4700/").content.decode()
    raw = JSON_LD_RE.findall(html)
    assert len(raw) == 2
    for block in raw:
        assert "<" not in block and ">" not in block and "&" not in block
    article, faq = (json.loads(block) for block in raw)
    assert article["headline"] == f"Title {hostile}"
    assert article["citation"][0]["url"] == "https://example.org/?a=1&b=<2>"
    assert faq["mainEntity"][0]["acceptedAnswer"]["text"] == hostile
    # No script ran loose: the only scripts are the citations' access date,
    # the copy button, the feedback form's and the data.
    assert html.count("<script") == 5


def test_no_structured_data_without_a_story_and_no_faq_page_without_faqs(client):
    assert json_ld(client.get("/ports/4701/").content.decode()) == []
    story = make_story(4702, body="x[^1]")
    make_citation(story)
    actions.story_publish(story=story, by=None)
    blocks = json_ld(client.get("/ports/4702/").content.decode())
    assert [block["@type"] for block in blocks] == ["Article"]


def test_staff_preview_carries_no_structured_data_or_feedback(client, demo):
    from ports.models import Story

    story = Story.objects.get(port=1381)
    editor = make_user("writer", role="Editor")
    client.force_login(editor)
    response = client.get(f"/preview/stories/{story.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert json_ld(html) == []
    assert 'id="feedback"' not in html
    assert "Port 1381: Apple Network License Manager" in html

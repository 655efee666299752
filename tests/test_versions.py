"""Permanent addresses of published story versions, and citing them."""

import json
import re
from datetime import timedelta

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ports.editorial import actions
from ports.models import Story
from tests.factories import make_published_story

pytestmark = pytest.mark.django_db


def new_version(story, title, **publish):
    story = Story.objects.get(pk=story.pk)
    story.title = title
    story.save()
    return actions.story_publish(story=story, by=None, **publish)


def test_each_published_version_has_its_own_address(client):
    story = make_published_story(373, title="First words")
    new_version(story, "Second words")

    first = client.get("/ports/373/v/1/")
    assert first.status_code == 200
    html = first.content.decode()
    assert "First words" in html and "Second words" not in html
    assert "Version 1 of this story" in html
    assert "A newer version has been published since." in html
    assert 'href="/ports/373/">Read the current version' in html
    assert first["X-Robots-Tag"] == "noindex"
    assert 'rel="canonical" href="http://testserver/ports/373/"' in html

    second = client.get("/ports/373/v/2/").content.decode()
    assert "Second words" in second and "This is the current version." in second
    assert client.get("/ports/373/v/3/").status_code == 404
    assert client.get("/ports/373/v/0/").status_code == 404


def test_a_version_address_is_shared_and_purged_with_its_port(client):
    story = make_published_story(373, title="First words")
    response = client.get("/ports/373/v/1/")
    assert response["Surrogate-Key"] == "site ports port-373"
    assert "public" in response["Cache-Control"] and response["ETag"]
    assert "This is the current version." in response.content.decode()

    new_version(story, "Second words")
    # The cached copy's banner now points to a newer version.
    html = client.get("/ports/373/v/1/").content.decode()
    assert "A newer version has been published since." in html


def test_drafts_and_scheduled_versions_get_no_number(client):
    story = make_published_story(373, title="Live words")
    draft = Story.objects.get(pk=story.pk)
    draft.title = "Draft words"
    draft.save()
    actions.story_record_save(story=draft, by=None)
    assert client.get("/ports/373/v/2/").status_code == 404

    new_version(story, "Scheduled words", at=timezone.now() + timedelta(days=1))
    assert client.get("/ports/373/v/2/").status_code == 404
    html = client.get("/ports/373/v/1/").content.decode()
    assert "Draft words" not in html and "Scheduled words" not in html

    actions.stories_publish_due(now=timezone.now() + timedelta(days=2))
    # Went live: now version 2, though the clock has not reached it here.
    assert Story.objects.get(pk=story.pk).scheduled_revision is None


def test_a_revision_published_again_keeps_its_number(client):
    story = make_published_story(373, title="Only words")
    actions.story_unpublish(story=story, by=None)
    actions.story_publish(story=Story.objects.get(pk=story.pk), by=None)
    assert client.get("/ports/373/v/1/").status_code == 200
    assert client.get("/ports/373/v/2/").status_code == 404


def test_an_unpublished_story_shows_no_version(client):
    story = make_published_story(373, title="Withdrawn words")
    new_version(story, "Later words")
    actions.story_unpublish(story=Story.objects.get(pk=story.pk), by=None)
    for number in (1, 2):
        response = client.get(f"/ports/373/v/{number}/")
        assert response.status_code == 404
        assert b"Withdrawn words" not in response.content
        assert b"Later words" not in response.content


def test_a_draft_story_has_no_version(client):
    from tests.factories import make_story

    make_story(374, title="Never published")
    assert client.get("/ports/374/v/1/").status_code == 404


def test_addresses_are_canonical(client):
    make_published_story(373)
    response = client.get("/ports/0373/v/01/")
    assert response.status_code == 301 and response["Location"] == "/ports/373/v/1/"
    assert client.get("/ports/70000/v/1/").status_code == 404


def test_version_pages_in_other_languages(client):
    make_published_story(373, title="Words")
    response = client.get("/de/ports/373/v/1/")
    assert response.status_code == 200
    # Readers may switch language; search engines are given no alternates.
    html = response.content.decode()
    assert 'href="/ja/ports/373/v/1/"' in html
    assert 'rel="alternate" hreflang' not in html
    assert 'rel="canonical" href="http://testserver/de/ports/373/"' in html


def test_the_current_version_leaves_search_engines_to_the_port_page(client):
    make_published_story(373, title="Words")
    response = client.get("/ports/373/v/1/")
    html = response.content.decode()
    assert "This is the current version." in html
    assert response["X-Robots-Tag"] == "noindex"
    assert 'rel="canonical" href="http://testserver/ports/373/"' in html
    assert '<meta property="og:url" content="http://testserver/ports/373/">' in html
    assert 'rel="alternate" hreflang' not in html
    # The port's own page keeps its alternates and stays indexable.
    port = client.get("/ports/373/")
    assert 'rel="alternate" hreflang="ja"' in port.content.decode()
    assert "X-Robots-Tag" not in port


def structured_data(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)
    return [json.loads(block) for block in blocks]


def test_story_page_offers_its_citation(client):
    story = make_published_story(373, title='The "printer" & port')
    new_version(story, 'The "printer" & port, again')
    html = client.get("/ports/373/").content.decode()
    today = timezone.localdate()
    assert "Cite this page" in html
    assert "http://testserver/ports/373/v/2/" in html
    assert 'src="/static/js/cite.js"' in html
    assert (
        'Retrieved <span data-access-date="apa">'
        f"{today:%B} {today.day}, {today.year}</span>, "
        "from http://testserver/ports/373/v/2/"
    ) in html
    assert "(Version 2)" in html
    assert f'urldate = {{<span data-access-date="iso">{today.isoformat()}' in html
    assert "title = {{The &#34;printer&#34; \\&amp; port, again}}" in html
    csl = re.search(r"CSL-JSON</span>\s*<pre><code>(.*?)</code>", html, re.S)[1]
    csl = re.sub(r"<span[^>]*>(.*?)</span>", r"\1", csl)
    csl = csl.replace("&#34;", '"').replace("&amp;", "&")
    item = json.loads(csl)[0]
    assert item["URL"] == "http://testserver/ports/373/v/2/"
    assert item["version"] == "2"
    assert item["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}
    assert item["title"] == 'The "printer" & port, again'

    article = structured_data(html)[0]
    assert article["version"] == "2"
    version_date = Story.objects.get(pk=story.pk).go_live_at
    assert article["dateModified"] == DjangoJSONEncoder().default(version_date)


def test_an_older_version_cites_itself(client):
    story = make_published_story(373, title="First words")
    first_live = Story.objects.get(pk=story.pk).go_live_at
    new_version(story, "Second words")
    html = client.get("/ports/373/v/1/").content.decode()
    assert "http://testserver/ports/373/v/1/" in html
    assert "First words (Version 1)" in html
    article = structured_data(html)[0]
    assert article["version"] == "1"
    assert article["url"] == "http://testserver/ports/373/v/1/"
    assert article["dateModified"] == DjangoJSONEncoder().default(first_live)
    # Feedback is asked on the port's own page only.
    assert 'id="feedback"' not in html


def test_pages_without_a_story_offer_no_citation(client):
    html = client.get("/ports/9999/").content.decode()
    assert "Cite this page" not in html and "cite.js" not in html

"""
Drafts and stories that are not live never leak: not on port pages, lists,
search, feeds, sitemaps, JSON-LD, other languages, the preview's refusal or
error pages. Each hidden story's title, summary, body, FAQ and citation carry
a word found nowhere else, and no public answer may contain it.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ports.editorial import actions
from tests.factories import make_citation, make_faq, make_published_story, make_story

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"


def hidden_story(number, word, *, state):
    story = make_story(
        number,
        title=f"Port {number} {word}title",
        summary=f"{word}summary",
        body=f"{word}body and more.[^1]",
    )
    make_citation(story, title=f"{word}citation", url=f"https://example.org/{word}")
    make_faq(story, question=f"{word}question?", answer=f"{word}answer.")
    if state == "draft":
        return story
    if state == "scheduled":
        return actions.story_publish(
            story=story, by=None, at=timezone.now() + timedelta(days=3)
        )
    if state == "expired":
        # Published four days ago, expired yesterday.
        return actions.story_publish(
            story=story,
            by=None,
            now=timezone.now() - timedelta(days=4),
            expire_at=timezone.now() - timedelta(days=1),
        )
    if state == "unpublished":
        story = actions.story_publish(story=story, by=None)
        from django.contrib.auth import get_user_model

        from tests.factories import make_user

        reviewer = make_user("rita", role="Reviewer")
        assert get_user_model().objects.filter(pk=reviewer.pk).exists()
        return actions.story_unpublish(story=story, by=reviewer)
    raise AssertionError(state)


@pytest.fixture
def hidden(db):
    make_published_story(4000, title="Port 4000 visible story")
    return {
        "zorblaxdraft": hidden_story(4001, "zorblaxdraft", state="draft"),
        "quintarsched": hidden_story(4002, "quintarsched", state="scheduled"),
        "mervilexpired": hidden_story(4003, "mervilexpired", state="expired"),
        "plontunpub": hidden_story(4004, "plontunpub", state="unpublished"),
    }


def content_of(story, word):
    return [
        f"Port {story.port_id} {word}title",
        f"{word}summary",
        f"{word}body and more",
        f"{word}citation",
        f"{word}question?",
        f"{word}answer.",
    ]


def public_urls(hidden):
    urls = [
        "/",
        "/ports/",
        "/ports/4000/",
        "/ports/system/",
        "/ports/user/",
        "/ports/4000-4010/",
        "/feeds/stories.rss",
        "/feeds/stories.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/ja/",
        "/ja/ports/4001/",
        "/ar/ports/4002/",
    ]
    for word, story in hidden.items():
        urls += [
            f"/ports/{story.port_id}/",
            f"/search/?q={word}",
            f"/search/?q={word}title",
            f"/search/?q={word}body",
            f"/preview/stories/{story.pk}/",
            f"/preview/stories/{story.pk}/?revision=1",
            f"/ports/{story.port_id}/feedback/",
        ]
    return urls


def sitemap_sections(client):
    index = client.get("/sitemap.xml").content.decode()
    return [
        re.sub(r"^https?://[^/]+", "", url)
        for url in re.findall(r"<loc>([^<]+)</loc>", index)
    ]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "reader"])
def test_hidden_stories_never_reach_readers(client, hidden, signed_in):
    if signed_in:
        from tests.factories import make_user

        client.force_login(make_user("rea", is_staff=False))
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    urls = public_urls(hidden) + sitemap_sections(client)
    assert any("sitemap-" in url for url in urls)
    seen = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 404, 405), (url, response)
        body = response.content.decode(errors="replace")
        seen[url] = response.status_code
        for word, story in hidden.items():
            if url.startswith("/search/"):
                # The page repeats what was asked: look for the content itself.
                for text in content_of(story, word):
                    assert text not in body, f"{text} leaks through {url}"
            else:
                assert word not in body, f"{word} leaks through {url}"
    # The visible story is there, so the pages were really looked at.
    assert "Port 4000 visible story" in client.get("/ports/4000/").content.decode()
    assert (
        "Port 4000 visible story" in client.get("/feeds/stories.rss").content.decode()
    )
    assert seen[f"/preview/stories/{hidden['zorblaxdraft'].pk}/"] == 404


def test_hidden_stories_are_missing_from_json_ld(client, hidden):
    for story in hidden.values():
        body = client.get(f"/ports/{story.port_id}/").content.decode()
        for block in re.findall(
            r'<script type="application/ld\+json">(.*?)</script>', body, re.S
        ):
            assert '"Article"' not in block
            assert '"FAQPage"' not in block
    live = client.get("/ports/4000/").content.decode()
    assert '"Article"' in live


def test_feedback_errors_do_not_name_hidden_stories(client, hidden):
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    for word, story in hidden.items():
        for data in ({"helpful": "maybe"}, {"comment": "x"}, {}):
            response = client.post(f"/ports/{story.port_id}/feedback/", data)
            assert word not in response.content.decode()

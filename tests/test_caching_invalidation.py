"""
Exact invalidation: a change refreshes the pages that show it (the port, its
related ports, nearby ports for registry changes, the listings) and leaves
every other cached page alone.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ports.editorial import actions
from ports.models import FeedbackPrompt, KnownUse
from ports.registry import importing
from tests.factories import (
    make_published_story,
    make_related,
    make_story,
    make_user,
    registry_csv,
)

pytestmark = pytest.mark.django_db

LISTINGS = ["/", "/ports/", "/ports/user/", "/feeds/stories.rss", "/sitemap.xml"]


def is_cached(path):
    """Whether an anonymous reader gets this page from the cache (no query)."""
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(path).status_code == 200
    return len(queries) == 0


def fill(*paths):
    for path in paths:
        Client().get(path)
        assert is_cached(path), path


@pytest.fixture
def editor(db):
    return make_user("chief", is_superuser=True)


def test_publishing_refreshes_the_port_its_related_ports_and_listings(editor):
    story = make_story(4400, title="Draft only")
    make_related(story, 4401)
    fill("/ports/4400/", "/ports/4401/", "/ports/4402/", *LISTINGS)
    actions.story_publish(story=story, by=None)
    assert not is_cached("/ports/4400/")
    assert "Draft only" in Client().get("/ports/4400/").content.decode()
    assert not is_cached("/ports/4401/")
    for path in LISTINGS:
        assert not is_cached(path), path
    # A port the story does not touch keeps its cached page.
    assert is_cached("/ports/4402/")


def test_a_new_version_that_drops_a_related_port_refreshes_that_port_too(editor):
    story = make_published_story(4410)
    make_related(story, 4411)
    actions.story_publish(story=story, by=None)
    fill("/ports/4410/", "/ports/4411/", "/ports/4412/")
    story.related_ports.all().delete()
    actions.story_publish(story=story, by=None)
    assert not is_cached("/ports/4411/")
    assert is_cached("/ports/4412/")


def test_unpublishing_refreshes_exactly_the_story_pages(editor):
    story = make_published_story(4420, title="Going away")
    make_related(story, 4421)
    actions.story_publish(story=story, by=None)
    fill("/ports/4420/", "/ports/4421/", "/ports/4422/", *LISTINGS)
    actions.story_unpublish(story=story, by=editor)
    assert "Going away" not in Client().get("/ports/4420/").content.decode()
    assert not is_cached("/ports/4421/")
    assert not is_cached("/")
    assert is_cached("/ports/4422/")


def test_editing_a_live_story_refreshes_when_the_edit_goes_live(editor):
    story = make_published_story(4430, title="First words")
    fill("/ports/4430/", "/ports/4431/")
    story.title = "Second words"
    story.save()
    # The working copy is not what readers see: the cached page stays right.
    assert is_cached("/ports/4430/")
    actions.story_publish(story=story, by=None)
    assert "Second words" in Client().get("/ports/4430/").content.decode()
    assert is_cached("/ports/4431/")


def test_marking_a_live_story_reviewed_refreshes_its_page(editor):
    story = make_published_story(4435)
    fill("/ports/4435/", "/ports/4436/")
    actions.story_mark_reviewed(story=story, by=editor)
    assert not is_cached("/ports/4435/")
    assert is_cached("/ports/4436/")


def test_feedback_prompt_changes_refresh_every_port_page_but_no_listing():
    prompt = FeedbackPrompt.objects.create(
        question="Did this help?", yes_label="Yes", no_label="No", thanks="Thanks"
    )
    fill("/ports/4440/", "/ports/22/", "/", "/ports/")
    prompt.question = "Was this page useful?"
    prompt.save()
    for path in ("/ports/4440/", "/ports/22/"):
        assert "Was this page useful?" in Client().get(path).content.decode()
    assert is_cached("/") and is_cached("/ports/")
    fill("/ports/4440/")
    prompt.delete()
    assert "Was this page useful?" not in Client().get("/ports/4440/").content.decode()


def test_a_known_use_reaches_readers_when_its_story_is_published():
    story = make_published_story(4450, title="Widgets")
    fill("/ports/4450/", "/ports/4451/")
    KnownUse.objects.create(
        story=story,
        kind="unofficial",
        name="Widget daemon",
        source_url="https://example.org/widget",
        source_title="Widget manual",
    )
    # A draft: readers keep the reviewed page, still from the cache.
    assert is_cached("/ports/4450/")
    assert "Widget daemon" not in Client().get("/ports/4450/").content.decode()
    actions.story_publish(story=story, by=None)
    assert "Widget daemon" in Client().get("/ports/4450/").content.decode()
    assert is_cached("/ports/4451/")


def registry_rows(*numbers):
    return [[f"svc{n}", str(n), "tcp", f"Service {n}"] for n in numbers]


def test_an_import_refreshes_touched_nearby_and_related_story_ports():
    base = (4500, 4510, 4520, 4530, 4540, 4550, 4560, 4570, 4580, 4590)
    importing.import_registry(registry_csv(*registry_rows(*base)), file_name="1.csv")
    story = make_published_story(9000, title="Story relating to 4540")
    make_related(story, 4540)
    actions.story_publish(story=story, by=None)
    far_below, near_below, touched, near_above, far_above = (
        "/ports/4500/",
        "/ports/4525/",
        "/ports/4540/",
        "/ports/4556/",
        "/ports/4590/",
    )
    fill(far_below, near_below, touched, near_above, far_above, "/ports/9000/", "/")
    importing.import_registry(
        registry_csv(
            *registry_rows(*(n for n in base if n != 4540)),
            ["svc4540", "4540", "tcp", "Service 4540, renamed"],
        ),
        file_name="2.csv",
    )
    assert "Service 4540, renamed" in Client().get(touched).content.decode()
    # Nearby ports list 4540 among their neighbours; the story lists its actions.
    assert not is_cached(near_below)
    assert not is_cached(near_above)
    assert not is_cached("/ports/9000/")
    assert not is_cached("/")
    # More than three registered ports away: not shown there, still cached.
    assert is_cached(far_below)
    assert is_cached(far_above)


def test_an_import_that_changes_nothing_keeps_every_page():
    importing.import_registry(registry_csv(*registry_rows(4600)), file_name="1.csv")
    fill("/ports/4600/", "/ports/4601/", "/")
    importing.import_registry(registry_csv(*registry_rows(4600)), file_name="2.csv")
    assert is_cached("/ports/4600/")
    assert is_cached("/ports/4601/")
    assert is_cached("/")


def test_an_import_refreshes_stories_whose_live_version_relates_to_a_port():
    """The editors' copy has dropped the related port; readers still see it."""
    # Registered ports around 4700, so that its neighbours are a few ports.
    base = (4600, 4610, 4620, 4630, 4700, 4780, 4790, 4800, 4810)
    importing.import_registry(registry_csv(*registry_rows(*base)), file_name="1.csv")
    story = make_published_story(60010, title="Live relation to 4700")
    make_related(story, 4700)
    actions.story_publish(story=story, by=None)
    story.related_ports.all().delete()  # a draft without the relation
    fill("/ports/60010/", "/ports/60020/")
    importing.import_registry(
        registry_csv(
            *registry_rows(*(n for n in base if n != 4700)),
            ["svc4700-renamed", "4700", "tcp", "Service 4700"],
        ),
        file_name="2.csv",
    )
    assert not is_cached("/ports/60010/")
    assert "svc4700-renamed" in Client().get("/ports/60010/").content.decode()
    assert is_cached("/ports/60020/")  # a page showing nothing of 4700

"""
Publishing and importing announce themselves: the signals each step sends,
which the caches (and anything else) listen to.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ports.editorial import actions, signals
from ports.models import Story
from ports.registry import importing
from ports.registry.signals import registry_imported

from .factories import make_published_story, make_story, make_user, registry_csv

pytestmark = pytest.mark.django_db

STORY_SIGNALS = {
    "published": signals.story_published,
    "unpublished": signals.story_unpublished,
    "changed": signals.live_version_changed,
}


@pytest.fixture
def heard():
    """(signal name, port) of every story signal sent while the test runs."""
    found = []
    receivers = {}
    for name, signal in STORY_SIGNALS.items():

        def receiver(sender, story, name=name, **kwargs):
            assert sender is Story
            found.append((name, story.port_id))

        receivers[name] = receiver
        signal.connect(receiver)
    yield found
    for name, signal in STORY_SIGNALS.items():
        signal.disconnect(receivers[name])


def test_publishing_now_announces_a_published_story(heard):
    actions.story_publish(story=make_story(5001), by=None)
    assert heard == [("published", 5001)]


def test_a_scheduled_version_announces_itself_when_scheduled_and_when_live(heard):
    story = make_published_story(5002)
    heard.clear()
    soon = timezone.now() + timedelta(hours=1)
    story.title = "Later"
    story.save()
    actions.story_publish(story=story, by=None, at=soon)
    assert heard == [("changed", 5002)]  # the live page now changes at `soon`
    actions.stories_publish_due(now=soon + timedelta(seconds=1))
    assert heard == [("changed", 5002), ("published", 5002)]


def test_taking_a_story_down_announces_it(heard):
    story = make_published_story(5003)
    Story.objects.filter(pk=story.pk).update(
        expire_at=timezone.now() + timedelta(minutes=1)
    )
    other = make_published_story(5004)
    heard.clear()
    actions.stories_publish_due(now=timezone.now() + timedelta(minutes=2))
    actions.story_unpublish(story=other, by=make_user("chief", is_superuser=True))
    assert heard == [("unpublished", 5003), ("unpublished", 5004)]


def test_a_review_date_announces_a_changed_live_version(heard):
    story = make_published_story(5005)
    heard.clear()
    actions.story_mark_reviewed(story=story, by=None)
    assert heard == [("changed", 5005)]


def test_an_import_announces_the_ranges_it_changed():
    heard = []

    def receiver(sender, run, ranges, **kwargs):
        heard.append((run.file_name, sorted(ranges)))

    registry_imported.connect(receiver)
    try:
        rows = [["alpha", "5100", "tcp", "Alpha"], ["beta", "5200-5202", "udp", "B"]]
        importing.import_registry(registry_csv(*rows), file_name="1.csv")
        importing.import_registry(registry_csv(*rows), file_name="2.csv")
        rows[0][3] = "Alpha renamed"
        importing.import_registry(registry_csv(*rows), file_name="3.csv")
    finally:
        registry_imported.disconnect(receiver)
    # The second import changed nothing, and said nothing.
    assert heard == [
        ("1.csv", [(5100, 5100), (5200, 5202)]),
        ("3.csv", [(5100, 5100)]),
    ]

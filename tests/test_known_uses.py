"""
Known uses follow the story's rules: an editor's change is a draft, readers
see only what a reviewer published, and every change is in the revisions.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import KnownUse, Story
from tests.factories import admin_form_data, make_published_story, make_user

pytestmark = pytest.mark.django_db


def change_url(story):
    return reverse("admin:ports_story_change", args=[story.pk])


def add_known_use(data, index, **fields):
    data["known_uses-TOTAL_FORMS"] = str(index + 1)
    values = {
        "kind": "malware",
        "name": "Backdoor listener",
        "description": "Reported by scanners.",
        "source_title": "A malware database",
        "source_url": "https://example.org/backdoor",
        "position": str(index + 1),
        **fields,
    }
    for name, value in values.items():
        data[f"known_uses-{index}-{name}"] = value
    return data


def reader_page(number):
    return Client().get(f"/ports/{number}/").content.decode()


def test_an_editors_known_use_waits_for_review_then_goes_live(client):
    story = make_published_story(31337, title="Elite")
    editor = make_user("edna", role="Editor")
    reviewer = make_user("rita", role="Reviewer")
    client.force_login(editor)
    data = add_known_use(admin_form_data(client.get(change_url(story))), 0)
    response = client.post(change_url(story), data)
    assert response.status_code == 302

    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.is_live()
    assert "Backdoor listener" not in reader_page(31337)
    latest = story.revisions.first()
    assert latest.author == editor
    assert latest.content["known_uses"][0]["name"] == "Backdoor listener"

    actions.story_submit(story=story, by=editor)
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:ports_story_step", args=[story.pk, "publish"]),
        {"version": Story.objects.get(pk=story.pk).version},
    )
    assert response.status_code == 302
    html = reader_page(31337)
    assert "Backdoor listener" in html and "Malware report" in html
    assert 'href="https://example.org/backdoor"' in html


def test_known_use_changes_are_compared_and_reverted_with_the_story(client):
    story = make_published_story(31338, title="Compared")
    first = story.live_revision
    editor = make_user("edna", role="Editor")
    client.force_login(editor)
    data = add_known_use(admin_form_data(client.get(change_url(story))), 0)
    client.post(change_url(story), data)
    latest = story.revisions.first()

    compare = client.get(
        reverse("admin:ports_story_compare", args=[story.pk]),
        {"from": first.pk, "to": latest.pk},
    ).content.decode()
    assert "Known uses" in compare
    assert (
        "<ins>Malware report: Backdoor listener — Reported by scanners. "
        "(A malware database, https://example.org/backdoor)</ins>"
    ) in compare

    response = client.post(
        reverse("admin:ports_story_revert", args=[story.pk, first.pk])
    )
    assert response.status_code == 302
    assert not KnownUse.objects.filter(story=story).exists()
    assert story.revisions.first().content["known_uses"] == []


def test_a_known_use_source_must_be_a_web_address(client):
    story = make_published_story(31339, title="Sources")
    client.force_login(make_user("edna", role="Editor"))
    data = add_known_use(
        admin_form_data(client.get(change_url(story))),
        0,
        source_url="javascript:alert(1)",
    )
    response = client.post(change_url(story), data)
    assert response.status_code == 200
    assert (
        "Only http:// and https:// addresses are allowed" in response.content.decode()
    )
    assert not KnownUse.objects.exists()


def test_known_uses_are_edited_only_in_their_story(client):
    client.force_login(make_user("rita", role="Reviewer"))
    assert client.get("/admin/ports/knownuse/").status_code == 404
    assert client.get("/admin/ports/port/").status_code == 200


@pytest.fixture
def migrated_back():
    """Migrations undone for the test; every one applied again after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_back")
def test_existing_known_uses_move_into_stories_live_ones_stay_visible_others_wait(
    capsys,
):
    executor = MigrationExecutor(connection)
    before = [("ports", "0011_drop_change_port_width")]
    after = [("ports", "0012_known_uses_in_stories")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Port = apps.get_model("ports", "Port")
    Story = apps.get_model("ports", "Story")
    StoryRevision = apps.get_model("ports", "StoryRevision")
    OldKnownUse = apps.get_model("ports", "KnownUse")
    for number in (373, 8080, 31337):
        Port.objects.create(number=number)
    story = Story.objects.create(port_id=373, title="Legent", title_en="Legent")
    live = StoryRevision.objects.create(story=story, content={"title": {}})
    story.live_revision = live
    story.save()
    Story.objects.create(port_id=8080, title="Draft", title_en="Draft")
    for port_id, name in (
        (373, "AppleTalk"),
        (373, "Trojan"),
        (8080, "Proxy"),
        (31337, "Back Orifice"),
    ):
        OldKnownUse.objects.create(
            port_id=port_id,
            kind="malware",
            name=name,
            source_title="Source",
            source_url="https://example.org/",
        )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    KnownUse = apps.get_model("ports", "KnownUse")
    Story = apps.get_model("ports", "Story")
    StoryRevision = apps.get_model("ports", "StoryRevision")
    legent = Story.objects.get(port_id=373)
    assert list(
        KnownUse.objects.filter(story=legent)
        .order_by("position")
        .values_list("name", flat=True)
    ) == ["AppleTalk", "Trojan"]
    live = StoryRevision.objects.get(pk=legent.live_revision_id)
    assert [use["name"] for use in live.content["known_uses"]] == [
        "AppleTalk",
        "Trojan",
    ]
    # A port without a story gets a draft holding its uses; there, and on a
    # port whose story was never published, they wait for review, and the
    # migration names those ports.
    held = Story.objects.get(port_id=31337)
    assert held.status == StoryStatus.DRAFT and held.live_revision_id is None
    assert KnownUse.objects.get(story=held).name == "Back Orifice"
    draft = Story.objects.get(port_id=8080)
    assert draft.live_revision_id is None
    assert KnownUse.objects.get(story=draft).name == "Proxy"
    assert (
        "Known uses now wait for review, hidden from readers until their story "
        "is published, on ports: 8080, 31337"
    ) in capsys.readouterr().out

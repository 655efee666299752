from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ports.choices import StoryStatus
from ports.models import Assignment, FeedbackPrompt, KnownUse, Story

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def test_demo_loads_three_published_stories_with_sources_and_faqs(demo):
    stories = Story.objects.order_by("port_id")
    assert [story.port_id for story in stories] == [373, 1381, 1544]
    for story in stories:
        assert story.status == StoryStatus.PUBLISHED
        assert story.is_live()
        assert story.citations.count() >= 3
        assert story.faqs.count() >= 2
        assert story.related_ports.exists()


def test_demo_registry_rows_go_through_the_import(demo):
    covered = {6000, 6063, 373, 548, 1381, 1544, 3283, 5223}
    for number in covered:
        assert Assignment.objects.covering(number).exists(), number
    assert Assignment.objects.get(service_name="x11", transport="tcp").port_high == 6063


def test_demo_has_known_uses_of_373_with_sources(demo):
    uses = KnownUse.objects.filter(story__port=373)
    assert set(uses.values_list("kind", flat=True)) == {"unofficial", "malware"}
    assert all(use.source_url for use in uses)
    live = Story.objects.get(port=373).live_revision.content["known_uses"]
    assert {use["kind"] for use in live} == {"unofficial", "malware"}


def test_demo_prompt_is_translated(demo):
    prompt = FeedbackPrompt.objects.get()
    assert prompt.question_en == "Was this page helpful?"
    assert prompt.question_ja == "このページは役に立ちましたか？"
    assert prompt.question_ps == "آیا دا پاڼه ګټوره وه؟"


def test_loading_the_demo_twice_keeps_editors_changes(demo):
    Story.objects.filter(port=373).update(title_en="Edited")
    call_command("load_demo", verbosity=0)
    assert Story.objects.get(port=373).title_en == "Edited"
    assert Story.objects.count() == 3


def test_local_editor_login_is_printed_for_the_served_address(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("ensure_local_editor", "--address", "0.0.0.0:8765", stdout=out)
    assert "http://0.0.0.0:8765/admin/" in out.getvalue()
    editor = get_user_model().objects.get(username="editor")
    assert editor.is_staff and editor.check_password("portwiki-editor")

    # Again: the same login, and the password an editor may have changed stays.
    editor.set_password("changed-by-the-editor")
    editor.save()
    out = StringIO()
    call_command("ensure_local_editor", stdout=out)
    assert "http://127.0.0.1:8000/admin/" in out.getvalue()
    assert "unless you changed it" in out.getvalue()
    assert get_user_model().objects.filter(username="editor").count() == 1
    editor.refresh_from_db()
    assert editor.check_password("changed-by-the-editor")

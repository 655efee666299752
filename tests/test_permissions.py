"""
Who can do what: each role × each story URL and workflow step.

The expected status codes are what a person in that role gets: 200 for a
page they may use, 302 for a done step (or the login redirect for
anonymous visitors to the admin), 403 for a refused one, 404 where the
URL must not reveal that anything exists.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ports.choices import StoryStatus
from ports.editorial import actions
from ports.models import Story, StoryTransition
from tests.factories import make_citation, make_published_story, make_story, make_user

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "no_role", "editor", "reviewer", "registry", "superuser")


def login(client, role):
    if role == "anonymous":
        return None
    user = {
        "no_role": lambda: make_user("staffer"),
        "editor": lambda: make_user("edna", role="Editor"),
        "reviewer": lambda: make_user("rita", role="Reviewer"),
        "registry": lambda: make_user("reg", role="Registry manager"),
        "superuser": lambda: make_user("root", is_superuser=True),
    }[role]()
    client.force_login(user)
    return user


@pytest.fixture
def stories():
    draft = make_story(9000, title="Draft story")
    make_citation(draft)
    in_review = make_story(9001, title="Story in review", status=StoryStatus.IN_REVIEW)
    make_citation(in_review)
    published = make_published_story(9002, title="Published story")
    revision = actions.story_save_revision(story=draft, by=None)
    return {
        "draft": draft,
        "in_review": in_review,
        "published": published,
        "revision": revision,
    }


def admin(name, *args):
    return reverse(f"admin:{name}", args=args)


# (what, method, url builder, expected per role in ROLES order)
# Anonymous visitors to the admin are sent to the login page (302).
MATRIX = [
    ("admin index", "get", lambda s: admin("index"), (302, 200, 200, 200, 200, 200)),
    ("story list", "get", lambda s: admin("ports_story_changelist"),
     (302, 403, 200, 200, 403, 200)),
    ("add story", "get", lambda s: admin("ports_story_add"),
     (302, 403, 200, 200, 403, 200)),
    ("edit draft", "get", lambda s: admin("ports_story_change", s["draft"].pk),
     (302, 403, 200, 200, 403, 200)),
    ("delete story", "get", lambda s: admin("ports_story_delete", s["draft"].pk),
     (302, 403, 403, 403, 403, 200)),
    ("revisions", "get", lambda s: admin("ports_story_revisions", s["draft"].pk),
     (302, 403, 200, 200, 403, 200)),
    ("compare", "get",
     lambda s: admin("ports_story_compare", s["draft"].pk)
     + f"?from={s['revision'].pk}&to={s['revision'].pk}",
     (302, 403, 200, 200, 403, 200)),
    ("revert", "post",
     lambda s: admin("ports_story_revert", s["draft"].pk, s["revision"].pk),
     (302, 403, 302, 302, 403, 302)),
    ("submit page", "get", lambda s: admin("ports_story_step", s["draft"].pk, "submit"),
     (302, 403, 200, 200, 403, 200)),
    ("submit", "post", lambda s: admin("ports_story_step", s["draft"].pk, "submit"),
     (302, 403, 302, 302, 403, 302)),
    ("publish page", "get",
     lambda s: admin("ports_story_step", s["in_review"].pk, "publish"),
     (302, 403, 403, 200, 403, 200)),
    ("publish", "post",
     lambda s: admin("ports_story_step", s["in_review"].pk, "publish"),
     (302, 403, 403, 302, 403, 302)),
    ("send back", "post",
     lambda s: admin("ports_story_step", s["in_review"].pk, "send_back"),
     (302, 403, 403, 302, 403, 302)),
    ("unpublish", "post",
     lambda s: admin("ports_story_step", s["published"].pk, "unpublish"),
     (302, 403, 403, 302, 403, 302)),
    ("mark reviewed", "post",
     lambda s: admin("ports_story_step", s["published"].pk, "reviewed"),
     (302, 403, 403, 302, 403, 302)),
    ("preview", "get", lambda s: reverse("ports:story-preview", args=[s["draft"].pk]),
     (404, 404, 200, 200, 404, 200)),
    ("revision history list", "get", lambda s: admin("ports_storyrevision_changelist"),
     (302, 403, 200, 200, 403, 200)),
    ("audit trail list", "get", lambda s: admin("ports_storytransition_changelist"),
     (302, 403, 200, 200, 403, 200)),
    ("registry list", "get", lambda s: admin("ports_assignment_changelist"),
     (302, 403, 200, 200, 200, 200)),
    ("import runs", "get", lambda s: admin("ports_importrun_changelist"),
     (302, 403, 403, 403, 200, 200)),
]  # fmt: skip

POST_DATA = {
    "send back": {"comment": "Please add sources."},
    "submit": {"comment": ""},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("what", "method", "url", "expected"), MATRIX, ids=[row[0] for row in MATRIX]
)
def test_permission_matrix(client, stories, role, what, method, url, expected):
    login(client, role)
    target = url(stories)
    if method == "get":
        response = client.get(target)
    else:
        story = Story.objects.get(pk=int(target.split("/")[4]))
        data = {"version": story.version, **POST_DATA.get(what, {})}
        response = client.post(target, data)
    assert response.status_code == expected[ROLES.index(role)], (what, role)
    if role == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))


REFUSED_POSTS = [
    (what, url, role)
    for what, method, url, expected in MATRIX
    for role, status in zip(ROLES, expected, strict=True)
    if method == "post" and status != 302
]


def story_states():
    return list(
        Story.objects.order_by("pk").values_list(
            "pk", "status", "live_revision_id", "version", "title_en"
        )
    )


@pytest.mark.parametrize(
    ("what", "url", "role"),
    REFUSED_POSTS,
    ids=[f"{w}-{r}" for w, _u, r in REFUSED_POSTS],
)
def test_refused_steps_change_nothing(client, stories, what, url, role):
    login(client, role)
    before = story_states()
    revisions, transitions = (
        stories["draft"].revisions.count(),
        StoryTransition.objects.count(),
    )
    client.post(url(stories), {"version": 1, "comment": "x"})
    assert story_states() == before
    assert stories["draft"].revisions.count() == revisions
    assert StoryTransition.objects.count() == transitions


def test_anonymous_preview_is_a_plain_404_without_a_login_redirect(client, stories):
    response = client.get(reverse("ports:story-preview", args=[stories["draft"].pk]))
    assert response.status_code == 404
    assert "Location" not in response
    assert "Draft story" not in response.content.decode()


def test_preview_of_an_unknown_story_is_also_404_for_staff(client):
    login(client, "editor")
    assert client.get(reverse("ports:story-preview", args=[999999])).status_code == 404


def test_staff_without_a_role_see_no_apps_and_no_work_queues(client, stories):
    login(client, "no_role")
    response = client.get(admin("index"))
    assert response.context["app_list"] == []
    assert response.context["queues"] == []


def test_registry_managers_see_only_the_registry(client, stories):
    login(client, "registry")
    response = client.get(admin("index"))
    models = {
        m["object_name"] for app in response.context["app_list"] for m in app["models"]
    }
    assert "Story" not in models and "Assignment" in models
    assert response.context["queues"] == []


def test_only_registry_managers_and_superusers_may_import_or_export():
    allowed = {"import_assignment", "export_assignment"}
    for group in Group.objects.all():
        granted = set(group.permissions.values_list("codename", flat=True))
        assert (allowed <= granted) is (group.name == "Registry manager"), group.name
    reviewer = make_user("rita", role="Reviewer")
    manager = make_user("reg", role="Registry manager")
    assert not reviewer.has_perm("ports.import_assignment")
    assert manager.has_perm("ports.import_assignment")
    assert manager.has_perm("ports.export_assignment")
    assert not manager.has_perm("ports.change_story")


def test_editors_see_the_submit_button_but_not_publish(client, stories):
    login(client, "editor")
    html = client.get(admin("ports_story_change", stories["draft"].pk)).content.decode()
    assert "Save and submit for review" in html
    assert admin("ports_story_step", stories["draft"].pk, "submit") in html
    html = client.get(
        admin("ports_story_change", stories["in_review"].pk)
    ).content.decode()
    assert admin("ports_story_step", stories["in_review"].pk, "publish") not in html
    assert "Save and submit for review" not in html


def test_reviewers_see_publish_and_send_back_on_a_story_in_review(client, stories):
    login(client, "reviewer")
    story = stories["in_review"]
    html = client.get(admin("ports_story_change", story.pk)).content.decode()
    for step in ("publish", "send_back"):
        assert admin("ports_story_step", story.pk, step) in html
    assert admin("ports_story_step", story.pk, "submit") not in html


def test_a_step_in_the_wrong_state_redirects_with_a_message_and_changes_nothing(
    client, stories
):
    login(client, "reviewer")
    draft = stories["draft"]
    response = client.post(
        admin("ports_story_step", draft.pk, "publish"),
        {"version": draft.version},
        follow=True,
    )
    assert "A story that is draft cannot be published." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == StoryStatus.DRAFT

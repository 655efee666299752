"""
Who gets what: every reader page, preview, admin page (list, add, change,
delete for each model), workflow step, import, export and feedback report,
for anonymous readers, a reader with an account (active, not staff), an
editor, a reviewer, a registry manager and a superuser, with the exact answer
each gets.

Columns: anonymous, reader, editor, reviewer, registry manager, superuser.
"""

# ruff: noqa: E501 (the matrix reads best one row per line)

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from ports.api import datasets
from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import (
    FeedbackPrompt,
    FeedbackVote,
    ImportRun,
    KnownUse,
    ObservedRun,
    RegistryChange,
    Story,
    StoryRevision,
    StoryTransition,
)
from tests.factories import (
    make_assignment,
    make_citation,
    make_published_story,
    make_story,
    make_user,
    registry_csv,
)

ROLES = ("anonymous", "reader", "editor", "reviewer", "manager", "superuser")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"


def row(*codes):
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes, strict=True))


EVERYONE = row(200, 200, 200, 200, 200, 200)
LOGIN = 302  # the admin sends visitors who are not staff to its login page

# (label, method, url template, expected answers)
MATRIX = [
    # Reader site
    ("home", "get", "/", EVERYONE),
    ("port list", "get", "/ports/", EVERYONE),
    ("published port", "get", "/ports/{live_port}/", EVERYONE),
    ("draft port", "get", "/ports/{draft_port}/", EVERYONE),
    ("range class", "get", "/ports/system/", EVERYONE),
    # Published versions: only what went live, never a draft or a story in review
    ("published version", "get", "/ports/{live_port}/v/1/", EVERYONE),
    ("no later version", "get", "/ports/{live_port}/v/2/", row(404, 404, 404, 404, 404, 404)),
    ("draft version", "get", "/ports/{draft_port}/v/1/", row(404, 404, 404, 404, 404, 404)),
    ("in review version", "get", "/ports/4323/v/1/", row(404, 404, 404, 404, 404, 404)),
    # The open data API: public, read-only; drafts are absent (below)
    ("api port", "get", "/api/v1/ports/{live_port}", EVERYONE),
    ("api draft port", "get", "/api/v1/ports/{draft_port}", EVERYONE),
    ("api assignments", "get", "/api/v1/assignments?service=http", EVERYONE),
    ("api service", "get", "/api/v1/services/http", EVERYONE),
    ("api stories", "get", "/api/v1/stories", EVERYONE),
    ("api changes", "get", "/api/v1/changes", EVERYONE),
    ("api schema", "get", "/api/v1/openapi.json", EVERYONE),
    ("api docs", "get", "/api/v1/docs", EVERYONE),
    ("api write", "post", "/api/v1/ports/{live_port}", row(405, 405, 405, 405, 405, 405)),
    # Downloads: the latest export's files, and nothing else in its folder
    ("data index", "get", "/data/", EVERYONE),
    ("data stories", "get", "/data/stories.json", EVERYONE),
    ("data known uses", "get", "/data/known-uses.csv", EVERYONE),
    ("data other file", "get", "/data/notes.txt", row(404, 404, 404, 404, 404, 404)),
    ("search", "get", "/search/?q=story", EVERYONE),
    ("top open ports", "get", "/ports/top-open/", EVERYONE),
    ("free port finder", "get", "/tools/free-port/", EVERYONE),
    ("free port finder json", "get", "/tools/free-port/?format=json", EVERYONE),
    ("free port finder refusal", "get", "/tools/free-port/?count=1000", row(400, 400, 400, 400, 400, 400)),
    ("service", "get", "/services/http/", EVERYONE),
    ("rss", "get", "/feeds/stories.rss", EVERYONE),
    ("atom", "get", "/feeds/stories.atom", EVERYONE),
    ("sitemap", "get", "/sitemap.xml", EVERYONE),
    ("robots", "get", "/robots.txt", EVERYONE),
    ("missing page", "get", "/nope/", row(404, 404, 404, 404, 404, 404)),
    ("feedback vote", "post", "/ports/{live_port}/feedback/", row(*[302] * 6)),
    # Preview: staff who may read stories; anyone else learns nothing
    ("preview", "get", "/preview/stories/{draft}/", row(404, 404, 200, 200, 404, 200)),
    # Admin index
    ("admin index", "get", "/admin/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    # Stories
    ("story list", "get", "/admin/ports/story/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("story add", "get", "/admin/ports/story/add/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("story change", "get", "/admin/ports/story/{draft}/change/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("story delete", "get", "/admin/ports/story/{draft}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    # A story with workflow history cannot be deleted, even by a superuser.
    ("story delete post", "post", "/admin/ports/story/{draft}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("story revisions", "get", "/admin/ports/story/{draft}/revisions/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("story history", "get", "/admin/ports/story/{draft}/history/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    # Workflow steps (pages; posting is covered below)
    ("submit", "get", "/admin/ports/story/{draft}/workflow/submit/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("publish", "get", "/admin/ports/story/{in_review}/workflow/publish/", row(LOGIN, LOGIN, 403, 200, 403, 200)),
    ("send back", "get", "/admin/ports/story/{in_review}/workflow/send_back/", row(LOGIN, LOGIN, 403, 200, 403, 200)),
    ("unpublish", "get", "/admin/ports/story/{live}/workflow/unpublish/", row(LOGIN, LOGIN, 403, 200, 403, 200)),
    ("reviewed", "get", "/admin/ports/story/{live}/workflow/reviewed/", row(LOGIN, LOGIN, 403, 200, 403, 200)),
    ("publish post", "post", "/admin/ports/story/{in_review}/workflow/publish/", row(LOGIN, LOGIN, 403, 200, 403, 200)),
    ("unknown step", "get", "/admin/ports/story/{draft}/workflow/destroy/", row(LOGIN, LOGIN, 404, 404, 404, 404)),
    # Revisions and transitions: history, read-only
    ("revision list", "get", "/admin/ports/storyrevision/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("revision change", "get", "/admin/ports/storyrevision/{revision}/change/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("revision add", "get", "/admin/ports/storyrevision/add/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("revision delete", "get", "/admin/ports/storyrevision/{revision}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("transition list", "get", "/admin/ports/storytransition/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("transition change", "get", "/admin/ports/storytransition/{transition}/change/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("transition add", "get", "/admin/ports/storytransition/add/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("transition delete", "get", "/admin/ports/storytransition/{transition}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    # Known uses: edited only in their story's form, so they are reviewed
    ("known use list", "get", "/admin/ports/knownuse/", row(LOGIN, LOGIN, 404, 404, 404, 404)),
    ("known use change", "get", "/admin/ports/knownuse/{known_use}/change/", row(LOGIN, LOGIN, 404, 404, 404, 404)),
    # Registry: read by editors, imported and exported by registry managers
    ("port admin list", "get", "/admin/ports/port/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("port admin change", "get", "/admin/ports/port/{live_port}/change/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("port admin add", "get", "/admin/ports/port/add/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("port admin delete", "get", "/admin/ports/port/{live_port}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("assignment list", "get", "/admin/ports/assignment/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("assignment change", "get", "/admin/ports/assignment/{assignment}/change/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("assignment add", "get", "/admin/ports/assignment/add/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("assignment delete", "get", "/admin/ports/assignment/{assignment}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("import", "get", "/admin/ports/assignment/import/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("import post", "post", "/admin/ports/assignment/import/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("export", "get", "/admin/ports/assignment/export/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("import run list", "get", "/admin/ports/importrun/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("import run change", "get", "/admin/ports/importrun/{import_run}/change/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("import run delete", "get", "/admin/ports/importrun/{import_run}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("observed run list", "get", "/admin/ports/observedrun/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("observed run change", "get", "/admin/ports/observedrun/{observed_run}/change/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("observed run add", "get", "/admin/ports/observedrun/add/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("observed run delete", "get", "/admin/ports/observedrun/{observed_run}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("observed port list", "get", "/admin/ports/observedport/", row(LOGIN, LOGIN, 403, 403, 200, 200)),
    ("registry change list", "get", "/admin/ports/registrychange/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("registry change change", "get", "/admin/ports/registrychange/{registry_change}/change/", row(LOGIN, LOGIN, 200, 200, 200, 200)),
    ("registry change delete", "get", "/admin/ports/registrychange/{registry_change}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    # Feedback: read by editors and reviewers; the prompt is the superuser's
    ("feedback list", "get", "/admin/ports/feedbackvote/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("feedback change", "get", "/admin/ports/feedbackvote/{vote}/change/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("feedback add", "get", "/admin/ports/feedbackvote/add/", row(LOGIN, LOGIN, 403, 403, 403, 403)),
    ("feedback delete", "get", "/admin/ports/feedbackvote/{vote}/delete/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("feedback report", "get", "/admin/ports/feedbackvote/report/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("feedback report csv", "get", "/admin/ports/feedbackvote/report/export.csv", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    ("prompt list", "get", "/admin/ports/feedbackprompt/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("prompt change", "get", "/admin/ports/feedbackprompt/{prompt}/change/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("translations", "get", "/admin/translations/", row(LOGIN, LOGIN, 200, 200, 403, 200)),
    # Accounts and login records
    ("user list", "get", "/admin/auth/user/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("user change", "get", "/admin/auth/user/{editor_user}/change/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("group list", "get", "/admin/auth/group/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
    ("login attempts", "get", "/admin/axes/accessattempt/", row(LOGIN, LOGIN, 403, 403, 403, 200)),
]  # fmt: skip


@pytest.fixture
def world(db):
    users = {
        "anonymous": None,
        "reader": make_user("rea", is_staff=False),
        "editor": make_user("edna", role="Editor"),
        "reviewer": make_user("rita", role="Reviewer"),
        "manager": make_user("mona", role="Registry manager"),
        "superuser": get_user_model().objects.create_superuser("root", password="x"),
    }
    live = make_published_story(4321, title="A live story")
    draft = make_story(4322, title="A draft story")
    in_review = make_story(4323, title="A story in review")
    for story in (draft, in_review):
        make_citation(story)
    actions.story_submit(story=in_review, by=users["editor"])
    actions.story_submit(story=draft, by=users["editor"])
    actions.story_send_back(story=draft, by=users["reviewer"], comment="More")
    make_assignment("http", 80)
    from ports.registry import importing

    importing.import_registry(
        registry_csv(["http", "80", "tcp", "World Wide Web HTTP"]), file_name="r.csv"
    )
    from ports.observed import importing as observed_importing

    observed_importing.import_observed(
        "nmap", b"http\t80/tcp\t0.484143\n", file_name="nmap-services"
    )
    known_use = KnownUse.objects.create(
        story=live,
        kind=KnownUseKind.values[0],
        name="Game server",
        source_title="A source",
        source_url="https://example.org/game",
    )
    vote = FeedbackVote.objects.create(
        port_id=4321, language="en", helpful=False, client_hash="h", day="2025-01-01"
    )
    ids = {
        "live_port": 4321,
        "draft_port": 4322,
        "live": live.pk,
        "draft": draft.pk,
        "in_review": in_review.pk,
        "revision": StoryRevision.objects.first().pk,
        "transition": StoryTransition.objects.first().pk,
        "known_use": known_use.pk,
        "assignment": make_assignment("ssh", 22).pk,
        "import_run": ImportRun.objects.first().pk,
        "observed_run": ObservedRun.objects.get().pk,
        "registry_change": RegistryChange.objects.first().pk,
        "vote": vote.pk,
        "prompt": FeedbackPrompt.objects.get_or_create(key="default")[0].pk,
        "editor_user": users["editor"].pk,
    }
    assert Group.objects.count() == 3
    datasets.export_datasets(base_url="http://testserver")
    return users, ids


def post_data(label, ids):
    if label == "feedback vote":
        return {"helpful": "yes"}
    if label == "story delete post":
        return {"post": "yes"}
    return {}


def test_access_matrix(world, client):
    users, ids = world
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    wrong = []
    for role in ROLES:
        client.logout()
        if users[role] is not None:
            client.force_login(users[role])
        for label, method, url, expected in MATRIX:
            address = url.format(**ids)
            response = getattr(client, method)(address, post_data(label, ids))
            if response.status_code != expected[role]:
                wrong.append(
                    f"{role:9} {label}: {response.status_code} != {expected[role]}"
                )
    assert wrong == [], "\n".join(wrong)


# Public answers that show stories: what they show of one is its live version.
PUBLIC_STORY_ADDRESSES = [
    "/ports/{live_port}/",
    "/ports/{live_port}/v/1/",
    "/api/v1/ports/{live_port}",
    "/api/v1/ports/{draft_port}",
    "/api/v1/ports/4323",
    "/api/v1/stories",
    "/data/stories.json",
    "/data/stories.csv",
    "/data/known-uses.json",
    "/data/known-uses.csv",
]


def test_drafts_never_reach_public_answers(world, client):
    users, ids = world
    live = Story.objects.get(pk=ids["live"])
    live.title = "An unpublished edit"
    live.save()
    actions.story_record_save(story=live, by=None)
    datasets.export_datasets(base_url="http://testserver")
    secrets = (
        "A draft story",
        "A story in review",
        "An unpublished edit",
        "Game server",
    )
    wrong = []
    for role in ROLES:
        client.logout()
        if users[role] is not None:
            client.force_login(users[role])
        for url in PUBLIC_STORY_ADDRESSES:
            response = client.get(url.format(**ids))
            assert response.status_code == 200, url
            body = (
                b"".join(response.streaming_content)
                if response.streaming
                else response.content
            )
            content = body.decode()
            wrong += [f"{role} {url}: {s}" for s in secrets if s in content]
    assert wrong == []


def test_superuser_deletes_a_story_without_history(world, client):
    users, _ids = world
    from ports.models import Story

    story = make_story(4399, title="Never submitted")
    client.force_login(users["superuser"])
    response = client.post(f"/admin/ports/story/{story.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Story.objects.filter(pk=story.pk).exists()


def test_refused_steps_change_nothing(world, client):
    users, ids = world
    from ports.models import Story

    client.force_login(users["editor"])
    before = Story.objects.get(pk=ids["in_review"]).status
    response = client.post(
        f"/admin/ports/story/{ids['in_review']}/workflow/publish/", {"version": "1"}
    )
    assert response.status_code == 403
    assert Story.objects.get(pk=ids["in_review"]).status == before

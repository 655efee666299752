"""The read-only JSON API under /api/v1/."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import KnownUse, ObservedPort, ObservedRun, Story
from ports.reader import page_data
from ports.registry import importing
from tests.factories import (
    make_assignment,
    make_published_story,
    make_story,
    registry_csv,
)

pytestmark = pytest.mark.django_db


# What a browser sends with a request from another site's script.
ORIGIN = {"HTTP_ORIGIN": "https://elsewhere.example"}


def get(client, address, status=200, **headers):
    response = client.get(address, **ORIGIN, **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    return response


def detail(client, address, status):
    return get(client, address, status).json()["detail"]


def add_known_use(story, name):
    return KnownUse.objects.create(
        story=story,
        kind=KnownUseKind.MALWARE,
        name=name,
        source_title="A report",
        source_url="https://example.org/report",
    )


def edit(story, **fields):
    story = Story.objects.get(pk=story.pk)
    for name, value in fields.items():
        setattr(story, name, value)
    story.save()
    actions.story_record_save(story=story, by=None)
    return story


# A port ------------------------------------------------------------------------


def test_a_port_with_its_registry_entries_story_and_known_uses(client):
    make_assignment("printer", 373, description="Printer port", transport="tcp")
    make_assignment("wide", 370, 380, transport="udp")
    make_assignment("elsewhere", 900)
    story = make_story(373, title="The printer port")
    add_known_use(story, "PrintWorm")
    actions.story_publish(story=story, by=None)

    port = get(client, "/api/v1/ports/373").json()
    assert port["number"] == 373 and port["range_class"] == "system"
    assert port["url"] == "http://testserver/ports/373/"
    assert sorted(entry["service_name"] for entry in port["registry"]) == [
        "printer",
        "wide",
    ]
    printer = next(e for e in port["registry"] if e["service_name"] == "printer")
    assert printer["description"] == "Printer port"
    assert printer["transport"] == "tcp" and printer["status"] == "assigned"
    assert port["known_uses"] == [
        {
            "kind": "malware",
            "name": "PrintWorm",
            "description": "",
            "source_title": "A report",
            "source_url": "https://example.org/report",
        }
    ]
    assert port["story"]["title"] == "The printer port"
    assert port["story"]["summary"] == "A summary."
    assert port["story"]["url"] == "http://testserver/ports/373/"
    assert port["story"]["version"] == 1
    assert port["story"]["version_url"] == "http://testserver/ports/373/v/1/"
    assert port["story"]["published_at"] is not None
    assert port["observed"] == [] and port["history"] == []


def test_a_port_without_anything_still_answers(client):
    port = get(client, "/api/v1/ports/65535").json()
    assert port["range_class"] == "dynamic"
    assert port["registry"] == port["known_uses"] == port["history"] == []
    assert port["story"] is None


def test_a_port_shows_the_live_version_never_the_draft(client):
    story = make_story(373, title="Live title")
    add_known_use(story, "Live use")
    actions.story_publish(story=story, by=None)
    add_known_use(story, "Draft use")
    edit(story, title="Draft title", summary="Draft summary")

    body = get(client, "/api/v1/ports/373").content.decode()
    assert "Live title" in body and "Live use" in body
    assert "Draft" not in body


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled", "unpublished"])
def test_a_story_readers_cannot_see_is_not_in_the_api(client, state):
    story = make_story(373, title="Hidden title", summary="Hidden summary")
    add_known_use(story, "Hidden use")
    if state == "in_review":
        from tests.factories import make_citation

        make_citation(story)
        actions.story_submit(story=story, by=None)
    elif state == "scheduled":
        actions.story_publish(
            story=story, by=None, at=timezone.now() + timedelta(days=1)
        )
    elif state == "unpublished":
        actions.story_publish(story=story, by=None)
        actions.story_unpublish(story=Story.objects.get(pk=story.pk), by=None)
    for address in ("/api/v1/ports/373", "/api/v1/stories"):
        assert b"Hidden" not in get(client, address).content
    assert get(client, "/api/v1/ports/373").json()["story"] is None


def test_a_port_shows_its_registry_history_with_the_registry_date(client):
    make_assignment("old", 4000, description="Old text")
    importing.import_registry(
        registry_csv(["old", "4000", "tcp", "New text", "", "", "", "2025-02-03"]),
        file_name="r.csv",
    )
    history = get(client, "/api/v1/ports/4000").json()["history"]
    assert [change["kind"] for change in history] == ["changed"]
    assert history[0]["fields"]["description"] == ["Old text", "New text"]
    assert history[0]["service_name"] == "old" and history[0]["transport"] == "tcp"
    assert history[0]["registry_date"] == "2025-02-03"


def test_a_ports_history_is_the_one_its_page_shows(client):
    """The entries the first import brought end the history with that baseline."""
    importing.import_registry(
        registry_csv(
            ["old", "4000", "tcp", "Old text", "", "", "", "2024-01-02"],
            ["old", "4000", "udp", "Old text", "", "", "", "2024-01-02"],
        ),
        file_name="first.csv",
    )
    importing.import_registry(
        registry_csv(
            ["old", "4000", "tcp", "New text", "", "", "", "2025-02-03"],
            ["old", "4000", "udp", "Old text", "", "", "", "2024-01-02"],
        ),
        file_name="second.csv",
    )
    history = get(client, "/api/v1/ports/4000").json()["history"]
    page = page_data.port_page_data(4000, language="en")
    assert [
        (change["kind"], change["transport"], change["registry_date"])
        for change in history
    ] == [
        ("changed", "tcp", "2025-02-03"),
        ("baseline", "tcp", "2024-01-02"),
        ("baseline", "udp", "2024-01-02"),
    ]
    assert [(change["kind"], change["transport"]) for change in history] == [
        (entry.kind, entry.transport) for entry in page.history
    ]
    assert history[1]["fields"] == {}


def test_a_port_shows_observed_use_of_current_imports(client):
    current = ObservedRun.objects.create(
        source="nmap",
        file_name="nmap-services",
        outcome="applied",
        current=True,
        source_date=timezone.localdate(),
    )
    old = ObservedRun.objects.create(
        source="services", file_name="services", outcome="applied"
    )
    ObservedPort.objects.create(
        run=current,
        source="nmap",
        port=373,
        transport="tcp",
        name="hybrid",
        frequency=0.25,
        frequency_rank=7,
    )
    ObservedPort.objects.create(
        run=old, source="services", port=373, transport="tcp", name="stale"
    )
    observed = get(client, "/api/v1/ports/373").json()["observed"]
    assert [
        (o["source"], o["name"], o["frequency"], o["frequency_rank"]) for o in observed
    ] == [("nmap", "hybrid", 0.25, 7)]


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("/api/v1/ports/70000", "No port 70000: port numbers run from 0 to 65535."),
        ("/api/v1/ports/-1", "No port -1: port numbers run from 0 to 65535."),
        ("/api/v1/ports/373/", "No such API address: /api/v1/ports/373/."),
        ("/api/v2/ports/373", "No such API address: /api/v2/ports/373."),
    ],
)
def test_addresses_that_are_no_port_answer_a_json_404(client, address, message):
    assert detail(client, address, 404).startswith(message)


def test_a_port_number_must_be_a_number(client):
    assert detail(client, "/api/v1/ports/http", 400) == (
        "number: Input should be a valid integer, unable to parse string as an integer"
    )


@pytest.mark.parametrize("method", ["post", "options", "put", "delete"])
def test_only_reading_is_answered_in_json(client, method):
    response = getattr(client, method)("/api/v1/ports/373", **ORIGIN)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {
        "detail": f"{method.upper()} is not answered here: use GET, HEAD."
    }
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "address", ["/api/v1/ports/373", "/api/v1/stories", "/api/v1/openapi.json"]
)
def test_head_is_answered_as_get(client, address):
    make_published_story(373)
    response = client.head(address, **ORIGIN)
    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == get(client, address)["ETag"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_answered(client):
    response = client.options(
        "/api/v1/ports/373",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        **ORIGIN,
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "address", ["/api/v1/assignments?service=%00", "/api/v1/services/%00"]
)
def test_control_characters_are_refused_in_json(client, address):
    assert "control characters" in detail(client, address, 400)


def test_pages_outside_the_open_data_allow_no_other_origin(client):
    response = client.get("/ports/373/", **ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


# Caching -----------------------------------------------------------------------


def test_answers_are_shared_tagged_and_revalidated(client):
    make_published_story(373)
    response = get(client, "/api/v1/ports/373")
    assert response["Surrogate-Key"] == "site ports port-373"
    assert response["Cache-Control"].startswith("public, max-age=60, s-maxage=")
    etag = response["ETag"]
    again = client.get("/api/v1/ports/373", HTTP_IF_NONE_MATCH=etag, **ORIGIN)
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["Access-Control-Expose-Headers"] == "ETag"
    for address in ("/api/v1/assignments", "/api/v1/stories", "/api/v1/changes"):
        assert get(client, address)["Surrogate-Key"] == "site listings"


def test_a_new_version_purges_the_port_answer_and_the_story_list(client):
    story = make_published_story(373, title="First title")
    assert get(client, "/api/v1/ports/373").json()["story"]["title"] == "First title"
    assert get(client, "/api/v1/stories").json()["items"][0]["version"] == 1
    edited = Story.objects.get(pk=story.pk)
    edited.title = "Second title"
    edited.save()
    actions.story_publish(story=edited, by=None)
    story_answer = get(client, "/api/v1/ports/373").json()["story"]
    assert story_answer["title"] == "Second title"
    assert story_answer["version"] == 2
    assert get(client, "/api/v1/stories").json()["items"][0]["version"] == 2


def test_an_import_purges_the_port_answer(client):
    make_assignment("old", 4000, description="Old text")
    assert get(client, "/api/v1/ports/4000").json()["history"] == []
    importing.import_registry(
        registry_csv(["old", "4000", "tcp", "New text"]), file_name="r.csv"
    )
    port = get(client, "/api/v1/ports/4000").json()
    assert port["registry"][0]["description"] == "New text"


def test_a_story_that_expires_is_not_kept_past_its_expiry(client):
    story = make_story(373)
    actions.story_publish(
        story=story, by=None, expire_at=timezone.now() + timedelta(seconds=30)
    )
    response = get(client, "/api/v1/ports/373")
    assert (
        "max-age=30" in response["Cache-Control"]
        or "max-age=29" in (response["Cache-Control"])
    )


# Registry entries ----------------------------------------------------------------


@pytest.fixture
def registry(db):
    make_assignment("http", 80, transport="tcp")
    make_assignment("http", 80, transport="udp")
    make_assignment("ssh", 22, transport="tcp")
    make_assignment("x11", 6000, 6063, transport="tcp")
    make_assignment(
        "", 1023, transport="tcp", status="reserved", description="Reserved"
    )
    make_assignment("gone", 2000, status="withdrawn", withdrawn_at=timezone.now())
    old = make_assignment("old", 3000)
    old.__class__.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=400)
    )


def names(client, query):
    answer = get(client, f"/api/v1/assignments{query}").json()
    return [(item["service_name"], item["transport"]) for item in answer["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?service=HTTP", [("http", "tcp"), ("http", "udp")]),
        ("?service=http&transport=udp", [("http", "udp")]),
        ("?port=6010", [("x11", "tcp")]),
        ("?port=80&transport=tcp", [("http", "tcp")]),
        ("?range=20-80", [("ssh", "tcp"), ("http", "tcp"), ("http", "udp")]),
        ("?range=6063-7000", [("x11", "tcp")]),
        ("?status=reserved", [("", "tcp")]),
        ("?status=withdrawn", [("gone", "tcp")]),
        ("?service=nothing", []),
    ],
)
def test_assignments_are_filtered(client, registry, query, expected):
    assert names(client, query) == expected


def test_assignments_modified_since_a_day(client, registry):
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    found = names(client, f"?modified_since={since}")
    assert ("old", "tcp") not in found and ("ssh", "tcp") in found
    assert ("old", "tcp") in names(client, "?modified_since=2000-01-01")


def test_assignments_are_paged(client, registry):
    first = get(client, "/api/v1/assignments?per_page=3").json()
    assert first["count"] == 7 and len(first["items"]) == 3
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/assignments?per_page=3&page=2"
    third = get(client, "/api/v1/assignments?per_page=3&page=3").json()
    assert len(third["items"]) == 1 and third["next"] is None
    assert third["previous"].endswith("?per_page=3&page=2")
    everything = get(client, "/api/v1/assignments").json()["items"]
    assert [item["port_low"] for item in everything] == sorted(
        item["port_low"] for item in everything
    )


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?colour=red", 400, "Unknown filter colour. Known: page, per_page, service"),
        (
            "?modified_since=2025-02-30",
            400,
            "modified_since: Input should be a valid date",
        ),
        (
            "?modified_since=yesterday",
            400,
            "modified_since: Input should be a valid date",
        ),
        ("?port=70000", 400, "port: Input should be less than or equal to 65535"),
        ("?port=eighty", 400, "port: Input should be a valid integer"),
        (
            "?transport=ftp",
            400,
            "transport: Input should be 'tcp', 'udp', 'sctp' or 'dccp'",
        ),
        ("?status=lost", 400, "status: Input should be 'assigned'"),
        ("?range=80", 400, "range: String should match pattern"),
        ("?range=90-80", 400, "range: a range runs from a lower to a higher port"),
        ("?range=1-70000", 400, "range: a range runs from a lower to a higher port"),
        ("?per_page=0", 400, "per_page: Input should be greater than or equal to 1"),
        ("?per_page=1001", 400, "per_page: Input should be less than or equal to 1000"),
        ("?page=0", 400, "page: Input should be greater than or equal to 1"),
        ("?page=99", 404, "No page 99: there are 7 items."),
    ],
)
def test_bad_filters_are_explained(client, registry, query, status, message):
    assert detail(client, f"/api/v1/assignments{query}", status).startswith(message)


# Services, stories, changes ------------------------------------------------------


def test_a_service_by_name(client, registry):
    service = get(client, "/api/v1/services/HTTP").json()
    assert service["name"] == "http"
    assert [e["transport"] for e in service["entries"]] == ["tcp", "udp"]
    assert detail(client, "/api/v1/services/nothing", 404) == (
        "No service named 'nothing' in the registry."
    )


def test_live_stories_only(client):
    make_published_story(373, title="Live one")
    make_published_story(22, title="Live two")
    make_story(80, title="A draft")
    answer = get(client, "/api/v1/stories").json()
    assert [(s["port"], s["title"], s["version"]) for s in answer["items"]] == [
        (22, "Live two", 1),
        (373, "Live one", 1),
    ]
    assert answer["items"][1]["version_url"] == "http://testserver/ports/373/v/1/"
    assert detail(client, "/api/v1/stories?port=22", 400).startswith("Unknown filter")


def test_stories_are_paged_by_the_database_without_their_content(client):
    """A page reads its own rows, and only the title and summary of their versions."""
    for port in (22, 80, 373):
        make_published_story(port, title=f"Story of {port}")
    with CaptureQueriesContext(connection) as queries:
        answer = get(client, "/api/v1/stories?per_page=1&page=2").json()
    assert answer["count"] == 3
    assert [(s["port"], s["title"], s["version"]) for s in answer["items"]] == [
        (80, "Story of 80", 1)
    ]
    story_queries = [q["sql"] for q in queries if 'FROM "ports_story"' in q["sql"]]
    assert any("LIMIT 1 OFFSET 1" in sql for sql in story_queries), story_queries
    assert not any('"content" AS' in q["sql"] for q in queries)


def test_registry_changes_since_a_day(client):
    make_assignment("old", 4000, description="Old text")
    importing.import_registry(
        registry_csv(["old", "4000", "tcp", "New text"], ["new", "4001", "tcp", "New"]),
        file_name="r.csv",
    )
    today = timezone.localdate()
    changes = get(client, f"/api/v1/changes?since={today.isoformat()}").json()
    assert sorted((c["kind"], c["service_name"]) for c in changes["items"]) == [
        ("added", "new"),
        ("changed", "old"),
    ]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert get(client, f"/api/v1/changes?since={tomorrow}").json()["count"] == 0
    assert detail(client, "/api/v1/changes?since=31-12-2024", 400).startswith(
        "since: Input should be a valid date"
    )


# Schema and documentation --------------------------------------------------------


def test_the_openapi_schema_describes_every_endpoint(client):
    schema = get(client, "/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/ports/{number}",
        "/api/v1/assignments",
        "/api/v1/services/{name}",
        "/api/v1/stories",
        "/api/v1/changes",
    }
    parameters = {
        p["name"] for p in schema["paths"]["/api/v1/assignments"]["get"]["parameters"]
    }
    assert parameters == {
        "service",
        "transport",
        "port",
        "range",
        "status",
        "modified_since",
        "page",
        "per_page",
    }


def test_the_documentation_page_loads_only_the_sites_own_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]

"""ports.reader.page_data: what each page is built from, in fixed query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ports.choices import AssignmentStatus, ChangeKind, KnownUseKind
from ports.editorial import actions
from ports.models import FeedbackPrompt, KnownUse, Story
from ports.reader import page_data
from ports.registry import importing
from tests.factories import (
    make_assignment,
    make_citation,
    make_faq,
    make_port,
    make_related,
    make_story,
    registry_csv,
)

pytestmark = pytest.mark.django_db


def rich_story(number, *, citations, faqs, related, uses):
    body = "\n\n".join(f"## Part {n}\n\nText.[^{n}]" for n in range(1, citations + 1))
    story = make_story(number, body=body)
    for position in range(1, citations + 1):
        make_citation(story, position)
    for position in range(1, faqs + 1):
        make_faq(story, position)
    for offset in range(1, related + 1):
        make_related(story, number + offset, note=f"note {offset}")
        make_assignment(f"rel{offset}", number + offset)
    make_port(number)
    for position in range(uses):
        KnownUse.objects.create(
            story=story,
            kind=KnownUseKind.UNOFFICIAL,
            name=f"use {position}",
            source_title="Source",
            source_url="https://example.org/",
            position=position,
        )
    return actions.story_publish(story=story, by=None)


def page_queries(client, number):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ports/{number}/")
    assert response.status_code == 200
    return len(queries)


def test_port_page_query_count_is_fixed_whatever_the_amount_of_content(
    client, django_assert_num_queries
):
    rich_story(2000, citations=1, faqs=1, related=1, uses=0)
    make_assignment("small", 2000)
    rich_story(3000, citations=25, faqs=15, related=12, uses=6)
    for n in range(20):
        make_assignment(f"svc{n}", 3000, transport="tcp")
        make_assignment(f"svc{n}", 3000, transport="udp")
    make_assignment("wide", 2990, 3010)
    importing.import_registry(
        registry_csv(["hist", "3000", "sctp", "History row"]), file_name="h.csv"
    )

    # The story with its live version (which holds the known uses); the
    # registry entries of the port and of its related ports; their changes;
    # the feedback prompt; the nearest registered ports below and above; the
    # observed-data sources with their rows for the port.
    for number in (2000, 3000):
        with django_assert_num_queries(7):
            page_data.port_page_data(number, language="en")
    assert page_queries(client, 2000) == page_queries(client, 3000)
    html = client.get("/ports/3000/").content.decode()
    assert html.count('class="fact') == 22  # 20 services + wide + hist
    assert 'id="source-25"' in html and "Question 15?" in html
    assert html.count('class="known-use ') == 6
    assert 'href="/ports/3012/"' in html


def test_port_page_without_story_needs_the_same_queries(
    client, django_assert_num_queries
):
    make_assignment("lonely", 5000)
    with django_assert_num_queries(7):
        page = page_data.port_page_data(5000, language="en")
    assert page.story is None and page.facts
    # Without a registry entry there is no history to read.
    with django_assert_num_queries(6):
        page = page_data.port_page_data(65535, language="en")
    assert page.facts == [] and page.history == []
    assert client.get("/ports/5000/").status_code == 200
    assert client.get("/ports/65535/").status_code == 200


def test_registry_facts_merge_transports_of_identical_rows():
    make_assignment("svc", 100, transport="udp", assignee="[A]")
    make_assignment("svc", 100, transport="tcp", assignee="[A]")
    make_assignment("svc", 100, transport="sctp", assignee="[B]")
    facts = page_data.port_page_data(100, language="en").facts
    assert [(f.service_name, f.transports, f.assignee) for f in facts] == [
        ("svc", ["tcp", "udp"], "[A]"),
        ("svc", ["sctp"], "[B]"),
    ]
    assert facts[0].transport_labels == ["TCP", "UDP"]


def test_port_page_facts_list_current_entries_before_reserved_and_withdrawn():
    from django.utils import timezone

    make_assignment("", 200, description="Reserved")
    make_assignment(
        "gone", 200, status=AssignmentStatus.WITHDRAWN, withdrawn_at=timezone.now()
    )
    make_assignment("here", 200)
    page = page_data.port_page_data(200, language="en")
    assert [fact.service_name or fact.description for fact in page.facts] == [
        "here",
        "Reserved",
        "gone",
    ]
    assert page.headline_services == ["here"]


def test_neighbours_stay_in_the_range_class_and_merge_transports():
    make_assignment("low", 1000, transport="tcp")
    make_assignment("low", 1000, transport="udp")
    make_assignment("sys-top", 1023)
    make_assignment("user-first", 1030)
    make_assignment("range", 1040, 1049)
    make_assignment("", 1050, description="Unassigned")
    make_assignment("after", 1060)
    make_assignment("far", 1070)
    page = page_data.port_page_data(1035, language="en")
    assert [n.port_low for n in page.neighbours_below] == [1030]
    assert [(n.port_low, n.port_high) for n in page.neighbours_above] == [
        (1040, 1049),
        (1060, 1060),
        (1070, 1070),
    ]
    system = page_data.port_page_data(1010, language="en")
    assert [(n.port_low, n.services) for n in system.neighbours_below] == [
        (1000, ["low"])
    ]
    assert [n.port_low for n in system.neighbours_above] == [1023]


def test_matching_numbers_counts_ranges_for_every_number_they_cover():
    make_assignment("x", 10, 14, transport="udp")
    make_assignment("y", 12, transport="tcp")
    make_assignment("", 20, 29, transport="", description="Unassigned")
    filters = page_data.PortFilters
    assert page_data.matching_numbers(0, 100, filters(transport="udp")) == [
        10,
        11,
        12,
        13,
        14,
    ]
    assert page_data.matching_numbers(0, 100, filters(status="unassigned")) == list(
        range(20, 30)
    )
    assert page_data.matching_numbers(11, 12, filters(status="assigned")) == [11, 12]
    no_entry = page_data.matching_numbers(0, 30, filters(status=page_data.NO_ENTRY))
    assert no_entry == [*range(0, 10), 15, 16, 17, 18, 19, 30]
    assert list(page_data.matching_numbers(5, 7, filters())) == [5, 6, 7]


def test_port_rows_show_entries_of_far_apart_numbers_in_three_queries(
    django_assert_num_queries,
):
    make_assignment("near", 10)
    make_assignment("wide", 1000, 1900)
    make_assignment("far", 40000)
    with django_assert_num_queries(3):
        rows = page_data.port_rows([10, 1500, 40000, 50000], language="en")
    assert [[f.service_name for f in row.facts] for row in rows] == [
        ["near"],
        ["wide"],
        ["far"],
        [],
    ]


def test_story_cards_read_the_live_snapshot_only():
    story = make_story(7000, title="Live title", summary="Live summary")
    make_citation(story)
    story = actions.story_publish(story=story, by=None)
    story.title = "Draft title"
    story.save()
    cards = page_data.recent_stories(language="en")
    assert [str(card.title) for card in cards] == ["Live title"]
    assert page_data.recent_stories(language="en", updates=True) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_port_page_shows_the_live_version_in_the_readers_language(language):
    # First: an import withdraws what its file does not list.
    importing.import_registry(
        registry_csv(["hist", "3000", "sctp", "History row"]), file_name="h.csv"
    )
    story = rich_story(3000, citations=3, faqs=2, related=2, uses=2)
    Story.objects.filter(pk=story.pk).update(title_de="Die Geschichte von 3000")
    story.refresh_from_db()
    story = actions.story_publish(story=story, by=None)
    # The working copy moves on; readers keep the published version.
    story.title = "Draft title"
    story.body = "Draft body.[^1]"
    story.save()
    # Then: entries a later import adds.
    importing.import_registry(
        registry_csv(
            ["hist", "3000", "sctp", "History row"],
            ["wide", "2990-3010", "tcp", "wide"],
            ["below", "2995", "tcp", "below"],
            ["above", "3004", "tcp", "above"],
            # The related ports' entries, made with the story, are kept.
            ["rel1", "3001", "tcp", "rel1"],
            ["rel2", "3002", "tcp", "rel2"],
        ),
        file_name="more.csv",
    )
    FeedbackPrompt.objects.create(
        question="Helpful?",
        question_de="Hilfreich?",
        yes_label="Yes",
        no_label="No",
        thanks="Thanks",
    )

    page = page_data.port_page_data(3000, language=language)

    title = {"en": "Story of port 3000", "de": "Die Geschichte von 3000"}[language]
    assert (str(page.localized_story.title), page.localized_story.title.language) == (
        title,
        language,
    )
    # Not translated: the English body, marked as such.
    assert page.localized_story.body_html.language == "en"
    assert "Part 3" in page.localized_story.body_html.text
    assert "Draft" not in page.localized_story.body_html.text
    assert [c["number"] for c in page.citations] == [1, 2, 3]
    assert page.citations[0]["markers"] == ["cite-1-1"]
    assert [str(faq["question"]) for faq in page.localized_story.faqs] == [
        "Question 1?",
        "Question 2?",
    ]
    assert [(item["port"], str(item["note"])) for item in page.related] == [
        (3001, "note 1"),
        (3002, "note 2"),
    ]
    assert page.related_services == {3001: ["rel1", "wide"], 3002: ["rel2", "wide"]}
    assert page.story.port_id == 3000 and page.story_revised_at is not None
    assert [fact.service_name for fact in page.facts] == ["wide", "hist"]
    # Imported into an empty registry: its baseline, not an addition.
    assert [(entry.kind, entry.service_name) for entry in page.history] == [
        ("added", "wide"),
        (page_data.IN_BASELINE, "hist"),
    ]
    assert [n.services for n in page.neighbours_below][-1:] == [["below"]]
    assert [n.services for n in page.neighbours_above][:2] == [["rel1"], ["rel2"]]
    assert [use["name"] for use in page.known_uses] == ["use 0", "use 1"]
    assert page.known_uses[0]["kind_label"] == "Unofficial or conflicting use"
    prompt_question = {"en": "Helpful?", "de": "Hilfreich?"}[language]
    assert getattr(page.feedback_prompt, f"question_{language}") == prompt_question
    assert page.last_modified >= page.feedback_prompt.updated_at


def test_history_lists_the_latest_changes_of_the_ports_assignments_first():
    for run in range(3):
        rows = [["keep", "4000", "tcp", f"Description {run}"]]
        if run == 0:
            rows.append(["gone", "4000", "udp", "Dropped later"])
        importing.import_registry(registry_csv(*rows), file_name=f"{run}.csv")
    importing.import_registry(
        registry_csv(["keep", "4000", "tcp", "Description 2"], ["other", "4001"]),
        file_name="3.csv",
    )
    history = page_data.port_page_data(4000, language="en").history
    # The first import is the registry's baseline: where both entries start.
    assert [(entry.kind, entry.service_name) for entry in history] == [
        (ChangeKind.CHANGED, "keep"),
        (ChangeKind.CHANGED, "keep"),
        (ChangeKind.WITHDRAWN, "gone"),
        (page_data.IN_BASELINE, "keep"),
        (page_data.IN_BASELINE, "gone"),
    ]
    assert [entry.port_display for entry in history][:1] == ["4000"]
    added = page_data.port_page_data(4001, language="en").history
    assert [(entry.kind, entry.service_name) for entry in added] == [
        (ChangeKind.ADDED, "other")
    ]


def test_listing_moments_are_read_in_one_query(django_assert_num_queries):
    now = timezone.now()
    with django_assert_num_queries(1):
        assert page_data.listing_moments(now) == (None, None)
    story = make_story(7100)
    make_citation(story)
    actions.story_publish(story=story, by=None)
    expiring = make_story(7101)
    make_citation(expiring)
    actions.story_publish(story=expiring, by=None)
    Story.objects.filter(pk=expiring.pk).update(expire_at=now + timedelta(days=2))
    saved = max(Story.objects.values_list("updated_at", flat=True))
    with django_assert_num_queries(1):
        assert page_data.listing_moments(now) == (saved, now + timedelta(days=2))
    # Expired since: the listings changed then, and change no more by themselves.
    later = now + timedelta(days=3)
    with django_assert_num_queries(1):
        assert page_data.listing_moments(later) == (now + timedelta(days=2), None)


def test_recent_stories_and_service_pages_read_their_cards_in_one_query(
    django_assert_num_queries,
):
    for number in (7200, 7201):
        story = make_story(number, title=f"Live {number}")
        make_citation(story)
        actions.story_publish(story=story, by=None)
    make_assignment("cardsvc", 7200, 7201)
    with django_assert_num_queries(1):
        cards = page_data.recent_stories(language="de")
    assert sorted((card.port, str(card.title)) for card in cards) == [
        (7200, "Live 7200"),
        (7201, "Live 7201"),
    ]
    assert cards[0].title.language == "en"
    with django_assert_num_queries(2):
        service = page_data.service_page_data("CARDSVC", language="en")
    assert [card.port for card in service.stories] == [7200, 7201]
    assert service.name == "cardsvc"


def test_live_pages_and_previews_name_the_same_services_for_related_ports():
    # The live page reads its related ports' services with its own
    # assignments; previews of a draft ask related_services(): the two must
    # agree, ranges, withdrawn entries and names given twice (tcp and udp)
    # included.
    story = make_story(4000)
    for number in (4001, 4002, 4003, 4500):
        make_related(story, number)
    make_assignment("alpha", 4001)
    make_assignment("alpha", 4001, transport="udp")
    make_assignment(
        "gone",
        4001,
        status=AssignmentStatus.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )
    make_assignment("wide", 4002, port_high=4100)
    make_assignment("zeta", 4002)
    actions.story_publish(story=story, by=None)
    page = page_data.port_page_data(4000, language="en")
    expected = page_data.related_services([4001, 4002, 4003, 4500])
    assert page.related_services == expected
    assert expected == {4001: ["alpha"], 4002: ["wide", "zeta"], 4003: ["wide"]}

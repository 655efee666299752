"""ports.pages: what each page is built from, in a fixed number of queries."""

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ports import importing, pages, plain_sql, services
from ports.choices import AssignmentStatus, KnownUseKind
from ports.models import KnownUse

from .factories import (
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
            port_id=number,
            kind=KnownUseKind.UNOFFICIAL,
            name=f"use {position}",
            source_title="Source",
            source_url="https://example.org/",
            position=position,
        )
    return services.story_publish(story=story, by=None)


def page_queries(client, number):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/ports/{number}/")
    assert response.status_code == 200
    return len(queries)


def test_port_page_query_count_is_fixed_whatever_the_amount_of_content(
    client, django_assert_max_num_queries
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

    small = page_queries(client, 2000)
    large = page_queries(client, 3000)
    assert small == large
    with django_assert_max_num_queries(10):
        response = client.get("/ports/3000/")
    html = response.content.decode()
    assert html.count('class="fact') == 22  # 20 services + wide + hist
    assert 'id="source-25"' in html and "Question 15?" in html
    assert html.count('class="known-use ') == 6
    assert 'href="/ports/3012/"' in html


def test_port_page_without_story_needs_fewer_queries(
    client, django_assert_max_num_queries
):
    make_assignment("lonely", 5000)
    with django_assert_max_num_queries(8):
        assert client.get("/ports/5000/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/ports/65535/").status_code == 200


def test_registry_facts_merge_transports_of_identical_rows():
    make_assignment("svc", 100, transport="udp", assignee="[A]")
    make_assignment("svc", 100, transport="tcp", assignee="[A]")
    make_assignment("svc", 100, transport="sctp", assignee="[B]")
    facts = pages.port_page(100, language="en").facts
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
    page = pages.port_page(200, language="en")
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
    page = pages.port_page(1035, language="en")
    assert [n.port_low for n in page.neighbours_below] == [1030]
    assert [(n.port_low, n.port_high) for n in page.neighbours_above] == [
        (1040, 1049),
        (1060, 1060),
        (1070, 1070),
    ]
    system = pages.port_page(1010, language="en")
    assert [(n.port_low, n.services) for n in system.neighbours_below] == [
        (1000, ["low"])
    ]
    assert [n.port_low for n in system.neighbours_above] == [1023]


def test_matching_numbers_counts_ranges_for_every_number_they_cover():
    make_assignment("x", 10, 14, transport="udp")
    make_assignment("y", 12, transport="tcp")
    make_assignment("", 20, 29, transport="", description="Unassigned")
    filters = pages.PortFilters
    assert pages.matching_numbers(0, 100, filters(transport="udp")) == [
        10,
        11,
        12,
        13,
        14,
    ]
    assert pages.matching_numbers(0, 100, filters(status="unassigned")) == list(
        range(20, 30)
    )
    assert pages.matching_numbers(11, 12, filters(status="assigned")) == [11, 12]
    no_entry = pages.matching_numbers(0, 30, filters(status=pages.NO_ENTRY))
    assert no_entry == [*range(0, 10), 15, 16, 17, 18, 19, 30]
    assert list(pages.matching_numbers(5, 7, filters())) == [5, 6, 7]


def test_port_rows_show_entries_of_far_apart_numbers_in_three_queries(
    django_assert_num_queries,
):
    make_assignment("near", 10)
    make_assignment("wide", 1000, 1900)
    make_assignment("far", 40000)
    with django_assert_num_queries(3):
        rows = pages.port_rows([10, 1500, 40000, 50000], language="en")
    assert [[f.service_name for f in row.facts] for row in rows] == [
        ["near"],
        ["wide"],
        ["far"],
        [],
    ]


def test_story_cards_read_the_live_snapshot_only():
    story = make_story(7000, title="Live title", summary="Live summary")
    make_citation(story)
    story = services.story_publish(story=story, by=None)
    story.title = "Draft title"
    story.save()
    cards = pages.recent_stories(language="en")
    assert [str(card.title) for card in cards] == ["Live title"]
    assert pages.recent_stories(language="en", updates=True) == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the reads become one statement on PostgreSQL only",
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_one_statement_reads_what_the_separate_queries_read(language):
    # First: an import withdraws what its file does not list.
    importing.import_registry(
        registry_csv(["hist", "3000", "sctp", "History row"]), file_name="h.csv"
    )
    rich_story(3000, citations=3, faqs=2, related=2, uses=2)
    make_assignment("wide", 2990, port_high=3010)
    make_assignment("below", 2995)
    make_assignment("above", 3004)
    reads = pages.port_page_reads(3000, language)
    combined = plain_sql.fetch_all(reads)
    with connection.cursor() as cursor:
        separate = []
        for read in reads:
            cursor.execute(read.sql, read.params)
            separate.append(read.convert(cursor.fetchall(), connections["default"]))
    # The story's JSON parts come decoded in the one statement, as text from
    # separate queries: compare them as the page reads them.
    story_one, story_apart = combined.pop(1), separate.pop(1)
    assert pages._story_from(story_one, language) == pages._story_from(
        story_apart, language
    )
    assert pages._story_from(story_one, language)[1]["title"]["en"]
    assert combined == separate
    assignments, below, above, history, prompt, uses, related = combined
    assert len(assignments) == 2 and below and above and history
    assert len(uses) == 2 and {port for _name, port in related} == {3001, 3002}


def test_live_pages_and_previews_name_the_same_services_for_related_ports():
    # The live page reads its related ports' services in its one statement;
    # previews of a draft ask related_services(): the two must agree, ranges,
    # withdrawn entries and names given twice (tcp and udp) included.
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
    services.story_publish(story=story, by=None)
    page = pages.port_page(4000, language="en")
    expected = pages.related_services([4001, 4002, 4003, 4500])
    assert page.related_services == expected
    assert expected == {4001: ["alpha"], 4002: ["wide", "zeta"], 4003: ["wide"]}

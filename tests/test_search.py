"""Reader search: numbers and ranges, service names, words (full-text on PostgreSQL)."""

import datetime
import re
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ports.choices import AssignmentStatus
from ports.editorial import actions
from ports.observed.importing import import_observed
from ports.reader import search
from ports.registry import importing
from tests.factories import (
    make_assignment,
    make_citation,
    make_published_story,
    make_story,
    registry_csv,
)

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def main(html):
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def section(html, heading_id):
    return main(html).split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


# Reading the query -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "low", "high"),
    [
        ("1381", "port", 1381, 1381),
        (" port 80 ", "port", 80, 80),
        ("0", "port", 0, 0),
        ("65535", "port", 65535, 65535),
        ("6000-6010", "range", 6000, 6010),
        ("6010 - 6000", "range", 6000, 6010),
        ("6000–6010", "range", 6000, 6010),
        ("6000..6010", "range", 6000, 6010),
        ("65536", "invalid", None, None),
        ("1-70000", "invalid", None, None),
        ("", "empty", None, None),
        ("   ", "empty", None, None),
        ("whois++", "words", None, None),
        ("AppleTalk license manager", "words", None, None),
        ("80/tcp", "words", None, None),
    ],
)
def test_parse_query(text, kind, low, high):
    parsed = search.parse_query(text)
    assert (parsed.kind, parsed.low, parsed.high) == (kind, low, high)


def test_a_number_goes_to_its_port_page(client):
    response = client.get("/search/?q=1381")
    assert response.status_code == 302
    assert response["Location"] == "/ports/1381/"


def test_a_range_goes_to_its_range_page(client):
    assert client.get("/search/?q=6000-6010")["Location"] == "/ports/6000-6010/"
    assert client.get("/search/?q=6010-6000")["Location"] == "/ports/6000-6010/"
    assert client.get("/search/?q=80-80")["Location"] == "/ports/80/"


def test_numbers_beyond_the_last_port_are_explained(client):
    response = client.get("/search/?q=65536")
    assert response.status_code == 200
    assert "65536 is not a port number: ports run from 0 to 65535." in main(
        response.content.decode()
    )
    ranged = client.get("/search/?q=1-70000").content.decode()
    assert "Port ranges must lie between 0 and 65535." in ranged


def test_empty_search_shows_the_form(client):
    html = client.get("/search/").content.decode()
    assert 'name="q"' in main(html) and "result" not in main(html)


def test_query_is_escaped_in_the_page(client):
    html = client.get("/search/?q=%3Cscript%3Ealert(1)%3C/script%3E").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_page_is_not_indexed(client):
    html = client.get("/search/?q=apple").content.decode()
    assert '<meta name="robots" content="noindex, follow">' in html


# Service names ----------------------------------------------------------------------


def test_a_service_name_finds_its_assignments(client, demo):
    html = client.get("/search/?q=aspeclmd").content.decode()
    services_found = section(html, "service-heading")
    assert "Service name aspeclmd" in services_found
    assert 'href="/ports/1544/"' in services_found and "TCP, UDP" in services_found
    assert 'href="/services/aspeclmd/"' in services_found
    upper = client.get("/search/?q=ASPECLMD").content.decode()
    assert "Service name aspeclmd" in upper


def test_service_names_with_symbols_are_found(client):
    make_assignment("whois++", 63, transport="tcp", description="whois++")
    make_assignment("whois++", 63, transport="udp", description="whois++")
    make_assignment("sql*net", 66, description="Oracle SQL*NET")
    html = client.get("/search/?q=whois%2B%2B").content.decode()
    found = section(html, "service-heading")
    assert "Service name whois++" in found and 'href="/ports/63/"' in found
    assert "TCP, UDP" in found
    assert "Service name sql*net" in client.get("/search/?q=sql*net").content.decode()


def test_a_range_assignment_found_by_name_links_to_its_range(client, demo):
    html = client.get("/search/?q=x11").content.decode()
    assert 'href="/ports/6000-6063/"' in section(html, "service-heading")


# Words ------------------------------------------------------------------------------


def test_words_find_stories_and_registry_entries_ranked(client, demo):
    html = client.get("/search/?q=AppleTalk+license+manager").content.decode()
    stories = section(html, "stories-heading")
    ports = [int(n) for n in re.findall(r'href="/ports/(\d+)/"', stories)]
    assert ports[0] == 1381
    assert set(ports) >= {1381, 373}
    assert "<mark>License</mark> <mark>Manager</mark>" in stories
    registry = section(html, "registry-heading")
    hits = re.findall(r'<li><a href="/ports/(\d+)/">([^ <]+)', registry)
    assert hits[0] == ("1381", "apple-licman")


def test_words_search_summaries_faqs_and_assignees(client, demo):
    # 1381's FAQ: "… which shared software licences among networked Macs …"
    faq = client.get("/search/?q=networked+Macs").content.decode()
    assert 'href="/ports/1381/"' in section(faq, "stories-heading")
    assignee = client.get("/search/?q=Wallace").content.decode()
    registry = section(assignee, "registry-heading")
    assert "afpovertcp" in registry and "apple-licman" in registry
    description = client.get("/search/?q=Virtual+Machine").content.decode()
    assert "hpvirtgrp" in section(description, "registry-heading")


def test_drafts_and_working_copies_never_show_in_search(client):
    make_story(4300, title="Zanzibarquux draft", body="zanzibarquux")
    story = make_published_story(4301, title="Published title", body="Plain body.[^1]")
    story.body = "Now mentions zanzibarquux in the working copy.[^1]"
    story.save()
    html = client.get("/search/?q=zanzibarquux").content.decode()
    assert "/ports/4300/" not in html and "/ports/4301/" not in html
    assert "0 results" in html
    actions.story_publish(story=story, by=None)
    from django.core.cache import cache

    cache.clear()
    html = client.get("/search/?q=zanzibarquux").content.decode()
    assert 'href="/ports/4301/"' in section(html, "stories-heading")
    assert "/ports/4300/" not in html


def test_withdrawn_entries_come_last_and_are_marked(client):
    from django.utils import timezone

    make_assignment(
        "oldquux",
        4400,
        description="Quux gateway",
        status=AssignmentStatus.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )
    make_assignment("newquux", 4401, description="Quux gateway service")
    html = client.get("/search/?q=quux+gateway").content.decode()
    registry = section(html, "registry-heading")
    assert registry.index("newquux") < registry.index("oldquux")
    assert "Withdrawn" in registry.split("oldquux", 1)[1]


def test_snippets_are_escaped_around_their_highlights(client):
    story = make_story(
        4500, summary="Uses <b>bold</b> & the quuxword protocol.", body="x[^1]"
    )
    make_citation(story)
    actions.story_publish(story=story, by=None)
    html = client.get("/search/?q=quuxword").content.decode()
    snippet = section(html, "stories-heading").split('class="snippet"')[1]
    # Markup in the text is shown escaped (or, by ts_headline, dropped).
    assert "<b>" not in snippet and "bold" in snippet and "&amp; the" in snippet
    assert "<mark>quuxword</mark>" in snippet


def test_highlight_strips_markdown_and_escapes():
    snippet = f"A `cmd` **bold**[^1] {search.MARK_START}<x>{search.MARK_END}"
    assert search.highlight(snippet) == "A cmd bold <mark>&lt;x&gt;</mark>"


# PostgreSQL: full-text search with GIN indexes --------------------------------------


@on_postgresql
def test_documents_are_generated_and_indexed(demo):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ORDER BY 1",
            ["%_document"],
        )
        assert [row[0] for row in cursor.fetchall()] == [
            "ports_assignment_search_document",
            "ports_registrysearchentry_document",
            "ports_storysearchtext_document",
        ]
        cursor.execute(
            "SELECT search_document::text FROM ports_assignment "
            "WHERE service_name = %s",
            ["apple-licman"],
        )
        document = cursor.fetchone()[0]
    # Service name weighted A, description B, assignee and contact C.
    assert re.search(r"'licman':\d+A", document)
    assert re.search(r"'licens':\d+B", document)
    assert re.search(r"'wallac':\d+C", document)


@on_postgresql
def test_story_documents_are_kept_in_their_row(db):
    # Ranking reads each matching story's document: one stored out of line
    # (a Japanese story's bigrams, with its long text) was fetched from the
    # TOAST table for every match. MAIN moves the text out first.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'ports_storysearchtext'::regclass "
            "AND attname IN ('document', 'text') ORDER BY attname"
        )
        assert [row[0] for row in cursor.fetchall()] == ["m", "x"]


def _match_condition(sql, table, column):
    """The `<document> @@ <query>` condition a search query filters `table` on."""
    # A model field is quoted; a column only PostgreSQL has is raw SQL.
    start = sql.find(f'"{table}"."{column}" @@ (')
    if start < 0:
        start = sql.index(f'("{table}".{column}) @@ (')
    depth = 0
    for end in range(sql.index("@@ (", start) + 3, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            return sql[start : end + 1]
    raise AssertionError(sql)


@on_postgresql
def test_word_searches_use_the_gin_indexes(demo):
    # The condition both queries filter on can be answered from the GIN
    # index, and the registry's whole query is (the stories' query starts
    # from the three live stories of the demo, fewer than any index would give).
    with CaptureQueriesContext(connection) as queries:
        search.search("license manager", language="en")
    _promoted_sql, _synonyms_sql, plans_sql, stories_sql, registry_sql, _observed = (
        query["sql"] for query in queries.captured_queries
    )
    # Planned for their words, not as prepared statements' generic plans,
    # and not compiled to machine code.
    assert plans_sql == search.SEARCH_SETTINGS
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for table, column, sql in (
            ("ports_storysearchtext", "document", stories_sql),
            ("ports_registrysearchentry", "document", registry_sql),
        ):
            condition = _match_condition(sql, table, column)
            cursor.execute(f"EXPLAIN SELECT id FROM {table} WHERE {condition}")  # noqa: S608
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert f"{table}_{column}" in plan, plan
        cursor.execute(f"EXPLAIN {registry_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ports_registrysearchentry_document" in plan, plan


@pytest.mark.parametrize(
    ("text", "postgresql", "other"),
    [
        # Stories and the registry (the fallback: counts, hits and transports).
        ("AppleTalk license manager", 6, 7),
        # And the exact service name.
        ("aspeclmd", 7, 8),
    ],
)
def test_a_word_search_reads_in_a_fixed_number_of_queries(
    demo, django_assert_num_queries, text, postgresql, other
):
    expected = postgresql if connection.vendor == "postgresql" else other
    with django_assert_num_queries(expected):
        results = search.search(text, language="en")
    assert results.stories and results.registry


@on_postgresql
def test_snippets_are_made_for_the_hits_shown_only(demo):
    with CaptureQueriesContext(connection) as queries:
        results = search.search("license manager", language="en")
    assert results.story_count == len(results.stories) == 3
    assert results.registry_count > 0
    # The stories' and the registry's queries make snippets (after those of
    # the promotions and the synonyms, and the plans' setting).
    for query in queries.captured_queries[3:5]:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN VERBOSE {query['sql']}")
            plan = [row[0] for row in cursor.fetchall()]
        # ts_headline is computed above the sort (under the LIMIT), not for
        # every match below it.
        sort = next(i for i, line in enumerate(plan) if "->  Sort" in line)
        assert plan[0].startswith("Limit"), plan
        assert any("ts_headline" in line for line in plan[:sort]), plan
        assert not any("ts_headline" in line for line in plan[sort:]), plan


@on_postgresql
def test_stories_with_every_word_rank_first(demo):
    results = search.search("licence manager daemon", language="en")
    assert [hit.port for hit in results.stories][:1] == [1544]
    assert results.stories[0].rank > results.stories[-1].rank


@on_postgresql
def test_stemming_finds_other_word_forms(client, demo):
    html = client.get("/search/?q=licensing+managers").content.decode()
    assert 'href="/ports/1381/"' in section(html, "stories-heading")


def test_fallback_search_without_postgresql(demo, monkeypatch):
    """The substring search that SQLite uses also works on any database."""
    monkeypatch.setattr(search, "connection", type("C", (), {"vendor": "other"})())
    results = search.search("AppleTalk license manager", language="en")
    assert results.stories[0].port == 1381
    assert "<mark>" in results.stories[0].snippet
    assert results.registry[0].service_name == "apple-licman"
    assert results.registry[0].transports == ["tcp", "udp"]


def _wait_for_a_session_waiting_on_a_lock(timeout=10.0):
    """True once another session of this database waits for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_entries_of_two_imports_committing_together_are_both_searchable():
    # An entry saved (and search's entries refreshed) in one transaction,
    # which commits only once an observed-data import in another waits for
    # it: the import's refresh then reads the entry too.
    saved = threading.Event()
    import_waited = []

    def save_entry_then_commit_while_the_import_waits():
        try:
            with transaction.atomic():
                make_assignment("zorbsvc", 4650, description="Zorblatt relay")
                saved.set()
                import_waited.append(_wait_for_a_session_waiting_on_a_lock())
        finally:
            saved.set()
            connection.close()

    first = threading.Thread(target=save_entry_then_commit_while_the_import_waits)
    first.start()
    assert saved.wait(timeout=10)
    import_observed(
        "nmap",
        b"# $Id: nmap-services 1 2022-08-31 22:53:46Z x $\n"
        b"minecraft\t25565/tcp\t0.000076\t# A video game\n",
        file_name="nmap-services",
    )
    first.join(timeout=10)
    assert import_waited == [True]
    assert [
        hit.port_low for hit in search.search("zorblatt", language="en").registry
    ] == [4650]
    assert [hit.port for hit in search.search("minecraft", language="en").observed] == [
        25565
    ]


@on_postgresql
def test_search_reads_what_a_registry_import_changed(client):
    def import_description(description, day):
        importing.import_registry(
            registry_csv(["zorbsvc", "4650", "tcp", description, *[""] * 8]),
            file_name="registry.csv",
            registry_date=datetime.date(2025, 1, day),
        )

    import_description("Zorblatt relay", 1)
    hits = search.search("zorblatt", language="en").registry
    assert [hit.port_low for hit in hits] == [4650]
    # The next registry changes the description: search reads it, not the old.
    import_description("Quindle relay", 2)
    assert not search.search("zorblatt", language="en").registry
    html = client.get("/search/?q=quindle").content.decode()
    assert 'href="/ports/4650/"' in section(html, "registry-heading")

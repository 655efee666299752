"""
The registry in its own time: each import's registry date, the baseline, the
public registry changes pages and feeds, and port history dated by the registry.
"""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from ports.cache import tags
from ports.models import Assignment, ImportRun
from ports.reader import registry_changes
from ports.registry import importing
from tests.factories import registry_csv
from tests.shared_data import NEWER, OLDER, shared_file
from tests.test_importing_real_files import expected_update, records

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"

FIRST = [
    ["http", "80", "tcp", "World Wide Web HTTP", "[TBL]", "", "1990-01", "2018-07-11"],
    ["x11", "6000-6063", "tcp", "X Window System", "[SG]", "", "", ""],
    ["gone", "81", "tcp", "Will be withdrawn", "", "", "2001-01-02", ""],
    ["rdp", "", "tcp", "Remote Desktop Protocol", "", "", "", ""],
]


def second_rows():
    rows = [row.copy() for row in FIRST[:2] + FIRST[3:]]
    rows[0][4] = "[IESG]"
    rows[0][7] = "2026-04-09"
    rows.append(["compressnet", "2", "tcp", "Management Utility", "", "", "", ""])
    return rows


def import_rows(rows, name):
    return importing.import_registry(registry_csv(*rows), file_name=name)[1]


def html_of(response):
    assert response.status_code == 200, response
    return response.content.decode()


def text_of(html):
    """The page's text with tags and runs of white space taken out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def two_imports():
    baseline = import_rows(FIRST, "2018.csv")
    update = import_rows(second_rows(), "2026.csv")
    return baseline, update


def test_each_import_records_the_registrys_date_beside_its_own(two_imports):
    baseline, update = two_imports
    assert (baseline.outcome, baseline.registry_date) == (
        ImportRun.Outcome.BASELINE,
        datetime.date(2018, 7, 11),
    )
    assert (update.outcome, update.registry_date) == (
        ImportRun.Outcome.APPLIED,
        datetime.date(2026, 4, 9),
    )
    assert baseline.started_at.date() == update.started_at.date()


def test_the_list_shows_applied_imports_with_their_registry_dates(client, two_imports):
    baseline, update = two_imports
    # Neither a file that changes nothing, a preview nor a refusal is listed.
    import_rows(second_rows(), "again.csv")
    importing.plan_import(
        registry_csv(*FIRST), file_name="preview.csv", allow_older=True
    )
    importing.record_refused(file_name="bad.csv", reason="Not a registry file.")
    html = html_of(client.get("/registry/changes/"))
    text = text_of(html)
    assert re.findall(r"/registry/changes/(\d+)/", html) == [
        str(update.pk),
        str(baseline.pk),
    ]
    assert "Registry of 2026-04-09" in text and "Registry of 2018-07-11" in text
    assert "1 added, 1 changed, 1 withdrawn" in text
    assert "The first import: 4 entries." in text
    assert "again.csv" not in html and "bad.csv" not in html
    refused = ImportRun.objects.get(file_name="bad.csv")
    nothing = ImportRun.objects.get(file_name="again.csv")
    for run in (refused, nothing):
        assert client.get(f"/registry/changes/{run.pk}/").status_code == 404


def test_counts_are_written_as_the_readers_language_writes_numbers(client):
    ImportRun.objects.create(
        file_name="whole.csv",
        sha256="0" * 64,
        outcome=ImportRun.Outcome.BASELINE,
        registry_date=datetime.date(2025, 3, 28),
        new_count=14447,
    )
    english = text_of(html_of(client.get("/registry/changes/")))
    assert "The first import: 14,447 entries." in english
    german = text_of(html_of(client.get("/de/registry/changes/")))
    assert "14.447" in german and "14447" not in german


def test_an_update_page_lists_added_changed_old_to_new_and_withdrawn(
    client, two_imports
):
    _, update = two_imports
    html = html_of(client.get(f"/registry/changes/{update.pk}/"))
    added = html[html.index('id="added-heading"') : html.index('id="changed-heading"')]
    changed = html[
        html.index('id="changed-heading"') : html.index('id="withdrawn-heading"')
    ]
    withdrawn = html[html.index('id="withdrawn-heading"') :]
    assert '<a href="/services/compressnet/" lang="en" dir="auto">compressnet</a>' in (
        added
    )
    assert '<a href="/ports/2/">Port 2</a>' in added
    assert '<a href="/services/http/" lang="en" dir="auto">http</a>' in changed
    assert text_of(changed).count("→") == 2
    assert "Assignee" in changed and "Modified" in changed
    assert '<del><span lang="en" dir="auto">[TBL]</span></del>' in changed
    assert '<ins><span lang="en" dir="auto">[IESG]</span></ins>' in changed
    assert "<del>—</del>" not in changed  # 2018-07-11 → 2026-04-09
    assert '<a href="/services/gone/" lang="en" dir="auto">gone</a>' in withdrawn
    assert '<a href="/ports/81/">Port 81</a>' in withdrawn
    assert "compressnet" not in changed + withdrawn


def test_a_long_update_is_paginated_with_its_sections_in_order(
    client, two_imports, monkeypatch
):
    _, update = two_imports
    third = second_rows()[:1] + [
        ["added-{n}", str(3000 + n), "tcp", f"Added {n}", "", "", "", ""]
        for n in range(3)
    ]
    third[0][4] = "[IETF]"
    run = import_rows(third, "third.csv")
    assert (run.new_count, run.changed_count, run.withdrawn_count) == (3, 1, 3)
    monkeypatch.setattr(registry_changes, "CHANGES_PER_PAGE", 2)

    def sections(page):
        html = html_of(client.get(f"/registry/changes/{run.pk}/?page={page}"))
        found = re.findall(
            r'<h2 id="(\w+)-heading">.*?<span class="count">\((\d+)\)</span>', html
        )
        lists = re.findall(r'<ul class="registry-changes">(.*?)</ul>', html, re.S)
        return found, sum(items.count("<li>") for items in lists), html

    found, items, html = sections(1)
    assert (found, items) == ([("added", "3")], 2)
    assert "Page 1 of 4" in html and 'href="?page=2"' in html
    assert sections(2)[:2] == ([("added", "3"), ("changed", "1")], 2)
    assert sections(3)[:2] == ([("withdrawn", "3")], 2)
    assert sections(4)[:2] == ([("withdrawn", "3")], 1)
    assert client.get(f"/registry/changes/{run.pk}/?page=5").status_code == 404
    assert client.get(f"/registry/changes/{run.pk}/?page=x").status_code == 404


def test_the_baseline_page_lists_no_additions(client, two_imports):
    baseline, _ = two_imports
    html = html_of(client.get(f"/registry/changes/{baseline.pk}/"))
    assert "not listed as added" in html
    assert 'id="added-heading"' not in html
    assert "/services/x11/" not in html


def test_a_range_links_to_its_range_page(client):
    import_rows(FIRST[:1], "first.csv")
    update = import_rows([*FIRST[:2]], "second.csv")
    html = html_of(client.get(f"/registry/changes/{update.pk}/"))
    assert 'href="/ports/6000-6063/"' in html


def test_feeds_have_one_item_per_import(client, two_imports):
    baseline, update = two_imports
    rss = ET.fromstring(client.get("/feeds/registry.rss").content)
    items = rss.findall("channel/item")
    assert [item.findtext("title") for item in items] == [
        "Registry of 2026-04-09: 1 added, 1 changed, 1 withdrawn",
        "Registry of 2018-07-11: The first import: 4 entries. The registry's "
        "history here starts with them.",
    ]
    assert [item.findtext("link") for item in items] == [
        f"http://testserver/registry/changes/{update.pk}/",
        f"http://testserver/registry/changes/{baseline.pk}/",
    ]
    atom = ET.fromstring(client.get("/feeds/registry.atom").content)
    entries = atom.findall(f"{ATOM}entry")
    assert entries[0].find(f"{ATOM}link").get("href") == (
        f"http://testserver/registry/changes/{update.pk}/"
    )
    japanese = ET.fromstring(client.get("/ja/feeds/registry.rss").content)
    assert japanese.find("channel/item/link").text.startswith(
        "http://testserver/ja/registry/changes/"
    )


def test_pages_and_feeds_are_shared_cached_and_purged_by_an_import(client):
    import_rows(FIRST, "first.csv")
    paths = ["/registry/changes/", "/ja/registry/changes/", "/feeds/registry.rss"]
    for path in paths:
        response = client.get(path)
        assert response["Surrogate-Key"].split() == tags.REGISTRY_TAGS
        assert "public" in response["Cache-Control"] and response["Last-Modified"]
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        assert len(queries) == 0, path
    import_rows(second_rows(), "second.csv")
    for path in paths:
        assert "2026-04-09" in client.get(path).content.decode(), path


def test_the_pages_read_in_the_readers_language(client, two_imports):
    _, update = two_imports
    for language in ("ja", "ar"):
        html = html_of(client.get(f"/{language}/registry/changes/{update.pk}/"))
        assert f'<html lang="{language}"' in html
        assert "Registry of" not in html and "Assignee" not in html
        # The registry's own words stay English, isolated.
        assert '<ins><span lang="en" dir="auto">[IESG]</span></ins>' in html
        assert f'href="/{language}/ports/2/"' in html
    assert 'dir="rtl"' in html and "←" in text_of(html)


def test_the_footer_links_the_changes(client):
    html = html_of(client.get("/"))
    assert 'href="/registry/changes/"' in html
    html = html_of(client.get("/registry/changes/"))
    assert 'type="application/rss+xml" title="Registry changes (RSS)"' in html
    assert "No import has changed the registry yet." in html


def test_port_history_reads_in_registry_time(client, two_imports):
    baseline, update = two_imports
    history = html_of(client.get("/ports/80/")).split('id="history-heading"')[1]
    entries = text_of(history.split('class="history">')[1].split("</ul>")[0]).strip()
    assert entries == (
        "Changed in the registry of 2026-04-09 — http (80/tcp) "
        "In the registry of 2018-07-11 — http (80/tcp)"
    )
    assert f'href="/registry/changes/{update.pk}/"' in history
    assert f'href="/registry/changes/{baseline.pk}/"' in history
    gone = html_of(client.get("/ports/81/")).split('id="history-heading"')[1]
    assert "Gone from the registry of 2026-04-09 — gone (81/tcp)" in text_of(gone)
    added = html_of(client.get("/ports/2/")).split('id="history-heading"')[1]
    assert "Added in the registry of 2026-04-09 — compressnet (2/tcp)" in text_of(added)


def test_history_credits_the_baseline_whatever_an_entrys_timestamps(
    client, two_imports
):
    """An entry no later import added came with the baseline, even when its
    creation time is not the baseline's to the microsecond (a restored copy,
    an entry touched since)."""
    Assignment.objects.update(created_at=F("created_at") + datetime.timedelta(1))

    def history(port):
        page = html_of(client.get(f"/ports/{port}/")).split('id="history-heading"')
        return text_of(page[1].split('class="history">')[1].split("</ul>")[0])

    assert "In the registry of 2018-07-11 — http (80/tcp)" in history(80)
    added = history(2)
    assert "Added in the registry of 2026-04-09 — compressnet (2/tcp)" in added
    assert "In the registry of 2018-07-11" not in added


def test_history_of_imports_without_a_registry_date_falls_back_to_import_time(
    client,
):
    run = import_rows([["www", "80", "tcp", "WWW"]], "undated.csv")
    history = html_of(client.get("/ports/80/")).split('id="history-heading"')[1]
    assert f'<time datetime="{run.started_at.isoformat()}">' in history
    assert "Baseline (first import)" in text_of(history)


def test_the_command_takes_the_registry_date(tmp_path, capsys):
    path = tmp_path / "registry.csv"
    path.write_bytes(registry_csv(*FIRST))
    call_command("import_registry", str(path), "--registry-date", "2018-07-12")
    run = ImportRun.objects.get()
    assert run.registry_date == datetime.date(2018, 7, 12)
    assert capsys.readouterr().out.splitlines()[:2] == [
        "Registry date 2018-07-12.",
        f"Import run {run.pk} recorded (Baseline (first import)).",
    ]
    with pytest.raises(CommandError, match="'12/07/2018' is not a date"):
        call_command("import_registry", str(path), "--registry-date", "12/07/2018")


OLDER_REGISTRY_REFUSAL = (
    "This registry is dated 2018-07-11, older than the newest imported "
    "(2026-04-09): its changes would run the registry's history backwards. "
    "Nothing was imported."
)


def test_the_command_refuses_a_registry_older_than_the_newest_imported(
    tmp_path, two_imports
):
    path = tmp_path / "older.csv"
    path.write_bytes(registry_csv(*FIRST))
    with pytest.raises(CommandError) as raised:
        call_command("import_registry", str(path))
    assert str(raised.value).startswith(OLDER_REGISTRY_REFUSAL)
    assert "--allow-older" in str(raised.value)
    refused = ImportRun.objects.latest("pk")
    assert (refused.file_name, refused.outcome) == ("older.csv", "refused")
    assert ImportRun.objects.published().count() == 2

    call_command("import_registry", str(path), "--allow-older")
    assert ImportRun.objects.published().count() == 3


def test_imports_are_listed_in_registry_time_whatever_their_order(client, two_imports):
    baseline, update = two_imports
    older = importing.import_registry(
        registry_csv(*FIRST), file_name="2018-again.csv", allow_older=True
    )[1]
    html = html_of(client.get("/registry/changes/"))
    assert re.findall(r"/registry/changes/(\d+)/", html) == [
        str(update.pk),
        str(older.pk),
        str(baseline.pk),
    ]


def test_load_demo_keeps_a_registry_imported_before_it(two_imports):
    call_command("load_demo", verbosity=0)
    assert ImportRun.objects.count() == 2
    assert not ImportRun.objects.filter(file_name="demo_registry.csv").exists()


def test_the_real_update_counts_match_the_files(client):
    """2024-04-30 → 2025-03-28, counted from the two files with the csv module."""
    expected = expected_update(records(OLDER), records(NEWER))
    assert (expected["new"], expected["changed"], expected["withdrawn"]) == (
        46,
        19,
        19,
    )
    for name in (OLDER, NEWER):
        path = shared_file(name)
        importing.import_registry(path.read_bytes(), file_name=path.name)
    run = ImportRun.objects.get(file_name=NEWER)
    assert run.registry_date == datetime.date(2025, 3, 28)
    html = html_of(client.get(f"/registry/changes/{run.pk}/"))
    for kind, count in (("added", 46), ("changed", 19), ("withdrawn", 19)):
        section = html.split(f'id="{kind}-heading"')[1].split("</section>")[0]
        assert f'<span class="count">({count})</span>' in section
        assert section.count("<li>") == count, kind
    summary = "46 added, 19 changed, 19 withdrawn"
    assert summary in text_of(html_of(client.get("/registry/changes/")))
    rss = ET.fromstring(client.get("/feeds/registry.rss").content)
    assert rss.find("channel/item/title").text == f"Registry of 2025-03-28: {summary}"


def test_the_sitemap_lists_the_changes_pages(client, two_imports):
    baseline, update = two_imports
    content = client.get("/sitemap-registry.xml").content.decode()
    english = re.findall(r"<loc>http://testserver(/registry/[^<]*)</loc>", content)
    assert english == [
        "/registry/changes/",
        f"/registry/changes/{update.pk}/",
        f"/registry/changes/{baseline.pk}/",
    ]

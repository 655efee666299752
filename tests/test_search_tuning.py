"""
Editors' search synonyms and promotions: edited in the admin, applied to
readers only once a reviewer approved them, sent back for review by an
editor's change, recorded in the admin's history, and purging search pages.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ports.models import PromotedPort, SearchPromotion, SearchSynonym
from ports.reader import search
from tests.factories import make_assignment, make_user

pytestmark = pytest.mark.django_db

SYNONYMS = "/admin/ports/searchsynonym/"


@pytest.fixture
def registry(db):
    make_assignment("domain", 53, description="Domain Name Server")
    make_assignment("ms-wbt-server", 3389, description="MS WBT Server")
    make_assignment("desktop-ctl", 4321, description="Remote desktop control")


@pytest.fixture
def editor(db):
    return make_user("ed", role="Editor")


@pytest.fixture
def reviewer(db):
    return make_user("rev", role="Reviewer")


def ports(results):
    return [hit.port_low for hit in results.registry]


def approved():
    return {"approved_at": timezone.now()}


def is_cached(path):
    """Whether an anonymous reader gets this page from the cache (no query)."""
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(path).status_code == 200
    return len(queries) == 0


# Readers ---------------------------------------------------------------------------


def test_an_approved_synonym_expands_a_query_word(registry):
    assert 53 not in ports(search.search("dns", language="en"))
    synonym = SearchSynonym.objects.create(term="dns", expansion="domain name")
    assert 53 not in ports(search.search("dns", language="en"))
    synonym.approved_at = timezone.now()
    synonym.save()
    assert ports(search.search("DNS", language="en"))[:1] == [53]
    assert ports(search.search("dns server", language="en"))[:1] == [53]


def test_an_approved_promotion_comes_first_in_its_order(client, registry):
    promotion = SearchPromotion.objects.create(
        query="remote desktop", note="Windows' Remote Desktop Protocol (RDP)."
    )
    PromotedPort.objects.create(promotion=promotion, port=3389, position=1)
    PromotedPort.objects.create(promotion=promotion, port=3390, position=2)
    assert search.search("remote desktop", language="en").promoted == []
    promotion.approved_at = timezone.now()
    promotion.save()
    results = search.search("  Remote   Desktop ", language="en")
    assert [(p.port, p.service_name) for p in results.promoted] == [
        (3389, "ms-wbt-server"),
        (3390, None),
    ]
    html = client.get("/search/?q=remote+desktop").content.decode()
    block = html.split('id="recommended-heading"', 1)[1].split("</section>", 1)[0]
    assert "Recommended" in html
    assert "Windows&#39; Remote Desktop Protocol (RDP)." in block
    assert block.index('href="/ports/3389/"') < block.index('href="/ports/3390/"')
    assert "<bdi>ms-wbt-server</bdi>" in block
    # Only for that query.
    assert search.search("remote", language="en").promoted == []


def test_approving_or_changing_them_refreshes_search_pages(registry):
    Client().get("/search/?q=dns")
    assert is_cached("/search/?q=dns")
    synonym = SearchSynonym.objects.create(term="dns", expansion="domain name")
    assert not is_cached("/search/?q=dns")
    synonym.approved_at = timezone.now()
    synonym.save()
    assert 'href="/ports/53/"' in Client().get("/search/?q=dns").content.decode()
    assert is_cached("/search/?q=dns")
    PromotedPort.objects.create(
        promotion=SearchPromotion.objects.create(query="dns", **approved()), port=853
    )
    assert "recommended-heading" in Client().get("/search/?q=dns").content.decode()


# The admin -------------------------------------------------------------------------


def test_an_editors_synonym_waits_for_a_reviewer(client, editor, reviewer, registry):
    client.force_login(editor)
    form = client.get(f"{SYNONYMS}add/").content.decode()
    assert 'name="term"' in form and 'name="approved"' not in form
    response = client.post(
        f"{SYNONYMS}add/", {"term": " DNS ", "expansion": "domain  name"}
    )
    assert response.status_code == 302
    synonym = SearchSynonym.objects.get()
    assert (synonym.term, synonym.expansion) == ("dns", "domain name")
    assert not synonym.is_approved

    client.force_login(reviewer)
    change = f"{SYNONYMS}{synonym.pk}/change/"
    assert 'name="approved"' in client.get(change).content.decode()
    client.post(change, {"term": "dns", "expansion": "domain name", "approved": "on"})
    synonym.refresh_from_db()
    assert synonym.is_approved and synonym.approved_by == reviewer
    assert ports(search.search("dns", language="en"))[:1] == [53]

    # An editor's change sends it back for review.
    client.force_login(editor)
    client.post(change, {"term": "dns", "expansion": "domain name server"})
    synonym.refresh_from_db()
    assert synonym.expansion == "domain name server" and not synonym.is_approved
    assert 53 not in ports(search.search("dns", language="en"))
    history = LogEntry.objects.filter(object_id=str(synonym.pk)).order_by("pk")
    assert [entry.user for entry in history] == [editor, reviewer, editor]


def test_a_reviewer_approves_from_the_list_and_editors_cannot(client, editor, reviewer):
    synonym = SearchSynonym.objects.create(term="dns", expansion="domain name")
    data = {"action": "approve", "_selected_action": [synonym.pk]}
    client.force_login(editor)
    client.post(SYNONYMS, data)
    synonym.refresh_from_db()
    assert not synonym.is_approved
    client.force_login(reviewer)
    response = client.post(SYNONYMS, data, follow=True)
    assert "1 entry approved." in response.content.decode()
    synonym.refresh_from_db()
    assert synonym.is_approved and synonym.approved_by == reviewer
    assert LogEntry.objects.filter(object_id=str(synonym.pk), user=reviewer).exists()


def test_an_editors_change_to_promoted_ports_sends_the_promotion_back(client, editor):
    promotion = SearchPromotion.objects.create(query="rdp", **approved())
    PromotedPort.objects.create(promotion=promotion, port=3389)
    promoted = promotion.ports.get()
    client.force_login(editor)
    response = client.post(
        f"/admin/ports/searchpromotion/{promotion.pk}/change/",
        {
            "query": "rdp",
            "note": "",
            "ports-TOTAL_FORMS": "2",
            "ports-INITIAL_FORMS": "1",
            "ports-0-id": promoted.pk,
            "ports-0-promotion": promotion.pk,
            "ports-0-port": "3389",
            "ports-0-position": "0",
            "ports-1-promotion": promotion.pk,
            "ports-1-port": "3390",
            "ports-1-position": "1",
        },
    )
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert [p.port for p in promotion.ports.all()] == [3389, 3390]
    assert not promotion.is_approved


def test_a_synonym_is_one_word(client, editor):
    client.force_login(editor)
    response = client.post(f"{SYNONYMS}add/", {"term": "dns server", "expansion": "x"})
    assert "A synonym&#x27;s term is one word." in response.content.decode()
    assert not SearchSynonym.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bigram documents need PostgreSQL"
)
def test_an_approved_synonym_expands_a_japanese_search(db):
    from ports.editorial import actions
    from tests.factories import make_citation, make_story

    story = make_story(4900, title="Port 4900", title_ja="ポート4900: 名前解決")
    make_citation(story)
    actions.story_publish(story=story, by=None)
    SearchSynonym.objects.create(term="dns", expansion="名前解決", **approved())
    hits = search.search("dns", language="ja").stories
    assert [(hit.port, hit.language) for hit in hits] == [(4900, "ja")]

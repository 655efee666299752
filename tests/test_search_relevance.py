"""
Search relevance with what the world runs: IANA's whole registry, nmap's
nmap-services and the services file, and everyday queries
(ports.reader.search_relevance). Prints the top-3 hit rate and the misses.

PostgreSQL only (the ranking is full-text search's); skips, saying why,
where the registry file or the observed files are absent.
"""

from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ports.models import PromotedPort, SearchPromotion, SearchSynonym
from ports.observed.importing import import_observed
from ports.reader import search_relevance
from ports.registry import importing
from tests.shared_data import NEWER, shared_file

NMAP_SERVICES = Path("/usr/share/nmap/nmap-services")
SERVICES = Path("/etc/services")
# The rate reached from the registry and observed data alone; a change that
# makes search find less fails here.
LEVEL = 0.9


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The real data, loaded once for the module and rolled back after it."""
    if connection.vendor != "postgresql":
        pytest.skip("search relevance is measured with PostgreSQL's full-text search")
    for path in (NMAP_SERVICES, SERVICES):
        if not path.exists():
            pytest.skip(f"{path} is not installed (nmap-common, netbase)")
    registry = shared_file(NEWER)
    with django_db_blocker.unblock(), transaction.atomic():
        importing.import_registry(registry.read_bytes(), file_name=registry.name)
        for source, path in (("nmap", NMAP_SERVICES), ("services", SERVICES)):
            import_observed(source, path.read_bytes(), file_name=path.name)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_everyday_queries_find_their_port_in_the_first_three(world, capsys):
    relevance = search_relevance.measure()
    with capsys.disabled():
        print("\n" + "\n".join(relevance.report()))
    assert len(relevance.checks) >= 40
    assert relevance.rate >= LEVEL, "\n".join(relevance.report())


@pytest.mark.django_db
def test_approved_synonyms_and_promotions_fix_misses(world):
    misses = [("dns", {53}), ("remote desktop", {3389})]
    assert search_relevance.measure(misses).rate == 0
    synonym = SearchSynonym.objects.create(term="dns", expansion="domain name")
    promotion = SearchPromotion.objects.create(query="remote desktop")
    PromotedPort.objects.create(promotion=promotion, port=3389)
    assert search_relevance.measure(misses).rate == 0  # not yet approved
    for entry in (synonym, promotion):
        entry.approved_at = timezone.now()
        entry.save()
    relevance = search_relevance.measure(misses)
    assert relevance.rate == 1, "\n".join(relevance.report())

"""
Reader search finds ports by what nmap and the services file call them, and
ranks comparable matches by how often nmap finds the port open; on
PostgreSQL (full text) and elsewhere (substrings).
"""

import re

import pytest
from django.db import connection

from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import KnownUse
from ports.observed.importing import import_observed
from ports.reader import search
from tests.factories import make_assignment, make_citation, make_faq, make_story

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="text ranking needs PostgreSQL"
)

NMAP = (
    "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n"
    "smtp\t25/tcp\t0.131314\t# Simple Mail Transfer\n"
    "re-mail-ck\t50/tcp\t0.000276\t# Remote Mail Checking Protocol\n"
    "ms-wbt-server\t3389/tcp\t0.083904\t"
    "# Microsoft Remote Display Protocol (aka ms-term-serv, microsoft-rdp)\n"
    "dhcps\t67/udp\t0.228010\t# DHCP/Bootstrap Protocol Server\n"
    "minecraft\t25565/tcp\t0.000076\t# A video game\n"
)
SERVICES = "postgresql\t5432/tcp\tpostgres\t# PostgreSQL Database\n"


@pytest.fixture
def registry(db):
    for transport in ("tcp", "udp"):
        make_assignment(
            "smtp", 25, transport=transport, description="Simple Mail Transfer"
        )
        make_assignment(
            "re-mail-ck",
            50,
            transport=transport,
            description="Remote Mail Checking Protocol",
        )
        make_assignment(
            "ms-wbt-server", 3389, transport=transport, description="MS WBT Server"
        )
        make_assignment(
            "bootps", 67, transport=transport, description="Bootstrap Protocol Server"
        )
        make_assignment(
            "postgresql", 5432, transport=transport, description="PostgreSQL Database"
        )


@pytest.fixture
def observed(registry):
    import_observed("nmap", NMAP.encode(), file_name="nmap-services")
    import_observed("services", SERVICES.encode(), file_name="services")


def ports(results):
    return [hit.port_low for hit in results.registry]


@pytest.mark.parametrize(
    ("query", "port"),
    [("rdp", 3389), ("dhcp", 67), ("postgres", 5432)],
)
def test_observed_names_find_registry_entries(observed, query, port):
    results = search.search(query, language="en")
    assert ports(results)[:1] == [port]


@pytest.mark.parametrize(("query", "source"), [("rdp", "nmap"), ("dhcp", "nmap")])
def test_a_hit_found_by_an_observed_name_says_so(observed, query, source):
    reason = search.search(query, language="en").registry[0].observed
    assert reason.source == source and "<mark>" in reason.text.lower()


def test_without_observed_data_they_are_not_found(registry):
    assert ports(search.search("rdp", language="en")) == []


def test_the_hit_says_which_source_named_the_port(client, observed):
    html = client.get("/search/?q=rdp").content.decode()
    registry = html.split('id="registry-heading"', 1)[1].split("</section>", 1)[0]
    assert 'href="/ports/3389/"' in registry
    assert re.search(
        r"Name in nmap: <bdi>ms-wbt-server — Microsoft Remote Display Protocol "
        r"\(aka ms-term-serv, microsoft-<mark>rdp</mark>\)</bdi>",
        registry,
    ), registry


def test_among_equal_matches_the_port_seen_open_more_often_comes_first(db):
    make_assignment("alpha-chat", 100, description="Alpha chat")
    make_assignment("beta-chat", 200, description="Beta chat")
    assert ports(search.search("chat", language="en")) == [100, 200]
    import_observed(
        "nmap",
        b"alpha-chat\t100/tcp\t0.000100\nbeta-chat\t200/tcp\t0.010000\n",
        file_name="nmap-services",
    )
    assert ports(search.search("chat", language="en")) == [200, 100]


@on_postgresql
def test_a_description_match_seen_open_often_beats_a_name_match_rarely_seen(
    observed,
):
    # Both hold "mail"; re-mail-ck in its name, smtp only in its description.
    assert ports(search.search("mail", language="en"))[:2] == [25, 50]


def test_ports_only_nmap_names_are_listed_by_their_source(client, observed):
    results = search.search("minecraft", language="en")
    assert results.registry == []
    assert [hit.port for hit in results.observed] == [25565]
    assert results.observed[0].reason.source == "nmap"
    html = client.get("/search/?q=minecraft").content.decode()
    section = html.split('id="observed-heading"', 1)[1].split("</section>", 1)[0]
    assert "1 port named by nmap or the services file" in section
    assert 'href="/ports/25565/"' in section
    assert "Name in nmap: <bdi><mark>minecraft</mark> — A video game</bdi>" in section


def test_only_the_current_imports_rows_are_searched(observed):
    import_observed(
        "nmap",
        NMAP.replace("minecraft", "blockgame").encode(),
        file_name="nmap-services",
    )
    assert search.search("minecraft", language="en").observed == []
    assert [hit.port for hit in search.search("blockgame", language="en").observed] == [
        25565
    ]


def test_a_storys_known_uses_are_searched_in_every_language(client):
    story = make_story(31337, title="Elite port", title_de="Elite-Port")
    make_citation(story)
    make_faq(story)
    KnownUse.objects.create(
        story=story,
        kind=KnownUseKind.MALWARE,
        name="Back Orifice",
        description="A remote administration trojan of 1998",
        source_title="CERT advisory",
        source_url="https://example.org/cert",
    )
    actions.story_publish(story=story, by=None)
    for language in ("en", "de"):
        results = search.search("orifice trojan", language=language)
        assert [(hit.port, hit.language) for hit in results.stories] == [
            (31337, language)
        ]

"""
What readers see of nmap's and the services file's data: the port page's
panels, the most often open ports and the free-port finder (HTML and JSON),
cached and purged like the other pages.
"""

import datetime
import html as html_module
import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import KnownUse, Story
from ports.observed import importing
from ports.reader import free_ports
from tests.factories import make_assignment, make_story

pytestmark = pytest.mark.django_db

NMAP_HEADER = "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n"
NMAP = NMAP_HEADER + (
    "http\t80/tcp\t0.484143\t# World Wide Web HTTP\n"
    "http\t80/udp\t0.035767\n"
    "http\t80/sctp\t0.000000\n"
    "https\t443/tcp\t0.208669\n"
    "ipp\t631/udp\t0.450281\n"
    "netbus\t12345/tcp\t0.000527\t# NetBus backdoor trojan\n"
    "unknown\t12346/tcp\t0.000025\n"
)
SERVICES = "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\nitalk\t12345/tcp\n"
MODIFIED = datetime.datetime(2021, 3, 27, 12, tzinfo=datetime.UTC)


def load(nmap=NMAP, services=SERVICES):
    if nmap is not None:
        importing.import_observed("nmap", nmap.encode(), file_name="nmap-services")
    if services is not None:
        importing.import_observed(
            "services", services.encode(), file_name="services", modified=MODIFIED
        )


def text_of(html, css_class):
    """The words of the first <section class="…"> of the page, in one line."""
    match = re.search(rf'<section class="{css_class}".*?</section>', html, re.S)
    if match is None:
        return None
    words = re.sub(r"<[^>]+>", " ", match.group(0))
    return " ".join(html_module.unescape(words).split())


def page(path):
    response = Client().get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def publish_with_known_use(number, **use):
    story = make_story(number)
    KnownUse.objects.create(story=story, **use)
    return actions.story_publish(story=story, by=None)


# The port page ------------------------------------------------------------------


def test_port_page_says_how_often_each_transport_is_found_open_and_its_names():
    make_assignment("http", 80, transport="tcp", assignee="[Tim_Berners_Lee]")
    load()
    html = page("/ports/80/")
    assert text_of(html, "observed") == (
        "How often it is found open "
        "TCP Found open on 48.41% of the hosts nmap scanned; rank 1 among TCP ports. "
        "UDP Found open on 3.58% of the hosts nmap scanned; rank 2 among UDP ports. "
        "SCTP Listed by nmap, never found open. "
        "Source: nmap's open-frequency table (nmap-services) , Aug. 31, 2022 "
        "(revision 38442) "
        "Names operating systems use for it TCP http, www "
        "Source: the operating system's services file (/etc/services) , "
        "March 27, 2021"
    )
    assert '<a href="https://nmap.org/book/nmap-services.html"' in html
    assert '<time datetime="2022-08-31">' in html


def test_a_port_the_sources_do_not_list_says_so():
    load()
    assert text_of(page("/ports/40000/"), "observed") == (
        "How often it is found open nmap has never found it open. "
        "Source: nmap's open-frequency table (nmap-services) , Aug. 31, 2022 "
        "(revision 38442) "
        "Names operating systems use for it The services file does not name it. "
        "Source: the operating system's services file (/etc/services) , "
        "March 27, 2021"
    )
    # Rare is not rounded to nothing.
    assert "Found open on 0.0025% of the hosts nmap scanned; rank 4 among TCP" in (
        page("/ports/12346/")
    )


def test_before_any_import_the_page_has_no_observed_panel():
    make_assignment("http", 80, transport="tcp")
    html = page("/ports/80/")
    assert text_of(html, "observed") is None
    assert text_of(html, "claims").startswith("Who claims this port http Assigned")


def test_who_claims_the_port_labels_each_claim_with_its_source():
    make_assignment("italk", 12345, transport="tcp", assignee="[Takayuki_Ito]")
    make_assignment("italk", 12345, transport="udp", assignee="[Takayuki_Ito]")
    publish_with_known_use(
        12345,
        kind=KnownUseKind.MALWARE,
        name="NetBus",
        description="A remote administration trojan of 1998.",
        source_title="Trojan ports list",
        source_url="https://example.org/trojans",
    )
    load()
    html = page("/ports/12345/")
    # IANA's name is the services file's too: only nmap's differs.
    assert text_of(html, "claims") == (
        "Who claims this port "
        "italk Assigned by IANA TCP, UDP Takayuki_Ito Source: IANA's registry "
        "NetBus Malware report A remote administration trojan of 1998. "
        "Source: Trojan ports list "
        "netbus Name in nmap TCP "
        "Source: nmap's open-frequency table (nmap-services) , Aug. 31, 2022"
    )
    assert '<a href="#registry-heading">' in html
    assert 'class="claim claim-malware"' in html


def test_unnamed_nmap_ports_and_names_equal_to_ianas_are_not_claims():
    make_assignment("HTTP", 80, transport="tcp")
    load(services="web 80/udp\n")
    claims = text_of(page("/ports/80/"), "claims")
    assert "Name in nmap" not in claims  # http, in another case
    assert "web Name in the services file UDP" in claims
    assert text_of(page("/ports/12346/"), "claims") is None  # "unknown"


def test_the_panels_are_in_the_readers_language():
    load()
    html = page("/de/ports/80/")
    # German writes a decimal comma; digits stay 0-9 on every page.
    assert "48,41" in text_of(html, "observed")
    assert "48.41" in text_of(page("/ar/ports/80/"), "observed").replace(",", ".")


# The most often open ports ------------------------------------------------------


def test_top_open_lists_ports_by_rank_with_links():
    load()
    response = Client().get("/ports/top-open/")
    html = response.content.decode()
    assert response["Surrogate-Key"] == "site listings"
    rows = re.findall(r'<a href="/ports/(\d+)/">Port \1</a>', html)
    assert rows == ["80", "443", "12345", "12346"]
    assert "48.41% of hosts" in html and "Aug. 31, 2022" in html
    html = page("/ports/top-open/?transport=udp&top=1")
    assert re.findall(r'<a href="/ports/(\d+)/">Port \1</a>', html) == ["631"]
    assert "The most often open UDP ports" in html


def test_top_open_without_data_says_so():
    html = html_module.unescape(page("/ports/top-open/"))
    assert "No open TCP port is known yet: nmap's data has not been imported." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("top=0", "Ask for at least one port."),
        ("top=1001", "At most 1000 ports are listed."),
        ("top=many", "Enter a whole number."),
        ("transport=icmp", "Choose TCP, UDP, SCTP or DCCP."),
    ],
)
def test_top_open_refuses_bad_choices(query, message):
    response = Client().get(f"/ports/top-open/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


# The free-port finder ------------------------------------------------------------


@pytest.fixture
def range_40000():
    """Ports 40000–40010 with one reason each not to use 40000, 40002–40004, 40007."""
    make_assignment("taken", 40000, transport="tcp")
    make_assignment("udp-only", 40001, transport="udp")
    make_assignment("", 40002, transport="", description="Reserved")
    load(
        nmap=NMAP_HEADER
        + "busy\t40004/tcp\t0.010000\n"
        + "rare\t40005/tcp\t0.000050\n"
        + "never\t40006/tcp\t0.000000\n",
        services="local 40003/tcp\n",
    )
    publish_with_known_use(
        40007,
        kind=KnownUseKind.UNOFFICIAL,
        name="Game server",
        source_title="A forum",
        source_url="https://example.org/forum",
    )


def reason_codes(found):
    return {item["port"]: [r["code"] for r in item["reasons"]] for item in found}


def test_free_ports_are_those_nobody_is_known_to_use(range_40000):
    response = Client().get(
        "/tools/free-port/?low=40000&high=40010&transport=tcp&count=5&format=json"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Surrogate-Key"] == "site listings"
    data = response.json()
    common = ["iana", "services"]
    assert reason_codes(data["ports"]) == {
        40001: [*common, "nmap-never", "no-known-use"],
        40005: [*common, "nmap-rare", "no-known-use"],
        40006: [*common, "nmap-never", "no-known-use"],
        40008: [*common, "nmap-never", "no-known-use"],
        40009: [*common, "nmap-never", "no-known-use"],
    }
    assert data["ports"][1]["reasons"][2]["text"] == (
        "nmap found it open on only 0.0050% of hosts scanned."
    )
    assert {name: data[name] for name in ("low", "high", "transport", "count")} == {
        "low": 40000,
        "high": 40010,
        "transport": "tcp",
        "count": 5,
    }
    assert data["max_open_frequency"] == 0.0001
    assert data["next_low"] == 40010
    assert data["sources"] == {
        "nmap": {
            "date": "2022-08-31",
            "version": "38442",
            "url": "https://nmap.org/book/nmap-services.html",
        },
        "services": {
            "date": "2021-03-27",
            "version": "",
            "url": "https://manpages.debian.org/services.5",
        },
    }
    assert data["unchecked_sources"] == []


def test_free_ports_as_a_page_link_each_port_with_its_reasons(range_40000):
    html = page("/tools/free-port/?low=40000&high=40010&count=20")
    assert re.findall(r'<a href="/ports/(\d+)/">Port \1</a>', html) == [
        "40001",
        "40005",
        "40006",
        "40008",
        "40009",
        "40010",
    ]
    assert "6 free TCP ports from 40000 to 40010" in html
    assert "nmap has never found it open." in html
    assert 'href="/tools/free-port/?low=40000&amp;high=40010&amp;count=20' in html
    assert "format=json" in html
    # The form shows what was searched.
    assert 'name="low" value="40000"' in html and 'name="count" value="20"' in html


def test_the_threshold_of_almost_never_is_a_setting(range_40000):
    with override_settings(FREE_PORT_MAX_OPEN_PER_MILLION=0):
        data = Client().get("/tools/free-port/?low=40005&high=40006&format=json")
    assert [item["port"] for item in data.json()["ports"]] == [40006]


def test_free_ports_of_another_transport(range_40000):
    data = (
        Client()
        .get("/tools/free-port/?low=40000&high=40004&transport=udp&format=json")
        .json()
    )
    # 40000 is assigned for TCP only; 40001 for UDP; 40002 reserved for all.
    assert [item["port"] for item in data["ports"]] == [40000, 40003, 40004]


def test_defaults_are_the_registered_range_tcp_and_ten_ports():
    data = Client().get("/tools/free-port/?format=json").json()
    assert (data["low"], data["high"], data["transport"], data["count"]) == (
        1024,
        49151,
        "tcp",
        10,
    )
    assert [item["port"] for item in data["ports"]] == list(range(1024, 1034))
    # Nothing imported: nmap and the services file were not checked.
    assert data["unchecked_sources"] == ["nmap", "services"]
    assert reason_codes(data["ports"][:1]) == {1024: ["iana", "no-known-use"]}
    html = html_module.unescape(page("/tools/free-port/"))
    assert "Not checked: nmap's open-frequency table (nmap-services) has not" in html


def test_ports_of_the_dynamic_range_say_systems_use_them_as_ephemeral_ports():
    data = Client().get("/tools/free-port/?low=49150&high=49153&format=json").json()
    assert reason_codes(data["ports"]) == {
        49150: ["iana", "no-known-use"],
        49151: ["iana", "no-known-use"],
        49152: ["iana", "no-known-use", "dynamic"],
        49153: ["iana", "no-known-use", "dynamic"],
    }
    assert "ephemeral ports" in data["ports"][2]["reasons"][2]["text"]


REVERSED_RANGE = "The range's first port (2000) is above its last (1000)."


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("count=101", {"count": ["At most 100 ports can be asked for at once."]}),
        ("count=0", {"count": ["Ask for at least one port."]}),
        ("low=2000&high=1000", {"range": [REVERSED_RANGE]}),
        ("high=65536", {"high": ["Ports end at 65535."]}),
        ("low=0", {"low": ["Ports start at 1."]}),
        ("low=1e3", {"low": ["Enter a whole number."]}),
        ("transport=icmp", {"transport": ["Choose TCP, UDP, SCTP or DCCP."]}),
    ],
)
def test_bad_parameters_are_a_400_that_says_what_is_wrong(query, errors):
    response = Client().get(f"/tools/free-port/?{query}&format=json")
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    response = Client().get(f"/tools/free-port/?{query}")
    assert response.status_code == 400
    html = html_module.unescape(response.content.decode())
    assert [*errors.values()][0][0] in html
    assert "These choices are not valid." in html


def test_an_unknown_format_is_a_400():
    response = Client().get("/tools/free-port/?format=xml")
    assert response.status_code == 400
    assert "The format is html or json." in response.content.decode()


def test_the_finder_reads_its_first_window_in_four_queries(
    range_40000, django_assert_num_queries
):
    with django_assert_num_queries(4):
        found = free_ports.find_free_ports(
            low=1, high=65535, transport="tcp", count=100
        )
    assert len(found.candidates) == 100


def test_the_finder_reads_known_uses_without_reading_live_content(range_40000):
    with CaptureQueriesContext(connection) as queries:
        found = free_ports.find_free_ports(
            low=40000, high=40010, transport="tcp", count=20
        )
    assert 40007 not in [c.port for c in found.candidates]
    # Each live version's content is a large JSON document: the finder reads
    # the flag set when the version went live.
    assert not [q["sql"] for q in queries if "content" in q["sql"]]


def test_a_port_is_free_again_once_its_live_version_reports_no_known_use(
    range_40000,
):
    story = Story.objects.get(port_id=40007)
    KnownUse.objects.filter(story=story).delete()
    assert 40007 not in ports_found(40007, 40007)
    actions.story_publish(story=story, by=None)
    assert ports_found(40007, 40007) == [40007]
    actions.story_unpublish(story=story, by=None)
    assert ports_found(40007, 40007) == [40007]


def ports_found(low, high):
    found = free_ports.find_free_ports(low=low, high=high, transport="tcp", count=5)
    return [c.port for c in found.candidates]


def test_a_crowded_window_makes_the_finder_read_the_next_one(
    django_assert_num_queries,
):
    make_assignment("crowd", 1, free_ports.WINDOW + 10, transport="tcp")
    with django_assert_num_queries(7):
        found = free_ports.find_free_ports(low=1, high=65535, transport="tcp", count=3)
    first = free_ports.WINDOW + 11
    assert [c.port for c in found.candidates] == [first, first + 1, first + 2]
    assert found.next_low == first + 3


def test_the_finder_is_in_every_language():
    html = page("/ja/tools/free-port/")
    assert '<html lang="ja"' in html
    assert "/ja/ports/1024/" in html


# Caching ---------------------------------------------------------------------------


def is_cached(path):
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(path).status_code == 200
    return len(queries) == 0


def fill(*paths):
    for path in paths:
        Client().get(path)
        assert is_cached(path), path


def test_an_import_refreshes_the_ports_it_changed_and_the_listings():
    load()
    listings = [
        "/ports/top-open/",
        "/tools/free-port/",
        "/tools/free-port/?format=json",
    ]
    fill("/ports/80/", "/ports/443/", *listings)
    load(nmap=NMAP.replace("0.035767", "0.04"), services=None)
    assert not is_cached("/ports/80/")
    assert "Found open on 4.00% of the hosts" in page("/ports/80/")
    assert is_cached("/ports/443/")
    for path in listings:
        assert not is_cached(path), path


def test_a_newer_source_refreshes_every_port_page():
    load()
    fill("/ports/443/", "/ports/40000/")
    load(nmap=NMAP.replace("2022-08-31", "2023-01-02"), services=None)
    assert not is_cached("/ports/443/")
    assert not is_cached("/ports/40000/")
    assert "Jan. 2, 2023" in page("/ports/40000/")


def test_a_repeated_import_keeps_every_cached_page():
    load()
    fill("/ports/80/", "/ports/top-open/")
    load()
    assert is_cached("/ports/80/")
    assert is_cached("/ports/top-open/")

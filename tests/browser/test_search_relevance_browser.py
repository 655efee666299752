"""
A reader's everyday searches find the port meant (nmap's names and how often
it finds a port open count); editors' promotions and synonyms reach readers
once a reviewer approved them.
"""

import re

import pytest
from django.utils import timezone

from ports.models import PromotedPort, SearchPromotion
from ports.observed.importing import import_observed
from tests.browser.test_editorial_flow import PASSWORD, log_in
from tests.factories import make_assignment, make_user

NMAP = (
    "# $Id: nmap-services 38442 2022-08-31 22:53:46Z dmiller $\n"
    "smtp\t25/tcp\t0.131314\t# Simple Mail Transfer\n"
    "re-mail-ck\t50/tcp\t0.000276\t# Remote Mail Checking Protocol\n"
    "xns-mail\t58/tcp\t0.000138\t# XNS Mail\n"
    "domain\t53/udp\t0.213496\t# Domain Name Server\n"
    "ms-wbt-server\t3389/tcp\t0.083904\t"
    "# Microsoft Remote Display Protocol (aka ms-term-serv, microsoft-rdp)\n"
    "raven-rdp\t3533/tcp\t0.000076\t# Raven Remote Management Data\n"
)
REGISTRY = [
    ("smtp", 25, "Simple Mail Transfer"),
    ("re-mail-ck", 50, "Remote Mail Checking Protocol"),
    ("xns-mail", 58, "XNS Mail"),
    ("mailbox-lm", 505, "mailbox-lm"),
    ("domain", 53, "Domain Name Server"),
    ("ms-wbt-server", 3389, "MS WBT Server"),
    ("raven-rdp", 3533, "Raven Remote Management Data"),
    ("dnsix", 90, "DNSIX Securit Attribute Token Map"),
]


def world():
    for name, port, description in REGISTRY:
        for transport in ("tcp", "udp"):
            make_assignment(name, port, transport=transport, description=description)
    import_observed("nmap", NMAP.encode(), file_name="nmap-services")


def first_ports(page, count=3):
    """The ports of the first results, in the order the page lists them."""
    found = []
    for href in page.locator("main .hits a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    ):
        if match := re.fullmatch(r"/ports/(\d+)/", href):
            found.append(int(match[1]))
    return list(dict.fromkeys(found))[:count]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_everyday_searches_find_the_port_meant(page, live_server, screenshot):
    world()
    promotion = SearchPromotion.objects.create(
        query="remote desktop",
        note="Windows' Remote Desktop Protocol.",
        approved_at=timezone.now(),
    )
    PromotedPort.objects.create(promotion=promotion, port=3389)
    base = live_server.url

    page.goto(f"{base}/search/?q=rdp")
    assert 3389 in first_ports(page)
    hit = page.locator("main .hits li", has=page.locator('a[href="/ports/3389/"]'))
    assert "Name in nmap: ms-wbt-server" in hit.inner_text()
    screenshot(page, "1-rdp")

    page.goto(f"{base}/search/?q=mail")
    assert 25 in first_ports(page)
    screenshot(page, "2-mail")

    page.goto(f"{base}/search/?q=Remote+desktop")
    recommended = page.get_by_role("region", name="Recommended")
    assert "Windows' Remote Desktop Protocol." in recommended.inner_text()
    assert recommended.locator('a[href="/ports/3389/"]').count() == 1
    assert first_ports(page, 1) == [3389]
    screenshot(page, "3-promotion")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editors_synonym_reaches_readers_once_approved(
    browser, page, live_server, screenshot
):
    world()
    make_user("edna", role="Editor", password=PASSWORD)
    make_user("rita", role="Reviewer", password=PASSWORD)
    base = live_server.url
    reader = browser.new_context().new_page()
    reader.goto(f"{base}/search/?q=dns")
    assert 53 not in first_ports(reader)

    log_in(page, base, "edna")
    page.goto(f"{base}/admin/ports/searchsynonym/add/")
    assert page.locator("#id_approved").count() == 0
    page.fill("#id_term", "dns")
    page.fill("#id_expansion", "domain name")
    screenshot(page, "1-editor-adds-synonym")
    page.click("input[name=_save]")
    page.wait_for_url(f"{base}/admin/ports/searchsynonym/")

    reader = browser.new_context().new_page()
    reader.goto(f"{base}/search/?q=dns")
    assert 53 not in first_ports(reader)

    reviewer = browser.new_context().new_page()
    log_in(reviewer, base, "rita")
    reviewer.goto(f"{base}/admin/ports/searchsynonym/")
    reviewer.get_by_role("link", name="dns").click()
    reviewer.check("#id_approved")
    screenshot(reviewer, "2-reviewer-approves")
    reviewer.click("input[name=_save]")
    reviewer.wait_for_url(f"{base}/admin/ports/searchsynonym/")

    reader = browser.new_context().new_page()
    reader.goto(f"{base}/search/?q=dns")
    assert first_ports(reader, 1) == [53]
    screenshot(reader, "3-reader-finds-53")

"""
Readers in a real browser: how often a port is found open and who claims it,
the most often open ports, and the free-port finder's form, in English and
right to left, on a phone too, with axe-core's WCAG 2.1 AA checks.
"""

import json

import pytest

from ports.choices import KnownUseKind
from ports.editorial import actions
from ports.models import KnownUse
from tests.factories import make_assignment, make_story
from tests.test_observed_pages import load

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def prefix(language):
    return "" if language == "en" else f"/{language}"


def no_eastern_digits(text):
    return not any(
        "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9" for ch in text
    )


@pytest.fixture
def observed_world():
    make_assignment("italk", 12345, transport="tcp", assignee="[Takayuki_Ito]")
    make_assignment("http", 80, transport="tcp", assignee="[Tim_Berners_Lee]")
    make_assignment("taken", 40000, transport="tcp")
    story = make_story(12345, title="Port 12345: italk and NetBus")
    KnownUse.objects.create(
        story=story,
        kind=KnownUseKind.MALWARE,
        name="NetBus",
        description="A remote administration trojan of 1998.",
        source_title="Trojan ports list",
        source_url="https://example.org/trojans",
    )
    actions.story_publish(story=story, by=None)
    load()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_port_page_says_how_often_it_is_found_open_and_who_claims_it(
    page, live_server, screenshot, axe, observed_world, language
):
    page.goto(f"{live_server.url}{prefix(language)}/ports/12345/")
    observed = page.locator("section.observed")
    frequencies, names = observed.locator("ul.sightings").all()
    assert frequencies.locator("li").count() == 1
    assert "0.053" in frequencies.inner_text().replace(",", ".")
    assert names.inner_text().split() == ["TCP", "italk"]
    claims = page.locator("section.claims li")
    assert [item.locator("strong").inner_text() for item in claims.all()] == [
        "italk",
        "NetBus",
        "netbus",
    ]
    # The registry claim links to the registry facts above it.
    claims.first.get_by_role("link").click()
    assert page.evaluate("location.hash") == "#registry-heading"
    if language == "ar":
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert no_eastern_digits(page.inner_text("main"))
        # An English name reads left to right inside the right-to-left list.
        assert claims.first.locator("bdi").first.evaluate("b => b.matches(':dir(ltr)')")
    screenshot(page, f"port-{language}")
    assert axe(page) == []


def test_on_a_phone_the_panels_fit_the_screen(
    browser, live_server, screenshot, observed_world
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for path in ("/ports/80/", "/ar/ports/12345/", "/ja/tools/free-port/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        screenshot(page, "phone" + path.replace("/", "-"))
    context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_reader_finds_free_ports_with_the_form(
    page, live_server, screenshot, axe, observed_world, language
):
    page.goto(f"{live_server.url}{prefix(language)}/tools/free-port/")
    form = page.locator("form.free-port-form")
    # The defaults are shown: the registered range, TCP, ten ports.
    assert form.locator("input[name=low]").input_value() == "1024"
    assert form.locator("input[name=high]").input_value() == "49151"
    assert page.locator("ol.free-ports > li").count() == 10

    form.locator("input[name=low]").fill("40000")
    form.locator("input[name=high]").fill("40005")
    form.locator("select[name=transport]").select_option("tcp")
    form.locator("input[name=count]").fill("3")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/tools/free-port/?low=40000*")
    ports = page.locator("ol.free-ports > li > a")
    assert [link.get_attribute("href") for link in ports.all()] == [
        f"{prefix(language)}/ports/{number}/" for number in (40001, 40002, 40003)
    ]
    assert page.locator("ol.free-ports > li").first.locator(".reasons li").count() == 4
    if language == "ar":
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert no_eastern_digits(page.inner_text("main"))
    screenshot(page, f"free-ports-{language}")
    assert axe(page) == []

    # The same answer as JSON, from its link.
    page.locator("a[type='application/json']").click()
    page.wait_for_url("**format=json*")
    answer = json.loads(page.inner_text("body"))
    assert [item["port"] for item in answer["ports"]] == [40001, 40002, 40003]

    # A range the wrong way round is refused, saying why, beside the form.
    page.goto(f"{live_server.url}{prefix(language)}/tools/free-port/")
    form.locator("input[name=low]").fill("5000")
    form.locator("input[name=high]").fill("10")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**low=5000*")
    error = page.locator("#range-error")
    assert "5000" in error.inner_text() and "10" in error.inner_text()
    assert page.locator("ol.free-ports").count() == 0
    screenshot(page, f"free-ports-refused-{language}")
    assert axe(page) == []


def test_the_most_often_open_ports_link_to_their_pages(
    page, live_server, screenshot, axe, observed_world
):
    page.goto(f"{live_server.url}/")
    page.locator("footer").get_by_role("link", name="The most often open ports").click()
    page.wait_for_url("**/ports/top-open/")
    rows = page.locator("table.top-open tbody tr")
    assert rows.count() == 4
    assert rows.first.inner_text().split()[:3] == ["1", "Port", "80"]
    page.locator("select[name=transport]").select_option("udp")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**transport=udp*")
    rows.first.get_by_role("link").click()
    page.wait_for_url("**/ports/631/")
    screenshot(page, "top-open")
    page.goto(f"{live_server.url}/ar/ports/top-open/")
    assert axe(page) == []

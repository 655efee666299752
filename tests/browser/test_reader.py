"""
A reader in a real browser: home page → search 1381 → port page → footnote
→ source → back; copy buttons with and without JavaScript; no layout shift.
SCREENSHOTS=1 keeps PNGs (desktop and a 390-pixel phone) in test-artifacts/.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEARCH_LABEL = (
    "Search for a port number, a range such as 6000-6010, a service name or words"
)
PHONE = {"width": 390, "height": 844}

# Sums the layout shifts the page has had (Chromium's Layout Instability API).
LAYOUT_SHIFT = """
() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) total += entry.value;
    }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 300);
})
"""


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)


def test_reader_searches_a_port_and_follows_a_footnote_and_back(
    page, live_server, screenshot, demo
):
    page.goto(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("The story of every network port")
    screenshot(page, "1-home")

    page.get_by_role("searchbox", name=SEARCH_LABEL, exact=True).fill("1381")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ports/1381/")
    expect(page.locator("h1")).to_have_text("Port 1381: Apple Network License Manager")
    expect(page.locator("#registry-heading")).to_be_visible()
    screenshot(page, "2-port-1381")

    marker = page.locator("#cite-2-1 a")
    expect(marker).to_have_text("[2]")
    marker.click()
    page.wait_for_url(re.compile(r"#source-2$"))
    source = page.locator("#source-2")
    expect(source).to_be_in_viewport()
    expect(source).to_contain_text("Apple Network Server")
    screenshot(page, "3-source")

    source.locator("a.backref").first.click()
    page.wait_for_url(re.compile(r"#cite-2-1$"))
    expect(page.locator("#cite-2-1")).to_be_in_viewport()


def test_port_page_on_a_phone(browser, live_server, screenshot, demo):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{live_server.url}/ports/373/")
    # Nothing is wider than the screen: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, "phone-port-373")
    page.goto(f"{live_server.url}/ports/6000-6010/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-range")
    context.close()


def test_copy_buttons_copy_and_do_not_shift_the_layout(browser, live_server, demo):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{live_server.url}/ports/6001/")
    buttons = page.locator(".commands .copy-button")
    expect(buttons).to_have_count(6)
    assert page.evaluate(LAYOUT_SHIFT) < 0.01
    buttons.first.click()
    expect(buttons.first).to_have_text("Copied")
    assert (
        page.evaluate("navigator.clipboard.readText()") == "ss -ltnup 'sport = :6001'"
    )
    context.close()


def test_without_javascript_commands_are_plain_text_and_search_works(
    browser, live_server, demo
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/ports/6001/")
    expect(page.locator(".copy-button")).to_have_count(0)
    expect(page.locator(".command code").first).to_have_text(
        "ss -ltnup 'sport = :6001'"
    )
    # The feedback form posts and thanks without any script.
    page.get_by_role("button", name="Yes").click()
    page.wait_for_url(re.compile(r"/ports/6001/\?thanks=1#feedback$"))
    expect(page.locator("#feedback [role=status]")).to_have_text(
        "Thank you for your feedback."
    )
    page.goto(f"{live_server.url}/")
    page.get_by_role("searchbox", name=SEARCH_LABEL, exact=True).fill("6000-6010")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/ports/6000-6010/")
    context.close()

"""
The site in other languages in a real browser: right-to-left pages mirror,
the switcher keeps the port, and the admin shows translations as tabs.
SCREENSHOTS=1 keeps a PNG of each page in test-artifacts/.
"""

import pytest
from django.core.management import call_command

from tests.factories import make_user

PASSWORD = "browser-test-password-1"


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", verbosity=0)


def box(page, selector):
    return page.locator(selector).first.bounding_box()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("code", ["ar", "fa", "ps"])
def test_right_to_left_pages_mirror(page, live_server, demo, screenshot, code):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/{code}/ports/1544/")
    assert page.get_attribute("html", "dir") == "rtl"
    width = page.viewport_size["width"]
    # The brand starts the header on the right; the search box sits on the left.
    brand, search = box(page, ".brand"), box(page, ".header-search")
    assert brand["x"] > width / 2 > search["x"]
    # Headings and text start at the right edge of the column.
    heading = box(page, "h1")
    main = box(page, "main")
    assert abs((heading["x"] + heading["width"]) - (main["x"] + main["width"])) < 40
    # Shell commands still read left to right.
    assert (
        page.locator(".command pre").first.evaluate(
            "el => getComputedStyle(el).direction"
        )
        == "ltr"
    )
    screenshot(page, code)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_left_to_right_page_keeps_the_brand_on_the_left(page, live_server, demo):
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{live_server.url}/ja/ports/1381/")
    assert box(page, ".brand")["x"] < 600 < box(page, ".header-search")["x"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_switcher_keeps_the_reader_on_the_port(page, live_server, demo, screenshot):
    page.goto(f"{live_server.url}/ports/1381/")
    page.click(".language-switcher summary")
    screenshot(page, "switcher-open")
    page.click('.language-switcher a[hreflang="ja"]')
    page.wait_for_url(f"{live_server.url}/ja/ports/1381/")
    assert page.get_attribute("html", "lang") == "ja"
    assert "このページは役に立ちましたか？" in page.inner_text("#feedback")
    screenshot(page, "japanese")
    page.click(".language-switcher summary")
    page.click('.language-switcher a[hreflang="ps"]')
    page.wait_for_url(f"{live_server.url}/ps/ports/1381/")
    assert page.get_attribute("html", "dir") == "rtl"
    screenshot(page, "pashto")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_shows_translations_one_language_at_a_time(
    page, live_server, demo, screenshot
):
    make_user("edna", role="Editor", password=PASSWORD)
    make_user("root", password=PASSWORD, is_superuser=True)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    from ports.models import FeedbackPrompt, Story

    story = Story.objects.get(port=373)
    page.goto(f"{base}/admin/ports/story/{story.pk}/change/")
    # One switch for the whole form: title, summary, body, then the FAQs'
    # questions and answers and the related ports' notes, in one language.
    switch = page.get_by_label("Language being edited")
    assert switch.locator("option").count() == 14
    shown = "fs => fs.filter(f => f.offsetParent !== null).length"
    faqs, related = story.faqs.count(), story.related_ports.count()
    assert page.eval_on_selector_all("[data-language]", shown) == (
        3 + 2 * faqs + related
    )
    assert page.locator("#id_title_en").is_visible()
    assert page.locator("#id_title_ja").is_hidden()
    switch.select_option("ja")
    assert page.locator("#id_title_ja").is_visible()
    assert page.locator("#id_title_en").is_hidden()
    screenshot(page, "story-languages")
    page.goto(
        f"{base}/admin/ports/feedbackprompt/{FeedbackPrompt.objects.get().pk}/change/"
    )
    assert page.eval_on_selector_all("[data-language]", shown) == 5
    screenshot(page, "prompt-languages")
    page.goto(f"{base}/admin/translations/")
    screenshot(page, "completeness")
    page.goto(f"{base}/admin/ports/feedbackvote/report/")
    screenshot(page, "report")
    assert errors == []

"""
Readers in every language, in a real browser: search in their words, the
freshness of a translation, right-to-left pages, phones, and axe-core's
WCAG 2.1 AA checks of the reader pages.
"""

import pytest
from django.core.management import call_command

from ports.editorial import actions
from ports.languages import ascii_digits
from tests.test_search_languages import LANGUAGES, STORY, publish_translated_story

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def prefix(language):
    return "" if language == "en" else f"/{language}"


@pytest.mark.parametrize("language", ["de", "ja", "ar", "ru"])
def test_a_reader_searches_in_their_language(page, live_server, screenshot, language):
    publish_translated_story()
    page.goto(f"{live_server.url}{prefix(language)}/")
    word = LANGUAGES[language]["words"][0]
    search = page.locator("header form[role=search] input[type=search]")
    search.fill(word)
    search.press("Enter")
    page.wait_for_url("**/search/?q=*")
    hit = page.locator("#stories-heading + ol li").first
    link = hit.get_by_role("link").first
    assert link.get_attribute("href") == f"{prefix(language)}/ports/{STORY['port']}/"
    assert link.inner_text() == ascii_digits(LANGUAGES[language]["title"])
    assert hit.locator(".snippet mark").count() >= 1
    assert hit.locator(".snippet").get_attribute("lang") == language
    screenshot(page, f"search-{language}")


def test_a_reader_is_told_the_translation_is_older_and_reaches_the_english(
    page, live_server, screenshot
):
    story = publish_translated_story()
    story.body_en = story.body_en + "\n\nA paragraph added later."
    story.save()
    actions.story_publish(story=story, by=None)

    page.goto(f"{live_server.url}/ja/ports/{STORY['port']}/")
    note = page.locator(".outdated-note")
    assert "その後、英語版が更新されています。" in note.inner_text()
    screenshot(page, "outdated-translation")
    note.get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/ports/{STORY['port']}/")
    assert "A paragraph added later." in page.inner_text(".story-body")
    assert page.locator(".outdated-note").count() == 0


@pytest.mark.parametrize("language", ["ar", "fa", "ps"])
def test_right_to_left_pages_keep_english_and_numbers_in_order(
    page, live_server, screenshot, language
):
    call_command("load_demo", verbosity=0)
    page.goto(f"{live_server.url}/{language}/ports/373/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    # An English heading in the contents reads left to right, its "?" last.
    entry = page.locator("nav.toc a", has_text="Who was right?")
    assert entry.evaluate("a => a.matches(':dir(ltr)')")
    # The range reads 0–1023, not 1023–0, and numbers are 0–9 throughout.
    bounds = page.locator(".range-bounds bdi")
    assert bounds.inner_text() == "0–1023"
    assert bounds.evaluate("b => b.matches(':dir(ltr)')")
    main = page.inner_text("main")
    assert not any(
        "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9" for ch in main
    )
    assert "373" in page.inner_text("h1")
    screenshot(page, f"rtl-{language}")


def test_on_a_phone_commands_read_in_full_and_menus_fit(
    browser, live_server, screenshot
):
    call_command("load_demo", verbosity=0)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for path in ("/ports/373/", "/ar/ports/373/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(".copy-button")
        for box in page.locator(".command").all():
            code = box.locator("pre")
            button = box.locator(".copy-button").bounding_box()
            text = code.bounding_box()
            # Nothing of the command is cut off or scrolled out of sight...
            assert code.evaluate("pre => pre.scrollWidth <= pre.clientWidth")
            # ...or lies under the copy button.
            assert text["y"] >= button["y"] + button["height"] or (
                text["x"] + text["width"] <= button["x"]
                or button["x"] + button["width"] <= text["x"]
            )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator(".language-switcher summary").click()
        menu = page.locator(".language-switcher ul").bounding_box()
        assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
        screenshot(page, "phone" + path.replace("/", "-"))
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/ports/373/",
        "/ja/ports/373/",
        "/ar/ports/373/",
        "/ports/6000-6063/",
        "/search/?q=license",
        "/ja/search/?q=Apple",
    ],
)
def test_reader_pages_have_no_serious_accessibility_violations(
    page, live_server, axe, path
):
    call_command("load_demo", verbosity=0)
    page.goto(f"{live_server.url}{path}")
    assert axe(page) == []


def test_the_search_landmarks_of_a_page_have_names_of_their_own(page, live_server):
    page.goto(f"{live_server.url}/ja/search/?q=Apple")
    names = page.locator("[role=search]").evaluate_all(
        "forms => forms.map(f => document.getElementById("
        "f.getAttribute('aria-labelledby')).textContent.trim())"
    )
    assert len(names) == 2 and len(set(names)) == 2 and all(names)

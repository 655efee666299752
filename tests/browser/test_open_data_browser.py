"""
The API's documentation page and a story's version and citation, in a real
browser under the site's Content Security Policy.
"""

import pytest

from tests.browser.test_csp import watch
from tests.factories import make_assignment, make_published_story


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_documentation_works_under_the_policy(page, live_server, screenshot):
    make_assignment("printer", 373)
    make_published_story(373, title="The printer port")
    problems = watch(page)
    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI, from the site's static files, drew the operations it read
    # from the schema.
    operation = page.locator(".opblock-summary", has_text="/api/v1/ports/{number}")
    operation.wait_for()
    operation.click()
    page.click("text=Try it out")
    page.fill("input[placeholder='number']", "373")
    page.click("text=Execute")
    page.locator(".response .microlight", has_text="The printer port").first.wait_for()
    screenshot(page, "api-docs")
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_citation_is_dated_today_and_copied(page, live_server, screenshot):
    make_published_story(373, title="The printer port")
    problems = watch(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/ports/373/v/1/")
    assert "This is the current version." in page.inner_text(".version-banner")
    today = page.evaluate(
        "() => { const d = new Date(); return d.getFullYear() + '-' + "
        "String(d.getMonth() + 1).padStart(2, '0') + '-' + "
        "String(d.getDate()).padStart(2, '0'); }"
    )
    bibtex = page.locator(".citation-format", has_text="BibTeX")
    assert f"urldate = {{{today}}}" in bibtex.inner_text()
    bibtex.locator("button").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("@misc{portwiki-port-373-v1,")
    assert "/ports/373/v/1/}" in copied
    page.locator(".cite").scroll_into_view_if_needed()
    screenshot(page, "cite")
    assert problems == []

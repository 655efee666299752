"""
Every first page a browser loads asks for nothing the site does not have,
its icon included (headless Chromium does not ask for icons by itself, so
the test asks for the one a browser would: the page's link, else
/favicon.ico).
"""

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ICON = """() => {
  const link = document.querySelector("link[rel~=icon]");
  return link ? link.href : new URL("/favicon.ico", location.href).href;
}"""


@pytest.mark.parametrize("path", ["/", "/ports/80/", "/ar/ports/80/", "/admin/login/"])
def test_a_first_visit_loads_without_a_404(live_server, browser, path):
    context = browser.new_context()
    page = context.new_page()
    missing = []
    page.on(
        "response",
        lambda response: response.status == 404 and missing.append(response.url),
    )
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    icon = page.request.get(page.evaluate(ICON))
    context.close()
    assert missing == []
    assert icon.status == 200, icon.url
    assert icon.headers["content-type"] == "image/svg+xml"

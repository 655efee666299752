"""Every first page a browser loads asks for nothing the site does not have."""

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


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
    context.close()
    assert missing == []

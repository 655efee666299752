import pytest
from django.core.management import call_command

from ports.editorial import actions
from tests.factories import make_citation, make_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def test_port_page_renders_the_demo_story_with_citations_and_faqs(client, demo):
    response = client.get("/ports/373/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<h1 lang="en">Port 373: legent-1, a registry entry that outlived its company'
        "</h1>" in html
    )
    assert 'id="source-1"' in html and 'id="source-8"' in html
    assert 'href="#source-2"' in html
    assert "Who owns port 373?" in html
    assert "AppleTalk Session Protocol (ASP)" in html
    assert 'href="/ports/548/"' in html
    assert "legent-1" in html


def test_range_assignment_shows_on_every_port_it_covers(client, demo):
    for number in (6000, 6001, 6063):
        html = client.get(f"/ports/{number}/").content.decode()
        assert "X Window System" in html and "6000-6063" in html
    assert "X Window System" not in client.get("/ports/6064/").content.decode()


@pytest.mark.parametrize(
    "path", ["/ports/65536/", "/ports/70000/", "/ports/abc/", "/ports/-1/"]
)
def test_numbers_outside_the_port_range_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("number", [0, 1023, 60000, 65535])
def test_every_port_number_has_a_page(client, number):
    response = client.get(f"/ports/{number}/")
    assert response.status_code == 200
    assert f"Port {number}" in response.content.decode()


def test_html_in_a_story_body_is_neutralised(client):
    story = make_story(
        4000,
        body=(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
            "[click](javascript:alert(3)) "
            '<a href="https://ok.example" onclick="x()">ok</a>'
        ),
    )
    make_citation(story)
    actions.story_publish(story=story, by=None)
    html = client.get("/ports/4000/").content.decode()
    body = html.split('class="story-body"')[1].split("</section>")[0]
    assert "<script" not in body
    assert "onerror" not in body and "onclick" not in body
    assert "javascript:" not in body
    assert 'href="https://ok.example"' in body


def test_draft_story_is_not_shown_until_published(client):
    make_story(4001, title="Secret draft")
    assert "Secret draft" not in client.get("/ports/4001/").content.decode()

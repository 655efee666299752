import pytest

from ports.editorial.workflow import story_problems
from tests.factories import make_citation, make_story

pytestmark = pytest.mark.django_db


def test_a_complete_story_has_no_problems():
    story = make_story(9200, body="One.[^1] Two.[^2]")
    make_citation(story, 1)
    make_citation(story, 2, url="")  # a printed source needs no link
    assert story_problems(story) == []


def test_every_marker_needs_a_citation_in_every_language():
    story = make_story(9201, body="One.[^1]")
    story.body_de = "Eins.[^1] Zwei.[^3]"
    story.save()
    make_citation(story, 1)
    assert story_problems(story) == [
        "The German body cites [^3] but there is no citation 3."
    ]


def test_every_citation_must_be_cited():
    story = make_story(9202, body="One.[^1]")
    make_citation(story, 1)
    make_citation(story, 2, title="Orphan")
    assert story_problems(story) == [
        "Citation 2 (Orphan) is not cited in the English body: add [^2] where it "
        "supports the text, or remove it."
    ]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.org/x", "http://", "example.org/page"],
)
def test_citation_links_must_be_http_or_https(url):
    story = make_story(9203, body="One.[^1]")
    make_citation(story, 1, url=url)
    assert story_problems(story) == [
        f"Citation 1's URL is not a valid http:// or https:// address: {url}"
    ]


def test_english_title_summary_and_body_are_required():
    story = make_story(9204, body="", summary="   ")
    story.title_en = ""
    story.title_de = "Nur Deutsch"
    story.save()
    assert story_problems(story) == [
        "The English title is empty.",
        "The English summary is empty.",
        "The English body is empty.",
    ]

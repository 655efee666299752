"""
What sanitizing takes out of a story body is told to the editor: on saving
in the admin, and in the preview.
"""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from ports.editorial.markdown import render_markdown
from ports.editorial.markup_check import removed_markup
from ports.models import Story

from .factories import make_story, make_user
from .test_admin_stories import add_story_data

BODY = (
    "Text <script>alert(1)</script> and ![logo](http://example.org/logo.png), "
    '[a trick](javascript:alert(1)), <span onclick="x()">span</span>, '
    '<a href="https://example.org" onclick="y()">a link</a> <!-- a note -->'
)


def test_each_thing_removed_is_named_with_its_reason():
    assert removed_markup(BODY) == [
        "<script> was removed with its content: scripts, styles, frames and "
        "forms never reach readers.",
        "The image “http://example.org/logo.png” was removed: stories show no images.",
        "The link to “javascript:alert(1)” was removed: only http(s) and mailto "
        "links are allowed.",
        "The HTML tag <span> was removed (its text is kept): write the formatting "
        "in Markdown.",
        "The attribute onclick on <a> was removed.",
        "An HTML comment was removed: comments are not published.",
    ]
    html, _toc = render_markdown(BODY)
    assert "<script" not in html and "<img" not in html and "javascript" not in html
    assert "onclick" not in html and "<span" not in html and "a note" not in html


def test_markdown_of_its_own_loses_nothing():
    body = (
        "## Heading\n\nA [link](https://example.org) and [mail](mailto:a@b.example)"
        " and a source.[^1]\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        "```python\nx = 1\n```\n\n> quoted *text* and `code`\n"
    )
    assert removed_markup(body) == []
    html, _toc = render_markdown(body)
    # Column alignment survives sanitizing too.
    assert '<td align="right">2</td>' in html


@pytest.mark.django_db
def test_saving_in_the_admin_says_what_readers_will_not_get(client):
    client.force_login(make_user("edna", role="Editor"))
    data = add_story_data(4243, body_en="Fine text.[^1] <script>x()</script>")
    response = client.post(reverse("admin:ports_story_add"), data, follow=True)
    assert Story.objects.filter(port_id=4243).exists()
    warnings = [str(m) for m in get_messages(response.wsgi_request)]
    page = response.content.decode()
    expected = (
        "Body (English): &lt;script&gt; was removed with its content: scripts, "
        "styles, frames and forms never reach readers."
    )
    assert expected in page, warnings


@pytest.mark.django_db
def test_the_preview_lists_what_readers_will_not_get(client):
    story = make_story(4244, body=f"Words.[^1] {BODY}")
    client.force_login(make_user("edna", role="Editor"))
    page = client.get(reverse("ports:story-preview", args=[story.pk])).content
    removed = re.search(r'<ul class="preview-removed"[^>]*>(.*?)</ul>', page.decode())
    listed = re.findall(r"<li>(.*?)</li>", removed[1])
    assert len(listed) == 6
    assert listed[0].startswith("&lt;script&gt; was removed")
    clean = make_story(4245)
    page = client.get(reverse("ports:story-preview", args=[clean.pk])).content
    assert b"preview-removed" not in page


@pytest.mark.django_db
def test_a_title_over_its_limit_is_refused_with_a_message_not_cut(client):
    client.force_login(make_user("edna", role="Editor"))
    form = client.get(reverse("admin:ports_story_add")).content.decode()
    title_input = re.search(r'<input[^>]*name="title_en"[^>]*>', form)[0]
    assert 'data-max-length="200"' in title_input
    assert "maxlength" not in title_input
    assert "js/length-counter.js" in form
    assert "js/language-switch.js" in form  # the language switch kept
    data = add_story_data(4246, title_en="x" * 250)
    page = client.post(reverse("admin:ports_story_add"), data).content.decode()
    assert "Ensure this value has at most 200 characters (it has 250)." in page
    assert not Story.objects.filter(port_id=4246).exists()


@pytest.mark.django_db
def test_a_refused_citation_address_says_which_addresses_are_allowed(client):
    client.force_login(make_user("edna", role="Editor"))
    data = add_story_data(4247, **{"citations-0-url": "javascript:alert(1)"})
    page = client.post(reverse("admin:ports_story_add"), data).content.decode()
    assert "Only http:// and https:// addresses are allowed" in page
    assert not Story.objects.filter(port_id=4247).exists()

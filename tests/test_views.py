"""The reader site's pages: what each shows, and how it answers bad input."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ports.choices import AssignmentStatus
from ports.editorial import actions
from ports.models import FeedbackVote, Story
from tests.factories import (
    make_assignment,
    make_citation,
    make_published_story,
    make_story,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


class Outline(HTMLParser):
    """Headings, landmarks, labels and scripts of a page, for structure checks."""

    def __init__(self):
        super().__init__()
        self.headings = []
        self.tags = []
        self.ids = []
        self.labels_for = []
        self.inputs = []
        self.buttons = []
        self.scripts = []
        self._heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]
        if tag == "label" and "for" in attrs:
            self.labels_for.append(attrs["for"])
        if tag in ("input", "select") and attrs.get("type") != "hidden":
            self.inputs.append(attrs)
        if tag == "button":
            self.buttons.append(attrs)
        if tag == "script":
            self.scripts.append(attrs)

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data

    def handle_endtag(self, tag):
        if self._heading is not None and re.fullmatch(r"h[1-6]", tag):
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None


def outline(html):
    parser = Outline()
    parser.feed(html)
    return parser


def main_text(html):
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def assert_accessible_structure(html):
    page = outline(html)
    levels = [level for level, _text in page.headings]
    assert levels.count(1) == 1, page.headings
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level skips: {page.headings}"
    tags = [tag for tag, _attrs in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in tags
    assert page.tags[0][0] == "html" and page.tags[0][1].get("lang")
    skip = [attrs for tag, attrs in page.tags if attrs.get("class") == "skip-link"]
    assert skip and skip[0]["href"] == "#main"
    for field in page.inputs:
        assert field.get("id") in page.labels_for, f"unlabelled field {field}"
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    # No inline scripts: only external files and JSON-LD data.
    for script in page.scripts:
        assert script.get("src") or script.get("type") == "application/ld+json"


# The port page ------------------------------------------------------------------


def test_story_port_page_shows_facts_then_story_sources_and_more(client, demo):
    html = client.get("/ports/373/").content.decode()
    text = main_text(html)
    title = "Port 373: legent-1, a registry entry that outlived its company"
    assert f'<h1 lang="en">{title}</h1>' in html
    assert "System (well-known)" in text and "range 0–1023" in text
    assert "TCP" in text and "UDP" in text
    # Registry facts: one entry for TCP and UDP, before the story.
    assert text.count("Legent Corporation") >= 1
    assert html.index('id="registry-heading"') < html.index('class="story-body"')
    facts = html.split('id="registry-heading"')[1].split("</section>")[0]
    assert facts.count('class="fact') == 1
    assert "TCP, UDP" in facts
    # Table of contents from the body's headings.
    toc = html.split('class="toc"')[1].split("</nav>")[0]
    assert 'href="#the-official-assignment"' in toc
    assert 'id="the-official-assignment"' in html
    # Footnote markers link to numbered sources, and sources link back.
    assert 'href="#source-2"' in html and 'id="source-2"' in html
    assert 'id="cite-2-1"' in html and 'href="#cite-2-1"' in html
    # Other known uses with their sources, related ports with notes, FAQs.
    uses = html.split('id="known-uses-heading"')[1].split("</section>")[0]
    assert "AppleTalk Session Protocol (ASP)" in uses and "Malware report" in uses
    assert 'href="https://www.speedguide.net/port.php?port=373"' in uses
    related = html.split('id="related-heading"')[1].split("</section>")[0]
    assert 'href="/ports/548/"' in related and "afpovertcp" in related
    assert "Apple Filing Protocol over TCP" in related
    faqs = html.split('id="faq-heading"')[1].split("</section>")[0]
    assert '<h3 lang="en">Who owns port 373?</h3>' in faqs
    assert "Last reviewed" in text
    # Always: the commands and the feedback prompt.
    assert "<code>ss -ltnup &#39;sport = :373&#39;</code>" in html  # escaped
    assert "Was this page helpful?" in html
    assert_accessible_structure(html)


def test_story_content_keeps_its_language(client, demo):
    html = client.get("/ja/ports/1381/").content.decode()
    assert '<html lang="ja"' in html
    # The title is translated; the body is not, so it is shown in English
    # and marked as such.
    assert '<h1 lang="ja">ポート1381: Apple Network License Manager</h1>' in html
    assert 'class="story-body" lang="en"' in html
    # The prompt is translated into Japanese in the demo content.
    assert 'lang="ja">このページは役に立ちましたか？</h2>' in html


def test_range_covered_port_shows_the_range_assignment(client, demo):
    html = client.get("/ports/6001/").content.decode()
    text = main_text(html)
    assert "<h1" in html and "Port 6001: x11" in html
    assert "User (registered)" in text and "range 1024–49151" in text
    facts = html.split('id="registry-heading"')[1].split("</section>")[0]
    assert 'href="/ports/6000-6063/"' in facts
    assert "6000–6063" in facts and "a range that includes 6001" in facts
    assert "X Window System" in facts and "TCP, UDP" in facts
    assert 'class="handle"' in facts and "Stephen_Gildea" in facts
    assert "Known Unauthorized Use on port 6003" in facts
    assert 'href="/services/x11/"' in facts
    # No story: no story sections, but neighbours and commands.
    assert 'class="story-body"' not in html and "Sources" not in text
    nearby = html.split('id="nearby-heading"')[1].split("</section>")[0]
    assert "hpvirtgrp" in nearby and 'href="/ports/5223/"' in nearby
    assert "sudo lsof -nP -iTCP:6001 -sTCP:LISTEN" in html
    assert "Get-NetUDPEndpoint -LocalPort 6001" in html
    assert_accessible_structure(html)


@pytest.mark.parametrize("number", [1023, 60000])
def test_unassigned_port_gets_a_useful_page(client, demo, number):
    response = client.get(f"/ports/{number}/")
    assert response.status_code == 200
    html = response.content.decode()
    text = main_text(html)
    assert f"Port {number}" in text
    assert "IANA's registry has no entry for this port." in text
    assert f"netstat -ano | findstr :{number}" in html
    assert f"Get-NetTCPConnection -LocalPort {number}" in html
    assert "Was this page helpful?" in html
    assert_accessible_structure(html)


def test_unassigned_port_lists_its_registered_neighbours_in_the_same_range(
    client, demo
):
    html = client.get("/ports/1023/").content.decode()
    nearby = html.split('id="nearby-heading"')[1].split("</section>")[0]
    # Below 1023 in the system range: 373 and 548; 1381 is in the user range.
    assert 'href="/ports/548/"' in nearby and 'href="/ports/373/"' in nearby
    assert "/ports/1381/" not in nearby
    assert nearby.index("/ports/373/") < nearby.index("/ports/548/")
    dynamic = client.get("/ports/60000/").content.decode()
    assert 'id="nearby-heading"' not in dynamic
    assert "never assigned" in dynamic


def test_last_port_has_a_page_and_the_next_number_does_not(client):
    html = client.get("/ports/65535/").content.decode()
    assert "Port 65535" in html and "Dynamic (private)" in html
    assert "range 49152–65535" in main_text(html)
    assert client.get("/ports/65536/").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/ports/65536/", "/ports/99999/", "/ports/abc/", "/ports/-1/", "/ports/1.5/"],
)
def test_other_numbers_and_words_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_zero_padded_numbers_redirect_to_the_canonical_page(client):
    response = client.get("/ports/0080/")
    assert response.status_code == 301
    assert response["Location"] == "/ports/80/"


def test_withdrawn_assignment_is_marked_with_its_date(client):
    when = timezone.now() - timedelta(days=3)
    make_assignment(
        "oldsvc", 4242, status=AssignmentStatus.WITHDRAWN, withdrawn_at=when
    )
    make_assignment("newsvc", 4242)
    html = client.get("/ports/4242/").content.decode()
    facts = html.split('id="registry-heading"')[1].split("</section>")[0]
    assert facts.index("newsvc") < facts.index("oldsvc")
    withdrawn = facts.split('class="fact withdrawn"')[1]
    assert "Withdrawn from the registry on" in withdrawn
    assert f'datetime="{when.isoformat()}"'[:30] in withdrawn


def test_references_link_to_rfcs_and_handles_are_marked(client):
    make_assignment(
        "thing",
        4243,
        assignee="[IESG]",
        contact="[IETF_Chair]",
        reference="[RFC6335][RFC9110]",
    )
    html = client.get("/ports/4243/").content.decode()
    assert (
        '<a href="https://www.rfc-editor.org/rfc/rfc6335" '
        'rel="noopener noreferrer">RFC 6335</a>'
    ) in html
    assert (
        '<a href="https://www.rfc-editor.org/rfc/rfc9110" '
        'rel="noopener noreferrer">RFC 9110</a>'
    ) in html
    assert '<span class="handle" title="IANA contact handle">IETF_Chair</span>' in html


def test_registry_text_is_escaped(client):
    make_assignment("x", 4244, description='<script>alert(1)</script> & "q"')
    html = client.get("/ports/4244/").content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html


def test_copy_buttons_are_not_in_the_html(client):
    """Without JavaScript no button appears: the script adds them."""
    html = client.get("/ports/22/").content.decode()
    commands = html.split('class="commands"')[1].split("</section>")[0]
    assert "<button" not in commands
    assert commands.count("data-copy>") == 6
    assert 'src="/static/js/copy.js"' in html


def test_draft_and_expired_stories_are_not_shown(client):
    make_story(4001, title="Secret draft")
    assert "Secret draft" not in client.get("/ports/4001/").content.decode()
    story = make_published_story(4002, title="Was live")
    Story.objects.filter(pk=story.pk).update(
        go_live_at=timezone.now() - timedelta(2),
        expire_at=timezone.now() - timedelta(1),
    )
    assert "Was live" not in client.get("/ports/4002/").content.decode()


def test_working_copy_changes_stay_hidden_until_published(client):
    story = make_published_story(4003, title="Published title")
    story.title = "Draft title"
    story.save()
    html = client.get("/ports/4003/").content.decode()
    assert "Published title" in html and "Draft title" not in html


def test_citation_cited_twice_links_back_to_both_markers(client):
    story = make_story(4004, body="One.[^1] Two.[^1] Three.[^2]")
    make_citation(story, 1)
    make_citation(story, 2)
    actions.story_publish(story=story, by=None)
    html = client.get("/ports/4004/").content.decode()
    source = html.split('id="source-1"')[1].split("</li>")[0]
    assert 'href="#cite-1-1"' in source and 'href="#cite-1-2"' in source


# Feedback ---------------------------------------------------------------------

# Answers without a browser's User-Agent are taken for bots (ports.reader.feedback).
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


def test_feedback_is_recorded_and_thanked(client, demo):
    response = client.post("/ports/1381/feedback/", {"helpful": "yes"}, **BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/ports/1381/?thanks=1#feedback"
    vote = FeedbackVote.objects.get()
    assert (vote.port_id, vote.helpful, vote.language) == (1381, True, "en")
    assert vote.story == Story.objects.get(port=1381)
    html = client.get(response["Location"]).content.decode()
    feedback = html.split('id="feedback"')[1]
    assert "Thank you for your feedback." in feedback and "<form" not in feedback


def test_feedback_on_a_port_without_story_creates_nothing_else(client, demo):
    client.post("/ports/60001/feedback/", {"helpful": "no"}, **BROWSER)
    vote = FeedbackVote.objects.get()
    assert (vote.port_id, vote.helpful, vote.story) == (60001, False, None)


@pytest.mark.parametrize("data", [{}, {"helpful": "maybe"}, {"helpful": ""}])
def test_bad_feedback_is_refused_and_changes_nothing(client, demo, data):
    response = client.post("/ports/1381/feedback/", data, **BROWSER)
    assert response.status_code == 400
    assert "Yes or No" in response.content.decode()
    assert not FeedbackVote.objects.exists()


def test_feedback_needs_post_and_a_port(client, demo):
    assert client.get("/ports/1381/feedback/").status_code == 405
    assert (
        client.post("/ports/65536/feedback/", {"helpful": "yes"}, **BROWSER).status_code
        == 404
    )
    assert not FeedbackVote.objects.exists()


# Browsing -----------------------------------------------------------------------


def test_home_page_has_search_recent_stories_and_ranges(client, demo):
    story = Story.objects.get(port=1544)
    story.title = "Port 1544: updated"
    story.save()
    actions.story_publish(story=story, by=None)
    html = client.get("/").content.decode()
    page = outline(html)
    assert ("input", "q") in [(tag, attrs.get("name")) for tag, attrs in page.tags]
    published = html.split('id="published-heading"')[1].split("</section>")[0]
    for number in (373, 1381, 1544):
        assert f'href="/ports/{number}/"' in published
    updated = html.split('id="updated-heading"')[1].split("</section>")[0]
    assert "Port 1544: updated" in updated and "/ports/373/" not in updated
    ranges = html.split('id="ranges-heading"')[1].split("</section>")[0]
    for label, bounds in (
        ("System", "0–1023"),
        ("User", "1024–49151"),
        ("Dynamic", "49152–65535"),
    ):
        assert label in ranges and bounds in ranges
    assert_accessible_structure(html)


def test_port_list_pages_through_every_port(client, demo):
    html = client.get("/ports/").content.decode()
    assert "65536 ports" in html
    assert 'href="/ports/0/"' in html and 'href="/ports/99/"' in html
    assert 'href="/ports/100/"' not in html
    assert 'href="?page=2"' in html and "Page 1 of 656" in html
    last = client.get("/ports/?page=656").content.decode()
    assert 'href="/ports/65535/"' in last
    assert client.get("/ports/?page=657").status_code == 404
    assert client.get("/ports/?page=x").status_code == 404
    assert_accessible_structure(html)


def test_port_list_filters(client, demo):
    def numbers(query):
        html = client.get("/ports/?" + query).content.decode()
        return [
            int(n)
            for n in re.findall(r'<th scope="row"><a href="/ports/(\d+)/">', html)
        ]

    assert numbers("story=yes") == [373, 1381, 1544]
    assert numbers("story=yes&range_class=system") == [373]
    assert numbers("transport=udp&range_class=system") == [373, 548]
    x11 = numbers("transport=tcp&range_class=user&status=assigned")
    assert (
        x11[:4] == [1381, 1544, 3283, 5223] and x11[4:] == list(range(6000, 6064))[:96]
    )
    assert numbers("status=none&range_class=system")[:3] == [0, 1, 2]
    assert 373 not in numbers("status=none&range_class=system")
    assert numbers("status=withdrawn") == []


def test_bad_filters_get_a_clear_error(client, demo):
    response = client.get("/ports/?transport=ftp&story=perhaps")
    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters are not valid" in html
    assert "Select a valid choice." in html


def test_range_class_pages(client, demo):
    html = client.get("/ports/system/").content.decode()
    assert "<h1>System (well-known)</h1>" in html and "1024 ports" in html
    assert "IETF Review" in html
    assert 'name="range_class"' not in html
    assert "48128 ports" in client.get("/ports/user/").content.decode()
    assert client.get("/ports/private/").status_code == 404


def test_range_page_lists_each_port_of_the_range(client, demo):
    html = client.get("/ports/6000-6010/").content.decode()
    assert "11 ports" in html
    rows = re.findall(r'<th scope="row"><a href="/ports/(\d+)/">', html)
    assert rows == [str(n) for n in range(6000, 6011)]
    assert html.count('href="/services/x11/"') == 11
    assert client.get("/ports/6010-6000/").status_code == 404
    assert client.get("/ports/6000-65536/").status_code == 404
    assert client.get("/ports/80-80/")["Location"] == "/ports/80/"


def test_service_page_lists_its_ports(client, demo):
    html = client.get("/services/x11/").content.decode()
    assert "<h1>Service x11</h1>" in html
    assert 'href="/ports/6000-6063/"' in html and "6000–6063" in html
    assert "TCP, UDP" in html
    assert client.get("/services/X11/").status_code == 200
    assert client.get("/services/no-such-service/").status_code == 404


def test_service_page_with_story_and_odd_characters(client):
    make_assignment("whois++", 63, transport="tcp")
    make_assignment("cl/1", 172, transport="udp")
    make_published_story(63, title="Whois plus plus")
    html = client.get("/services/whois++/").content.decode()
    assert "Service whois++" in html and "Whois plus plus" in html
    assert "Service cl/1" in client.get("/services/cl/1/").content.decode()
    assert reverse("ports:service-detail", args=["cl/1"]) == "/services/cl/1/"


def test_not_found_page_helps(client, settings):
    settings.DEBUG = False
    response = client.get("/ports/70000/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/ports/", "/ports/80/", "/services/x11/", "/robots.txt"]
)
def test_reader_pages_answer_head_requests(client, demo, path):
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""

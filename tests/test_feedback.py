"""“Was this page helpful?”: votes, comments, bots, other sites, what editors see."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from ports.models import FeedbackVote, Story
from ports.reader import feedback
from tests.factories import make_published_story, make_user

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def reader(address="192.0.2.7", agent=BROWSER, **kwargs):
    return Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent, **kwargs)


def feedback_box(html):
    return html.split('id="feedback"')[1].split("</aside>")[0]


# Answering without JavaScript ---------------------------------------------------------


def test_a_vote_without_javascript_returns_to_the_page_with_thanks(demo):
    client = reader()
    response = client.post("/ports/1381/feedback/", {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/ports/1381/?thanks=1#feedback"
    box = feedback_box(client.get(response["Location"]).content.decode())
    assert "Thank you for your feedback." in box
    assert 'class="feedback-answer"' not in box
    vote = FeedbackVote.objects.get()
    assert (vote.port_id, vote.language, vote.helpful) == (1381, "en", True)
    assert vote.story == Story.objects.get(port=1381)


def test_no_then_an_optional_comment_without_javascript(demo):
    client = reader()
    response = client.post("/ja/ports/1381/feedback/", {"helpful": "no"})
    assert response["Location"] == "/ja/ports/1381/?thanks=no#feedback"
    box = feedback_box(client.get(response["Location"]).content.decode())
    assert "ご意見ありがとうございました。" in box  # the prompt's thanks, in Japanese
    # The comment form shows (not hidden), with the Japanese comment prompt.
    comment_form = box.split('class="feedback-comment"')[1].split("</form>")[0]
    assert not comment_form.split(">")[0].strip().endswith("hidden")
    assert "足りない点や誤りは何でしたか？（任意）" in comment_form
    assert 'maxlength="1000"' in comment_form
    response = client.post("/ja/ports/1381/feedback/", {"comment": "  Too short.  "})
    assert response["Location"] == "/ja/ports/1381/?thanks=comment#feedback"
    assert (
        "コメントはこのページの編集者に届きます"
        in client.get(response["Location"]).content.decode()
    )
    vote = FeedbackVote.objects.get()
    assert (vote.language, vote.helpful, vote.comment) == ("ja", False, "Too short.")


def test_the_plain_page_hides_the_comment_form_until_no(demo):
    box = feedback_box(reader().get("/ports/1381/").content.decode())
    assert '<form class="feedback-comment" method="post"' in box
    assert re.search(r'<form class="feedback-comment"[^>]* hidden>', box)


# Answering with JavaScript ------------------------------------------------------------


def test_a_vote_from_the_script_is_answered_with_json(demo):
    client = reader()
    response = client.post("/fr/ports/1381/feedback/", {"helpful": "no"}, **JSON)
    assert response.status_code == 200
    assert response.json() == {
        "state": "no",
        "message": "Merci pour votre avis.",
        "ask_comment": True,
    }
    response = client.post(
        "/fr/ports/1381/feedback/", {"comment": "Plus de détails"}, **JSON
    )
    assert response.json()["state"] == "comment"
    assert "rédacteurs" in response.json()["message"]
    vote = FeedbackVote.objects.get()
    assert (vote.language, vote.comment) == ("fr", "Plus de détails")


def test_the_page_loads_the_feedback_script_from_a_file(demo):
    html = reader().get("/ports/1381/").content.decode()
    assert re.search(r'<script src="[^"]*js/feedback\.js" defer></script>', html)


# One vote per reader, page and day ----------------------------------------------------


def test_duplicate_votes_are_counted_once(demo):
    client = reader()
    assert client.post("/ports/1381/feedback/", {"helpful": "yes"}).status_code == 302
    again = client.post("/ports/1381/feedback/", {"helpful": "no"}, **JSON)
    assert again.status_code == 200
    assert again.json()["state"] == "again"
    assert "already answered" in again.json()["message"]
    vote = FeedbackVote.objects.get()
    assert vote.helpful is True  # the first answer stands
    redirect = client.post("/ports/1381/feedback/", {"helpful": "yes"})
    assert redirect["Location"] == "/ports/1381/?thanks=again#feedback"
    assert FeedbackVote.objects.count() == 1


def test_each_page_and_each_reader_counts_separately(demo):
    reader("192.0.2.1").post("/ports/1381/feedback/", {"helpful": "yes"})
    reader("192.0.2.1").post("/ja/ports/1381/feedback/", {"helpful": "yes"})
    reader("192.0.2.1").post("/ports/373/feedback/", {"helpful": "yes"})
    reader("192.0.2.2").post("/ports/1381/feedback/", {"helpful": "no"})
    reader("192.0.2.2", agent=BROWSER + " Other").post(
        "/ports/1381/feedback/", {"helpful": "no"}
    )
    assert FeedbackVote.objects.count() == 5


def test_a_concurrent_second_vote_loses_politely(demo):
    """The unique constraint decides; the loser gets the existing vote."""
    day = timezone.localdate()
    first, new = feedback.feedback_vote_record(
        number=1381, helpful=True, language="en", reader="a" * 64, day=day
    )
    assert new is True
    # As if another request had inserted between our check and our insert.
    FeedbackVote.objects.filter(pk=first.pk).update(helpful=False)
    second, new = feedback.feedback_vote_record(
        number=1381, helpful=True, language="en", reader="a" * 64, day=day
    )
    assert (second.pk, new) == (first.pk, False)


def test_the_reader_hash_rotates_daily_and_never_holds_the_address(demo):
    reader("203.0.113.99").post("/ports/1381/feedback/", {"helpful": "yes"})
    vote = FeedbackVote.objects.get()
    assert re.fullmatch(r"[0-9a-f]{64}", vote.client_hash)
    stored = " ".join(str(value) for value in vote.__dict__.values())
    assert "203.0.113.99" not in stored
    today = timezone.localdate()
    args = {"address": "203.0.113.99", "user_agent": BROWSER}
    assert feedback.reader_hash(day=today, **args) == vote.client_hash
    tomorrow = today + datetime.timedelta(days=1)
    assert feedback.reader_hash(day=tomorrow, **args) != vote.client_hash
    with override_settings(SECRET_KEY="another-secret-key-" * 4):
        assert feedback.reader_hash(day=today, **args) != vote.client_hash


def test_votes_from_tomorrow_count_again(demo):
    client = reader()
    client.post("/ports/1381/feedback/", {"helpful": "yes"})
    FeedbackVote.objects.update(day=timezone.localdate() - datetime.timedelta(days=1))
    client.post("/ports/1381/feedback/", {"helpful": "yes"})
    assert FeedbackVote.objects.count() == 2


def test_a_reader_over_the_daily_limit_is_turned_away(demo, monkeypatch):
    monkeypatch.setattr(feedback, "MAX_VOTES_PER_READER_DAY", 2)
    client = reader()
    for number in (1381, 373):
        assert (
            client.post(f"/ports/{number}/feedback/", {"helpful": "yes"}).status_code
            == 302
        )
    response = client.post("/ports/548/feedback/", {"helpful": "yes"}, **JSON)
    assert response.status_code == 429
    assert "come back tomorrow" in response.json()["message"]
    assert FeedbackVote.objects.count() == 2


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_identifies_the_reader(demo):
    proxy = "127.0.0.1"
    for forwarded in ("198.51.100.1", "spoofed, 198.51.100.2"):
        reader(proxy, HTTP_X_FORWARDED_FOR=forwarded).post(
            "/ports/1381/feedback/", {"helpful": "yes"}
        )
    # Two readers behind one proxy; a spoofed left-hand entry changes nothing.
    reader(proxy, HTTP_X_FORWARDED_FOR="other, 198.51.100.2").post(
        "/ports/1381/feedback/", {"helpful": "yes"}
    )
    assert FeedbackVote.objects.count() == 2


# Refusals -----------------------------------------------------------------------------


def strict_reader(**kwargs):
    """A reader whose posts go through the same-origin check, as a browser's do."""
    return reader(enforce_csrf_checks=True, **kwargs)


SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.mark.parametrize(
    "headers",
    [
        SAME_ORIGIN,
        # An address typed or bookmarked by the reader.
        {"HTTP_SEC_FETCH_SITE": "none"},
        # A browser without Fetch Metadata: its Origin is the site's own.
        {"HTTP_ORIGIN": "http://testserver"},
        {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://testserver"},
    ],
)
def test_a_vote_from_the_sites_own_page_counts(demo, headers):
    response = strict_reader().post(
        "/ports/1381/feedback/", {"helpful": "yes"}, **headers
    )
    assert response.status_code == 302
    assert FeedbackVote.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"},
        # A sibling subdomain is not the site.
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://blog.testserver"},
        # Fetch Metadata wins over an Origin that claims to be the site.
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://testserver"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        # Neither header: nothing vouches for where the form was sent from.
        {},
    ],
)
def test_a_vote_from_anywhere_else_gets_a_plain_403_and_stores_nothing(demo, headers):
    response = strict_reader().post(
        "/ports/1381/feedback/", {"helpful": "yes"}, **headers
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "This form can only be sent from this site" in response.content.decode()
    assert not FeedbackVote.objects.exists()


def test_a_script_from_elsewhere_is_told_why_in_json(demo):
    response = strict_reader().post(
        "/ja/ports/1381/feedback/",
        {"helpful": "yes"},
        HTTP_SEC_FETCH_SITE="cross-site",
        HTTP_ORIGIN="https://evil.example",
        **JSON,
    )
    assert response.status_code == 403
    assert response.json() == {
        "message": "このフォームはこのサイトのページからのみ送信できます。"
    }
    assert not FeedbackVote.objects.exists()


@override_settings(CSRF_TRUSTED_ORIGINS=["https://*.portwiki.example"])
def test_an_origin_the_site_trusts_may_post(demo):
    trusted = {
        "HTTP_SEC_FETCH_SITE": "same-site",
        "HTTP_ORIGIN": "https://www.portwiki.example",
    }
    assert (
        strict_reader()
        .post("/ports/1381/feedback/", {"helpful": "yes"}, **trusted)
        .status_code
        == 302
    )
    other = {
        "HTTP_SEC_FETCH_SITE": "cross-site",
        "HTTP_ORIGIN": "https://portwiki.example.org",
    }
    assert (
        strict_reader(address="192.0.2.8")
        .post("/ports/1381/feedback/", {"helpful": "yes"}, **other)
        .status_code
        == 403
    )
    assert FeedbackVote.objects.count() == 1


def test_a_forged_header_from_a_script_still_meets_the_bot_and_daily_rules(
    demo, monkeypatch
):
    # Anyone outside a browser can claim same-origin: the header only stops
    # other sites from using readers' browsers. The other rules still apply.
    curl = strict_reader(agent="curl/8.5.0")
    response = curl.post("/ports/1381/feedback/", {"helpful": "yes"}, **SAME_ORIGIN)
    assert response.status_code == 403
    assert not FeedbackVote.objects.exists()
    monkeypatch.setattr(feedback, "MAX_VOTES_PER_READER_DAY", 2)
    forger = strict_reader()
    statuses = [
        forger.post(
            f"/ports/{number}/feedback/", {"helpful": "yes"}, **SAME_ORIGIN
        ).status_code
        for number in (1381, 1382, 1383)
    ]
    assert statuses == [302, 302, 429]
    assert FeedbackVote.objects.count() == 2


def test_the_page_carries_no_token_and_sets_no_cookie(demo):
    first = reader().get("/ports/1381/")
    second = reader(address="192.0.2.99").get(
        "/ports/1381/", HTTP_COOKIE="csrftoken=abc"
    )
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert not first.cookies and not second.cookies
    assert first.content == second.content


@pytest.mark.parametrize(
    "agent,data",
    [
        ("", {"helpful": "yes"}),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            {"helpful": "yes"},
        ),
        ("curl/8.5.0", {"helpful": "yes"}),
        ("python-requests/2.32.3", {"helpful": "yes"}),
        (BROWSER, {"helpful": "yes", "website": "http://spam.example"}),
    ],
)
def test_obvious_bots_are_turned_away_politely(demo, agent, data):
    response = reader(agent=agent).post("/ports/1381/feedback/", data)
    assert response.status_code == 403
    assert "Automated answers are not counted" in response.content.decode()
    assert not FeedbackVote.objects.exists()


def test_a_comment_over_the_limit_is_refused_and_changes_nothing(demo):
    client = reader()
    client.post("/ports/1381/feedback/", {"helpful": "no"})
    limit = FeedbackVote.COMMENT_MAX_LENGTH
    response = client.post("/ports/1381/feedback/", {"comment": "x" * (limit + 1)})
    assert response.status_code == 400
    assert f"the limit is {limit}" in response.content.decode()
    assert FeedbackVote.objects.get().comment == ""
    assert (
        client.post("/ports/1381/feedback/", {"comment": "x" * limit}).status_code
        == 302
    )
    assert len(FeedbackVote.objects.get().comment) == limit


def test_a_comment_needs_a_no_from_the_same_reader_today(demo):
    client = reader()
    response = client.post("/ports/1381/feedback/", {"comment": "Hello"})
    assert response.status_code == 400
    client.post("/ports/1381/feedback/", {"helpful": "yes"})
    assert client.post("/ports/1381/feedback/", {"comment": "Hi"}).status_code == 400
    reader("192.0.2.50").post("/ports/1381/feedback/", {"helpful": "no"})
    assert client.post("/ports/1381/feedback/", {"comment": "Hi"}).status_code == 400
    assert not FeedbackVote.objects.exclude(comment="").exists()


def test_empty_comment_is_refused(demo):
    client = reader()
    client.post("/ports/1381/feedback/", {"helpful": "no"})
    assert client.post("/ports/1381/feedback/", {"comment": " \n "}).status_code == 400


def test_comments_are_stored_as_plain_text():
    assert feedback.clean_comment(" a\r\nb\x00\x07c\t ") == "a\nbc"


# The page cache never shares a reader's thank-you -------------------------------------


def test_the_thank_you_state_is_never_served_to_another_reader(demo):
    first, second = reader("192.0.2.10"), reader("192.0.2.11")
    assert 'class="feedback-answer"' in feedback_box(
        first.get("/ports/1381/").content.decode()
    )
    first.post("/ports/1381/feedback/", {"helpful": "yes"})
    thanks = first.get("/ports/1381/?thanks=1")
    assert "no-store" in thanks["Cache-Control"]
    assert "Thank you for your feedback." in feedback_box(thanks.content.decode())
    other = feedback_box(second.get("/ports/1381/").content.decode())
    assert 'class="feedback-answer"' in other
    assert "Thank you for your feedback." not in other


def test_unknown_thanks_values_show_the_plain_page(demo):
    html = reader().get("/ports/1381/?thanks=<script>").content.decode()
    assert 'class="feedback-answer"' in feedback_box(html)
    assert "<script>" not in html.split('id="feedback"')[1]


# What editors see ---------------------------------------------------------------------


def vote(number, language, helpful, comment="", address="192.0.2.1"):
    story = Story.objects.live().filter(port_id=number).first()
    return FeedbackVote.objects.create(
        port_id=number,
        story=story,
        language=language,
        helpful=helpful,
        comment=comment,
        client_hash=feedback.reader_hash(
            address=address, user_agent=BROWSER, day=timezone.localdate()
        ),
    )


@pytest.fixture
def votes(demo):
    vote(1381, "en", True, address="1")
    vote(1381, "en", False, "<script>alert(1)</script> & more", address="2")
    vote(1381, "ja", False, '=HYPERLINK("http://evil.example")', address="3")
    vote(373, "en", True, address="4")


def test_report_rows_per_story_and_language_least_helpful_first(votes):
    rows = feedback.feedback_report()
    assert [(row.port, row.language, row.votes, row.helpful) for row in rows] == [
        (1381, "ja", 1, 0),
        (1381, "en", 2, 1),
        (373, "en", 1, 1),
    ]
    assert rows[1].helpful_percent == 50.0
    assert rows[1].recent_comments == "<script>alert(1)</script> & more"
    assert [row.language for row in feedback.feedback_report(language="ja")] == ["ja"]
    future = timezone.now() + datetime.timedelta(days=1)
    assert feedback.feedback_report(since=future) == []


def test_report_of_one_story_reads_only_its_votes(votes, django_assert_num_queries):
    story_id = Story.objects.get(port_id=1381).pk
    with django_assert_num_queries(3):
        rows = feedback.feedback_report(story_id=story_id)
    assert [(row.port, row.language) for row in rows] == [(1381, "ja"), (1381, "en")]
    assert rows[1].recent_comments == "<script>alert(1)</script> & more"


def test_report_keeps_the_three_latest_comments_per_story_and_language(votes):
    for number in range(5):
        vote(1381, "en", False, f"Comment {number}", address=f"10.0.0.{number}")
    rows = feedback.feedback_report()
    english = next(row for row in rows if (row.port, row.language) == (1381, "en"))
    assert english.recent_comments == "Comment 4\nComment 3\nComment 2"


def test_report_page_shows_comments_escaped(client, votes):
    client.force_login(make_user("editor", role="Editor"))
    response = client.get("/admin/ports/feedbackvote/report/?period=all")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>alert(1)</script>" not in html
    assert "50.0%" in html


def test_vote_list_shows_comments_escaped(client, votes):
    client.force_login(make_user("reviewer", role="Reviewer"))
    html = client.get("/admin/ports/feedbackvote/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_report_needs_the_feedback_permission(client, votes):
    client.force_login(make_user("nobody"))
    assert client.get("/admin/ports/feedbackvote/report/").status_code == 403
    assert client.get("/admin/ports/feedbackvote/report/export.csv").status_code == 403
    assert (
        Permission.objects.get(codename="view_feedbackvote")
        in Group.objects.get(name="Editor").permissions.all()
    )


def test_report_exports_as_csv_with_formulas_escaped(client, votes):
    client.force_login(make_user("editor", role="Editor"))
    response = client.get("/admin/ports/feedbackvote/report/export.csv?period=all")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Port",
        "Story",
        "Language",
        "Votes",
        "Helpful",
        "Not helpful",
        "Helpful %",
        "Last answer",
        "Recent comments",
    ]
    assert [row[:7] for row in rows[1:]] == [
        ["1381", Story.objects.get(port=1381).title_en, "ja", "1", "0", "1", "0.0"],
        ["1381", Story.objects.get(port=1381).title_en, "en", "2", "1", "1", "50.0"],
        ["373", Story.objects.get(port=373).title_en, "en", "1", "1", "0", "100.0"],
    ]
    assert rows[1][8] == '\'=HYPERLINK("http://evil.example")'


def test_story_list_has_a_sortable_helpful_column(client, votes):
    client.force_login(make_user("editor", role="Editor"))
    html = client.get("/admin/ports/story/").content.decode()
    assert "helpful %" in html.lower()
    header = re.findall(r'<th scope="col" class="([^"]*)"', html)
    index = next(i for i, c in enumerate(header) if "column-helpful" in c)
    # ?o= counts list_display's columns from 0 (no actions: no checkbox column).
    ordered = client.get(f"/admin/ports/story/?o={index}").content.decode()
    order = [
        int(n)
        for n in re.findall(
            r'<th class="field-port[^"]*"><a href="[^"]+">(\d+)', ordered
        )
    ]
    assert order.index(1381) < order.index(373)  # 33 % before 100 %
    descending = client.get(f"/admin/ports/story/?o=-{index}").content.decode()
    order = [
        int(n)
        for n in re.findall(
            r'<th class="field-port[^"]*"><a href="[^"]+">(\d+)', descending
        )
    ]
    assert order.index(373) < order.index(1381)
    assert "33% of 3" in html and "100% of 1" in html


def test_admin_index_links_the_report_and_the_completeness_page(client, db):
    client.force_login(make_user("editor", role="Editor"))
    html = client.get("/admin/").content.decode()
    assert 'href="/admin/ports/feedbackvote/report/"' in html
    assert 'href="/admin/translations/"' in html


def test_published_story_factory_still_votes(db):
    make_published_story(4500)
    response = reader().post("/ports/4500/feedback/", {"helpful": "yes"})
    assert response.status_code == 302
    assert FeedbackVote.objects.get().story.port_id == 4500


def test_without_a_prompt_the_site_asks_in_the_readers_language(db):
    """Before editors write a prompt, the catalogues' wording is used."""
    from ports.models import FeedbackPrompt

    assert not FeedbackPrompt.objects.exists()
    box = feedback_box(reader().get("/ru/ports/80/").content.decode())
    assert (
        '<h2 id="feedback-heading" lang="ru">Была ли эта страница полезной?</h2>' in box
    )
    assert 'lang="ru">Да</button>' in box and 'lang="ru">Нет</button>' in box
    response = reader().post("/ru/ports/80/feedback/", {"helpful": "yes"}, **JSON)
    assert response.json()["message"] == "Спасибо за ваш отзыв."


def test_an_untranslated_prompt_field_uses_the_sites_wording(db):
    from ports.models import FeedbackPrompt

    FeedbackPrompt.objects.create(
        question_en="Did this help?",
        yes_label_en="Yep",
        no_label_en="Nope",
        thanks_en="Cheers.",
    )
    english = feedback_box(reader().get("/ports/80/").content.decode())
    assert 'lang="en">Did this help?</h2>' in english
    german = feedback_box(reader().get("/de/ports/80/").content.decode())
    assert 'lang="de">War diese Seite hilfreich?</h2>' in german

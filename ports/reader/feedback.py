"""
Readers' answers to "Was this page helpful?".

One vote per reader, page (port and language) and day is counted. A reader
is known only by a salted hash of their address and browser that changes
every day (the key is derived from SECRET_KEY and the date), so the raw
address is never stored and yesterday's hashes cannot be linked to today's.
After "No", the same vote may carry a short plain-text comment.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from ports.choices import PORT_MAX, PORT_MIN
from ports.editorial.revisions import Localized
from ports.models import FeedbackVote, Port, Story
from ports.security import client_address

# A form field people never see or fill in; simple bots fill in every field.
HONEYPOT_FIELD = "website"
# More answers than this from one reader in a day are not counted.
MAX_VOTES_PER_READER_DAY = 100
_BOT_RE = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrapy|curl/|wget/|httpie|python-requests|"
    r"python-urllib|aiohttp|go-http-client|java/|libwww|okhttp|headless-shell",
    re.IGNORECASE,
)
# Control characters other than line breaks and tabs are dropped from comments.
_KEEP_CONTROLS = {"\n", "\t"}


class FeedbackRefused(ValueError):
    """An answer that is not recorded, with the reason to show the reader."""

    def __init__(self, message, *, status=400):
        super().__init__(message)
        self.status = status


# Readers ------------------------------------------------------------------------


def reader_hash(*, address: str, user_agent: str, day: date) -> str:
    """HMAC-SHA256 of address and browser under a key that changes every day."""
    return salted_hmac(
        f"ports.reader.feedback.reader.{day.isoformat()}",
        f"{address}\n{user_agent}",
        algorithm="sha256",
    ).hexdigest()


def is_bot(*, user_agent: str, honeypot: str) -> bool:
    """Obvious bots: no browser named, a crawler or HTTP library, a filled trap."""
    return not user_agent.strip() or bool(_BOT_RE.search(user_agent)) or bool(honeypot)


def clean_comment(text: str) -> str:
    """A comment as plain text: trimmed, line breaks unified, controls dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        char
        for char in text
        if char in _KEEP_CONTROLS or unicodedata.category(char) != "Cc"
    ).strip()
    if len(text) > FeedbackVote.COMMENT_MAX_LENGTH:
        raise FeedbackRefused(
            _(
                "Your comment is %(length)s characters long; the limit is "
                "%(limit)s. Nothing was saved."
            )
            % {"length": len(text), "limit": FeedbackVote.COMMENT_MAX_LENGTH}
        )
    return text


# Recording ----------------------------------------------------------------------


def _check_page(number: int, language: str) -> None:
    if not PORT_MIN <= number <= PORT_MAX:
        raise ValueError(f"{number} is not a port number")
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not a language of the site")


@transaction.atomic
def feedback_vote_record(
    *, number: int, helpful: bool, language: str, reader: str, day: date | None = None
) -> tuple[FeedbackVote, bool]:
    """
    Count one reader's answer on a port's page in one language, tied to the
    story readers saw, if any. Returns the vote and whether it is new: a
    second answer on the same page and day leaves the first one as it was.
    A reader over the daily limit is refused.
    """
    _check_page(number, language)
    day = day or timezone.localdate()
    existing = FeedbackVote.objects.filter(
        port_id=number, language=language, client_hash=reader, day=day
    ).first()
    if existing is not None:
        return existing, False
    if (
        FeedbackVote.objects.filter(client_hash=reader, day=day).count()
        >= MAX_VOTES_PER_READER_DAY
    ):
        raise FeedbackRefused(
            _(
                "You have answered on many pages today; thank you. "
                "Please come back tomorrow."
            ),
            status=429,
        )
    Port.objects.ensure([number])
    story = Story.objects.live().filter(port_id=number).only("pk").first()
    try:
        # A savepoint: a concurrent second answer from the same reader loses
        # the race on the unique constraint without spoiling the transaction.
        with transaction.atomic():
            vote = FeedbackVote.objects.create(
                port_id=number,
                story=story,
                language=language,
                helpful=helpful,
                client_hash=reader,
                day=day,
            )
    except IntegrityError:
        vote = FeedbackVote.objects.get(
            port_id=number, language=language, client_hash=reader, day=day
        )
        return vote, False
    return vote, True


@transaction.atomic
def feedback_comment_record(
    *, number: int, language: str, reader: str, comment: str, day: date | None = None
) -> FeedbackVote:
    """Add the reader's comment to their "No" on this page today."""
    _check_page(number, language)
    text = clean_comment(comment)
    if not text:
        raise FeedbackRefused(_("The comment is empty; nothing was saved."))
    vote = (
        FeedbackVote.objects.select_for_update()
        .filter(
            port_id=number,
            language=language,
            client_hash=reader,
            day=day or timezone.localdate(),
            helpful=False,
        )
        .first()
    )
    if vote is None:
        raise FeedbackRefused(
            _(
                "A comment can follow a “No” on this page today; none was found. "
                "Nothing was saved."
            )
        )
    vote.comment = text
    vote.save(update_fields=["comment"])
    return vote


# One answer from a request ------------------------------------------------------


@dataclass
class Reply:
    """What to tell the reader: the page state to return to and its message."""

    state: str
    message: str
    ask_comment: bool = False


# The page's thank-you states (?thanks=…), never cached: see ports.reader.views.
THANKS_STATES = ("1", "no", "comment", "again")


def prompt_texts(prompt, language: str) -> dict[str, Localized]:
    """
    The prompt's texts in the reader's language: the editors' wording where
    the prompt has it in that language, else the site's own (translated in
    the message catalogues), so the question is asked on every page in every
    language even before editors have written or translated a prompt.
    """
    defaults = {
        "question": _("Was this page helpful?"),
        "yes_label": _("Yes"),
        "no_label": _("No"),
        "comment_prompt": _("What was missing or wrong? (optional)"),
        "thanks": _("Thank you for your feedback."),
    }
    texts = {}
    for field, default in defaults.items():
        value = ""
        if prompt is not None:
            value = getattr(prompt, build_localized_fieldname(field, language), "")
        texts[field] = Localized(value or str(default), language)
    return texts


def thanks_message(state: str, prompt) -> str:
    if state == "comment":
        return _("Thank you. Your comment goes to the editors of this page.")
    if state == "again":
        return _("You have already answered for this page today. Thank you!")
    return str(prompt_texts(prompt, get_language())["thanks"])


def answer(request, *, number: int, language: str, prompt) -> Reply:
    """
    Record what the reader sent from the prompt: "helpful" (yes or no), or a
    "comment" after "No". Raises FeedbackRefused for bots and bad input,
    which then change nothing.
    """
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if is_bot(user_agent=user_agent, honeypot=request.POST.get(HONEYPOT_FIELD, "")):
        raise FeedbackRefused(
            _(
                "Automated answers are not counted. "
                "If you are a person, thank you all the same."
            ),
            status=403,
        )
    day = timezone.localdate()
    reader = reader_hash(
        address=client_address(request), user_agent=user_agent, day=day
    )
    if "comment" in request.POST:
        feedback_comment_record(
            number=number,
            language=language,
            reader=reader,
            comment=request.POST["comment"],
            day=day,
        )
        return Reply("comment", thanks_message("comment", prompt))
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        raise FeedbackRefused(
            _("Answer the question with Yes or No; nothing was recorded.")
        )
    vote, new = feedback_vote_record(
        number=number,
        helpful=helpful == "yes",
        language=language,
        reader=reader,
        day=day,
    )
    if not new:
        if not vote.helpful and not vote.comment:
            # Their "No" still has room for the comment.
            return Reply("no", thanks_message("no", prompt), ask_comment=True)
        return Reply("again", thanks_message("again", prompt))
    state = "1" if vote.helpful else "no"
    return Reply(state, thanks_message(state, prompt), ask_comment=not vote.helpful)


# What editors see ---------------------------------------------------------------


@dataclass
class ReportRow:
    """One story in one language: its votes, share helpful and recent comments."""

    story_id: int
    port: int
    title: str
    language: str
    votes: int
    helpful: int
    last_vote: object
    comments: list

    @property
    def not_helpful(self) -> int:
        return self.votes - self.helpful

    @property
    def helpful_percent(self) -> float | None:
        return round(100 * self.helpful / self.votes, 1) if self.votes else None

    @property
    def language_name(self) -> str:
        return str(dict(settings.LANGUAGES).get(self.language, self.language))

    @property
    def recent_comments(self) -> str:
        return "\n".join(comment for _at, comment in self.comments)


def feedback_report(
    *, since=None, language: str = "", story_id: int | None = None
) -> list[ReportRow]:
    """
    Votes per story and language (stories readers saw when they answered),
    least helpful first, with each row's latest comments; in three queries.
    """
    votes = FeedbackVote.objects.all()
    if since is not None:
        votes = votes.filter(created_at__gte=since)
    if language:
        votes = votes.filter(language=language)
    if story_id is not None:
        votes = votes.filter(story_id=story_id)
    groups = list(votes.per_story_language())
    stories = Story.objects.only("port_id", "title_en").in_bulk(
        {group["story_id"] for group in groups}
    )
    comments = votes.latest_comments()
    rows = [
        ReportRow(
            story_id=group["story_id"],
            port=stories[group["story_id"]].port_id,
            title=stories[group["story_id"]].title_en,
            language=group["language"],
            votes=group["votes"],
            helpful=group["helpful_votes"],
            last_vote=group["last_vote"],
            comments=comments.get((group["story_id"], group["language"]), []),
        )
        for group in groups
    ]
    rows.sort(
        key=lambda row: (row.helpful / row.votes, -row.votes, row.port, row.language)
    )
    return rows

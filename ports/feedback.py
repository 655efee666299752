"""Readers' answers to "Was this page helpful?"."""

from django.db import transaction

from .choices import PORT_MAX, PORT_MIN
from .models import FeedbackVote, Port, Story


@transaction.atomic
def feedback_vote_record(*, number: int, helpful: bool, language: str) -> FeedbackVote:
    """
    Store one answer for a port's page, tied to the story readers saw, if any.

    One vote per reader and day, comments and bot filtering come later; for
    now each answer is stored as given.
    """
    if not PORT_MIN <= number <= PORT_MAX:
        raise ValueError(f"{number} is not a port number")
    Port.objects.ensure([number])
    story = Story.objects.live().filter(port_id=number).only("pk").first()
    return FeedbackVote.objects.create(
        port_id=number, story=story, language=language, helpful=helpful
    )

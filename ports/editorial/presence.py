"""
Who has a story's change form open. Each open form says so every twenty
seconds (static/js/presence.js) and counts as present for a while after,
so a closed tab or a lost connection drops out by itself.

Kept in Django's cache, not the database: it is true only for a minute, and
losing it (a restart, an evicted key) costs nothing. A story's entry is read,
changed and written back without a lock: two forms pinging in the same
instant may cost one of them its presence until its next ping.
"""

from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

# Pings come every twenty seconds, but a browser may slow a background tab's
# timers to one a minute: present until a ping is this overdue.
PRESENT_SECONDS = 90


def _key(story_id: int) -> str:
    return f"story-presence:{story_id}"


def _present(story_id: int, now: datetime) -> dict:
    entries = cache.get(_key(story_id)) or {}
    return {
        user_id: entry
        for user_id, entry in entries.items()
        if (now - entry["seen"]).total_seconds() < PRESENT_SECONDS
    }


def story_presence_ping(*, story_id: int, user, now: datetime | None = None) -> list:
    """
    Record that `user` has the story open (since their first ping), and
    return the others who have it open: [{"name", "since"}], earliest first.
    """
    now = now or timezone.now()
    present = _present(story_id, now)
    mine = present.get(user.pk)
    present[user.pk] = {
        "name": user.get_username(),
        "since": mine["since"] if mine else now,
        "seen": now,
    }
    cache.set(_key(story_id), present, PRESENT_SECONDS)
    others = [entry for user_id, entry in present.items() if user_id != user.pk]
    return sorted(
        ({"name": entry["name"], "since": entry["since"]} for entry in others),
        key=lambda entry: entry["since"],
    )


def story_presence_leave(*, story_id: int, user) -> None:
    """`user` closed the story's form."""
    present = _present(story_id, timezone.now())
    if present.pop(user.pk, None) is not None:
        cache.set(_key(story_id), present, PRESENT_SECONDS)

"""
What the story workflow announces, for the parts of the site that show
stories to react to (the caches: ports.cache.receivers). Each is sent with
`story=` inside the transaction that made the change, once it is written;
a receiver that acts outside the database does so after the commit, as
purging does.
"""

from django.dispatch import Signal

# A version of the story went live: published now, or at its scheduled time.
story_published = Signal()
# No version of the story is live any more: unpublished, or expired.
story_unpublished = Signal()
# What readers see of the live story changed without a version going live:
# its review date, or a version scheduled to replace it (and when).
live_version_changed = Signal()

"""
RSS and Atom feeds of the registry's changes: one item per import.

An import is how the registry changes as a whole (a new version of IANA's
file): one item says what it added, changed and withdrew and links to its
page. An item per change would flood a reader's feed with an update's dozens
of lines, a registry-wide edit with thousands, and cut an import in two at
the feed's length.
"""

import copy

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ports.reader.feeds import feed_text
from ports.reader.registry_changes import published_runs, registry_day, run_summary

FEED_ITEMS = 30


class RegistryChangesFeed(Feed):
    title = gettext_lazy("portwiki: changes to IANA's port registry")
    description = gettext_lazy(
        "What each update of IANA's Service Name and Transport Protocol Port "
        "Number Registry added, changed and withdrew."
    )
    request = None

    def __call__(self, request, *args, **kwargs):
        # One instance serves every request: each gets a copy that knows it.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def link(self):
        return reverse("ports:registry-changes")

    def items(self):
        return list(published_runs()[:FEED_ITEMS])

    def item_title(self, run):
        return feed_text(
            _("Registry of %(date)s: %(summary)s")
            % {"date": registry_day(run).isoformat(), "summary": run_summary(run)}
        )

    def item_description(self, run):
        return escape(feed_text(run_summary(run)))

    def item_link(self, run):
        return reverse("ports:registry-change-detail", args=[run.pk])

    def item_pubdate(self, run):
        return run.finished_at or run.started_at


class RegistryChangesAtomFeed(RegistryChangesFeed):
    feed_type = Atom1Feed
    subtitle = RegistryChangesFeed.description

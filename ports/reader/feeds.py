"""RSS and Atom feeds of stories as they are published and updated."""

import copy
import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ports.editorial.revisions import LocalizedStory
from ports.models import Story

FEED_ITEMS = 30
# Characters XML 1.0 cannot hold; text pasted from elsewhere may carry them.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def feed_text(value) -> str:
    return _NOT_XML_RE.sub("", str(value))


class StoriesFeed(Feed):
    """
    The newest live versions of stories: each story once, by when its live
    version went live, so an update moves it to the top. The guid names the
    version, so feed readers show an update as a new item.
    """

    title = _("portwiki: new and updated port stories")
    description = _("Stories of network ports, as they are published and updated.")
    request = None

    def __call__(self, request, *args, **kwargs):
        # One instance serves every request: give each its own copy that
        # knows the request, so that guids can be absolute.
        feed = copy.copy(self)
        feed.request = request
        return Feed.__call__(feed, request, *args, **kwargs)

    def link(self):
        return reverse("ports:home")

    def items(self):
        language = get_language()
        stories = (
            Story.objects.live()
            .select_related("live_revision")
            .order_by("-go_live_at", "port_id")[:FEED_ITEMS]
        )
        return [
            (story, LocalizedStory.from_content(story.live_revision.content, language))
            for story in stories
        ]

    def item_title(self, item):
        return feed_text(item[1].title)

    def item_description(self, item):
        # Feed readers take a description as HTML; the summary is plain text.
        return escape(feed_text(item[1].summary))

    def item_link(self, item):
        return reverse("ports:port-detail", args=[item[0].port_id])

    def item_guid(self, item):
        link = self.request.build_absolute_uri(self.item_link(item))
        return f"{link}#version-{item[0].live_revision_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item[0].published_at

    def item_updateddate(self, item):
        return item[0].go_live_at


class StoriesAtomFeed(StoriesFeed):
    feed_type = Atom1Feed
    subtitle = StoriesFeed.description

"""Sitemaps: the reader site's fixed pages, live stories and registered ports."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils.translation import get_language

from ports.choices import AssignmentStatus, RangeClass
from ports.models import Assignment, Story
from ports.reader.page_data import merged_intervals
from ports.reader.registry_changes import published_runs


class LanguagesSitemap(Sitemap):
    """
    Each page in every language, with hreflang alternates and x-default
    (English) on each entry.
    """

    i18n = True
    alternates = True
    x_default = True
    # Each entry carries 15 alternate links (some 1.3 KB): pages of 5,000
    # entries stay far below the 50 MB a sitemap file may hold.
    limit = 5000


class PagesSitemap(LanguagesSitemap):
    """
    The home page, the list of ports, the three range classes, the most
    often open ports and the free-port finder.
    """

    changefreq = "weekly"

    def items(self):
        return [
            ("ports:home", {}),
            ("ports:port-list", {}),
            *(("ports:range-class", {"name": value}) for value in RangeClass.values),
            ("ports:top-open", {}),
            ("ports:free-port", {}),
        ]

    def location(self, item):
        name, kwargs = item
        return reverse(name, kwargs=kwargs)


class StorySitemap(LanguagesSitemap):
    """Ports with a live story: the pages editors wrote."""

    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Story.objects.live().only("port_id", "go_live_at").order_by("port_id")

    def location(self, story):
        return reverse("ports:port-detail", args=[story.port_id])

    def lastmod(self, story):
        return story.go_live_at


class RegisteredPortSitemap(LanguagesSitemap):
    """
    Every port a current registry assignment covers (some 6,300 numbers),
    story ports excepted: those are in the stories section.
    """

    changefreq = "monthly"
    priority = 0.5

    def items(self):
        intervals = (
            Assignment.objects.filter(
                status=AssignmentStatus.ASSIGNED, port_low__isnull=False
            )
            .values_list("port_low", "port_high")
            .order_by()
        )
        stories = set(Story.objects.live().values_list("port_id", flat=True))
        numbers = []
        for low, high in merged_intervals(intervals):
            numbers.extend(n for n in range(low, high + 1) if n not in stories)
        return numbers

    def location(self, number):
        # reverse() once per sitemap and language, not once per port.
        prefixes = self.__dict__.setdefault("_prefixes", {})
        language = get_language()
        if language not in prefixes:
            prefixes[language] = reverse("ports:port-detail", args=[0])[: -len("0/")]
        return f"{prefixes[language]}{number}/"


class RegistrySitemap(LanguagesSitemap):
    """The registry changes: their list and the page of each import."""

    changefreq = "monthly"
    priority = 0.3

    def items(self):
        return [None, *published_runs().only("pk", "finished_at")]

    def location(self, run):
        if run is None:
            return reverse("ports:registry-changes")
        return reverse("ports:registry-change-detail", args=[run.pk])

    def lastmod(self, run):
        return None if run is None else run.finished_at


sitemaps = {
    "pages": PagesSitemap,
    "stories": StorySitemap,
    "ports": RegisteredPortSitemap,
    "registry": RegistrySitemap,
}

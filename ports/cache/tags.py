"""
Cache tags: the names a reader response is purged by, and which of them a
change touches.

A port page is tagged with its port, "ports" (every port page: the feedback
prompt shows on each) and "site"; listings (home, lists, services, search,
feeds, sitemaps) with "listings" and "site"; the registry changes pages and
feeds with "registry" and "site". "site" purges everything.
"""

import bisect
from collections.abc import Iterable

from django.db import connection

from ports.choices import RANGE_BOUNDS, AssignmentStatus, range_class_for

SITE = "site"
PORTS = "ports"
LISTINGS = "listings"
# The registry changes pages and feeds: they change only when an import does.
REGISTRY = "registry"
# Above this many ports one "ports" tag is cheaper than a tag each.
BULK_PORTS = 2000


def port_tag(number: int) -> str:
    return f"port-{number}"


def port_page_tags(number: int) -> list[str]:
    return [SITE, PORTS, port_tag(number)]


LISTING_TAGS = [SITE, LISTINGS]
# The downloads: purged when an export has written new files.
DATA = "data"
DATA_TAGS = [SITE, DATA]
REGISTRY_TAGS = [SITE, REGISTRY]


def ports_changed(numbers: Iterable[int]) -> list[str]:
    """Tags for these ports' pages having changed, and so the listings."""
    numbers = {int(number) for number in numbers}
    if len(numbers) > BULK_PORTS:
        return [PORTS, LISTINGS]
    return [*(port_tag(number) for number in sorted(numbers)), LISTINGS]


def observed_changed(numbers: Iterable[int] | None) -> list[str]:
    """
    An observed-data import changed these ports' rows, or, with None, what
    every port page says (a source's date): their pages and the listings
    (the most often open ports, the free-port finder).
    """
    if numbers is None:
        return [PORTS, LISTINGS]
    return ports_changed(numbers)


def ports_in_ranges(ranges: Iterable[tuple[int | None, int | None]]) -> set[int]:
    """Every number in these (low, high) ranges; port-less rows count for none."""
    numbers = set()
    for low, high in ranges:
        if low is not None:
            numbers.update(range(low, (high if high is not None else low) + 1))
    return numbers


def story_changed(port: int) -> list[str]:
    """A story's page changed: that port's page, its related ports' and listings."""
    from ports.models import StoryRevision

    # Every version's related ports, so that a port the new version no longer
    # links to is refreshed too (the version it was dropped from is gone by now).
    # Only that part of each version is read, not its whole content.
    related = {
        item["port"]
        for items in StoryRevision.objects.filter(story__port_id=port).values_list(
            "content__related", flat=True
        )
        for item in items or []
    }
    return ports_changed({port} | related | stories_relating_to([port]))


def _relating_sql(numbers: list[int]) -> tuple[str, list]:
    """
    SQL for (1, port) of each live story listing one of these numbers as a
    related port, read from the live version's content: a JSON array of
    {"port": n, ...} items, unnested as each database can.
    """
    from ports.editorial.revisions import related_ports_sql
    from ports.models import Story, StoryRevision

    stories, revisions = Story._meta.db_table, StoryRevision._meta.db_table
    placeholders = ", ".join(["%s"] * len(numbers))
    items, port = related_ports_sql(connection.vendor)
    sql = (
        f"SELECT 1, s.port_id FROM {stories} s "  # noqa: S608
        f"JOIN {revisions} r ON r.id = s.live_revision_id, {items} "
        f"WHERE {port} IN ({placeholders})"
    )
    return sql, list(numbers)


def stories_relating_to(numbers: Iterable[int]) -> set[int]:
    """
    Ports whose live stories list one of these as a related port (with its
    service names): read from the live versions readers see, not the
    editors' copy, which may have dropped or added one since.
    """
    numbers = sorted(set(numbers))
    if not numbers:
        return set()
    sql, params = _relating_sql(numbers)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {port for _kind, port in cursor.fetchall()} - set(numbers)


def neighbour_ports(numbers: Iterable[int], registered: list[int]) -> set[int]:
    """
    Ports whose "Nearby registered ports" may list one of these, given the
    sorted starts of all registered ranges. A page lists the three nearest
    registered ports on each side within its range class, so these are the
    ports from the third registered port below each number up to just before
    the fourth above (wide ranges can hide nearer ones from the list below a
    port: one more is allowed on that side).
    """
    found = set()
    for number in sorted(set(numbers)):
        low, high = RANGE_BOUNDS[range_class_for(number)]
        below = bisect.bisect_left(registered, number)
        above = bisect.bisect_right(registered, number)
        start = registered[below - 3] if below >= 3 else low
        end = registered[above + 3] - 1 if above + 3 < len(registered) else high
        found.update(range(max(start, low), min(end, high) + 1))
        if len(found) > BULK_PORTS:
            break
    return found


def registry_changed(ranges: Iterable[tuple[int | None, int | None]]) -> list[str]:
    """
    An import changed registry entries on these (low, high) ranges: the
    pages of the ports they cover, of the ports near them (their neighbour
    lists) and of stories that list them as related ports (their service
    names), and the listings. Nothing when no range changed.
    """
    from ports.models import Assignment

    ranges = list(ranges)
    if not ranges:
        return []
    touched = ports_in_ranges(ranges)
    if len(touched) > BULK_PORTS:
        return ports_changed(touched)
    # One query: the starts of registered ranges, and the live stories
    # relating to the touched ports.
    relating_sql, relating_params = _relating_sql(sorted(touched))
    sql = (
        f"SELECT 0, port_low FROM {Assignment._meta.db_table} "  # noqa: S608
        "WHERE status = %s AND port_low IS NOT NULL GROUP BY port_low "
        f"UNION ALL {relating_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [AssignmentStatus.ASSIGNED.value, *relating_params])
        rows = cursor.fetchall()
    registered, relating = [], set()
    for row_kind, number in rows:
        if row_kind:
            relating.add(number)
        else:
            registered.append(number)
    registered.sort()
    return ports_changed(touched | neighbour_ports(touched, registered) | relating)

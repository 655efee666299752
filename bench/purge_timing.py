"""
How long after a publish's commit readers see the new version through the
front cache: publishes a new title of a story `rounds` times, each time
reading the page through Varnish until the title shows, and prints the
times in milliseconds, one per line.

Usage (with the benchmark's environment: DATABASE_URL, REDIS_URL and
FRONT_CACHE_LOCATIONS naming the Varnish at `front`):
    python bench/purge_timing.py <front base URL> <port> <rounds>
"""

import sys
import time
import urllib.request

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from ports.editorial import actions  # noqa: E402
from ports.models import Story  # noqa: E402

TIMEOUT_SECONDS = 10


def fresh_after(url, title, committed):
    deadline = committed + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as response:
            if title in response.read().decode():
                return time.monotonic() - committed
        time.sleep(0.001)
    raise SystemExit(f"{url} still lacks {title!r} after {TIMEOUT_SECONDS} s")


def main():
    front, port, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    url = f"{front}/ports/{port}/"
    for number in range(rounds):
        urllib.request.urlopen(url, timeout=5).read()  # in the front cache
        title = f"Purge timing {number} {time.time_ns()}"
        committed = []
        with translation.override("en"), transaction.atomic():
            # Registered first, so it runs first after the commit, before
            # the purge the publish registers.
            transaction.on_commit(lambda at=committed: at.append(time.monotonic()))
            story = Story.objects.get(port_id=port)
            story.title = title
            story.save()
            actions.story_publish(story=story, by=None)
        print(f"{fresh_after(url, title, committed[0]) * 1000:.2f}", flush=True)


if __name__ == "__main__":
    main()

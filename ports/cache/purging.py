"""
Purging: the tags a change touched, dropped from every cache that may hold
them.

`purge(tags)` marks them changed in the app's page cache at once, so the
requests of the transaction making the change see it, and after the commit
again there and in each front cache. A cache that cannot be reached never
fails or holds up the change (front caches get a short timeout): the failure
is logged and the purge retried by a task, a few times over the next half
hour, where the task backend can run tasks later.
"""

import contextlib
import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone

from ports.cache.front import front_caches
from ports.cache.page_cache import PageCache

# Seconds before each retry of a purge that failed.
RETRY_SECONDS = (10, 60, 300, 1800)

logger = logging.getLogger(__name__)


def caches() -> list:
    return [PageCache(), *front_caches()]


def purge(tags) -> None:
    """Drop every cached response tagged with one of `tags`, now and at commit."""
    tags = sorted(set(tags))
    if not tags:
        return
    # A failure here is reported and retried by the purge after commit.
    with contextlib.suppress(Exception):
        PageCache().purge(tags)
    transaction.on_commit(partial(purge_now, tags), robust=True)


def purge_now(tags: list[str]) -> None:
    for target in caches():
        _purge(target, tags, attempt=0)


def _purge(target, tags, *, attempt: int) -> bool:
    try:
        target.purge(tags)
    except Exception as error:
        logger.warning(
            "Purging %s from %s failed (attempt %s): %r",
            " ".join(tags),
            target.name,
            attempt + 1,
            error,
        )
        _retry(target, tags, attempt=attempt + 1)
        return False
    return True


def _retry(target, tags, *, attempt: int) -> None:
    if attempt > len(RETRY_SECONDS):
        logger.error("Gave up purging %s from %s.", " ".join(tags), target.name)
        return
    if not default_task_backend.supports_defer:
        logger.error(
            "Purging %s from %s is not retried: the task backend runs tasks "
            "at once (TASKS_IMMEDIATE).",
            " ".join(tags),
            target.name,
        )
        return
    run_after = timezone.now() + timedelta(seconds=RETRY_SECONDS[attempt - 1])
    try:
        purge_again.using(run_after=run_after).enqueue(
            cache=target.name, tags=tags, attempt=attempt
        )
    except Exception:
        logger.exception("Could not queue the retry of a purge from %s.", target.name)


@task()
def purge_again(*, cache: str, tags: list[str], attempt: int) -> bool:
    """Retry a purge that failed; True when the cache confirmed it."""
    for target in caches():
        if target.name == cache:
            return _purge(target, tags, attempt=attempt)
    logger.warning("No cache %s is configured any more; purge dropped.", cache)
    return False

"""
Long work run by the task worker (`manage.py db_worker`), not in a request.

Arguments and results are JSON, as django.tasks requires. The registry file
an import reads lives in media storage, which every app server and the
worker share.
"""

import contextlib
import datetime
import hashlib

from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.cache import cache
from django.tasks import task
from django.test import Client
from django.urls import translate_url
from django.utils import translation
from django.utils.module_loading import import_string

from ports.registry import importing

PROGRESS_KEY = "tasks:progress:{}"
PROGRESS_SECONDS = 24 * 60 * 60


def stored_registry_file(name: str):
    """The temporary storage holding a previewed registry file."""
    storage_class = import_string(settings.IMPORT_EXPORT_TMP_STORAGE_CLASS)
    return storage_class(name=name, read_mode="rb", encoding=None)


def import_progress(result_id: str) -> tuple[int, int] | None:
    """(rows written, rows to write) of a running import, if it reported any."""
    found = cache.get(PROGRESS_KEY.format(result_id))
    return tuple(found) if found else None


def date_or_none(text: str | None) -> datetime.date | None:
    """A date from a task's JSON arguments."""
    return datetime.date.fromisoformat(text) if text else None


@task(takes_context=True)
def registry_import(
    context,
    *,
    stored_name: str,
    sha256: str,
    file_name: str,
    skip_invalid: bool,
    fingerprint: str,
    user_id: int | None,
    registry_date: str | None = None,
) -> dict:
    """
    Apply a previewed registry file, only if the file and the registry are
    still what was previewed. Returns the outcome: "applied" (with the import
    run), "outdated" (the registry changed: the file stays stored for a new
    preview) or "refused" (nothing was imported; with the import run that
    records the refusal when the file itself was refused, none when the
    stored file is gone or not the one previewed).
    """
    storage = stored_registry_file(stored_name)
    try:
        data = storage.read()
    except OSError:
        return {"outcome": "refused", "message": "The previewed file is gone."}
    if hashlib.sha256(data).hexdigest() != sha256:
        return {
            "outcome": "refused",
            "message": (
                "The stored file is not the one previewed; nothing was imported."
            ),
        }
    progress_key = PROGRESS_KEY.format(context.task_result.id)

    def progress(done, total):
        cache.set(progress_key, [done, total], PROGRESS_SECONDS)

    try:
        plan, run = importing.import_registry(
            data,
            file_name=file_name,
            user=_user(user_id),
            skip_invalid=skip_invalid,
            registry_date=date_or_none(registry_date),
            expected_fingerprint=fingerprint,
            progress=progress,
        )
    except importing.PlanOutdated as outdated:
        return {"outcome": "outdated", "message": str(outdated)}
    except importing.ImportRefused as refused:
        storage.remove()
        run = importing.record_refused(
            file_name=file_name,
            reason=str(refused),
            sha256=sha256,
            invalid=refused.invalid,
            user=_user(user_id),
        )
        return {"outcome": "refused", "message": str(refused), "run": run.pk}
    storage.remove()
    if user_id is not None:
        LogEntry.objects.log_actions(
            user_id,
            [run],
            ADDITION,
            change_message=(
                f"Imported {run.file_name} (SHA-256 {run.sha256}): {plan.summary()}"
            ),
        )
    return {"outcome": "applied", "run": run.pk, "summary": plan.summary()}


def _user(user_id):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


@task()
def warm_pages(
    *, host: str, paths: list[str], languages: list[str], secure: bool = True
) -> dict:
    """
    Fill the page cache: each path (given in the default language) requested
    as an anonymous reader would, once per language, through the whole site
    (so exactly the entries readers' requests will find). Returns the number
    of pages warmed and the paths that did not answer 200.
    """
    client = Client(HTTP_HOST=host)
    warmed, failed = 0, []
    for language in languages:
        for path in paths:
            # The page's address in that language (its language prefix); the
            # path is read as the default language's, whatever the last
            # request left active.
            with translation.override(settings.LANGUAGE_CODE):
                path = translate_url(path, language)
            response = client.get(path, secure=secure, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code == 200:
                warmed += 1
            else:
                failed.append(f"{language} {path} {response.status_code}")
    return {"warmed": warmed, "failed": failed}


@task()
def export_open_data() -> dict:
    """
    Write the open data's downloads again (ports.api.datasets), then purge
    their cached copies. Returns the files written.
    """
    from ports.api import datasets
    from ports.api.receivers import EXPORT_QUEUED_KEY
    from ports.cache import tags
    from ports.cache.purging import purge

    # From now on a change may not be in this export: let it queue the next.
    # With Redis down, changes queue their exports regardless.
    with contextlib.suppress(Exception):
        cache.delete(EXPORT_QUEUED_KEY)
    package = datasets.export_datasets(base_url=settings.SITE_URL)
    purge([tags.DATA])
    return {"files": [resource["path"] for resource in package["resources"]]}

"""
The latest export of the open data at /data/ (ports.api.datasets): an index
of its files, and each file with an ETag and Last-Modified for 304s, shared
with caches under the "data" tag, which an export purges when it is done.
"""

import hashlib
import json
from pathlib import Path

from django.http import FileResponse, Http404, JsonResponse
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from ports.api import datasets
from ports.cache import tags
from ports.cache.headers import share

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}


def _package() -> dict | None:
    try:
        return json.loads((datasets.export_dir() / datasets.PACKAGE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _missing(message):
    return JsonResponse({"detail": message}, status=404)


@require_safe
def index(request):
    """What the latest export holds, with each file's address, size and hash."""
    package = _package()
    if package is None:
        return _missing("No export has been written yet.")
    files = [
        {
            "name": resource["path"],
            "url": request.build_absolute_uri(resource["path"]),
            "title": resource["title"],
            "format": resource["format"],
            "bytes": resource["bytes"],
            "hash": resource["hash"],
        }
        for resource in package["resources"]
    ]
    answer = {
        "title": package["title"],
        "description": package["description"],
        "created": package["created"],
        "datapackage": request.build_absolute_uri(datasets.PACKAGE_FILE),
        "licenses": package["licenses"],
        "files": files,
    }
    response = JsonResponse(answer, json_dumps_params={"ensure_ascii": False})
    return share(request, response, tags=tags.DATA_TAGS)


@require_safe
def download(request, name):
    """
    One file of the latest export: only those its package names. Its ETag
    is its SHA-256 as the package gives it, so an export that writes the
    same bytes again keeps it.
    """
    package = _package()
    hashes = {}
    if package is not None:
        hashes = {r["path"]: r["hash"] for r in package["resources"]}
    if name not in hashes and name != datasets.PACKAGE_FILE:
        return _missing(f"No file {name!r} in the open data: see /data/.")
    path = datasets.export_dir() / name
    # Opened after the package was read: an export in between gives newer
    # bytes under the older hash, which the next request corrects, never
    # older bytes under the newer hash, which a cache would keep.
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404("Gone since the index was read.") from None
    stat = Path(handle.name).stat()
    if name in hashes:
        etag = hashes[name].removeprefix("sha256:")
    else:  # the package itself, a small file
        etag = hashlib.sha256(handle.read()).hexdigest()
        handle.seek(0)
    response = FileResponse(handle, content_type=CONTENT_TYPES[path.suffix])
    response["ETag"] = f'"{etag}"'
    response["Last-Modified"] = http_date(stat.st_mtime)
    return share(request, response, tags=tags.DATA_TAGS)

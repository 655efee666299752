"""
The downloads: the open data as files, CSV and JSON, described by a
Frictionless Data Package (datapackage.json with a Table Schema per table),
and the registry in IANA's own layout.

Written into DATA_EXPORT_DIR, each file under a temporary name first and
then renamed over the old one, so a reader never gets half a file;
datapackage.json, written last, describes the files beside it. Served at
/data/ (ports.api.downloads).
"""

import csv
import hashlib
import itertools
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from ports.api import data
from ports.registry import iana_csv
from ports.registry.resources import AssignmentResource

IANA_FILE = "service-names-port-numbers.csv"
PACKAGE_FILE = "datapackage.json"
IANA_TERMS = "https://www.iana.org/help/licensing-terms"
# Rows read from the database at a time.
BATCH = 2000


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    # (column, Table Schema type, description)
    fields: tuple
    licence: dict


REGISTRY_LICENCE = {
    "name": "IANA",
    "path": IANA_TERMS,
    "title": "IANA's terms for its registries' data",
}
SITE_LICENCE = {
    "name": "portwiki",
    "title": "The editors' content: cite the permanent address of a story version",
}

TEXT = "string"
REGISTRY_COLUMNS = (
    ("service_name", TEXT, "Service name; empty for unnamed entries."),
    ("transport", TEXT, "tcp, udp, sctp, dccp or empty."),
    ("port_low", "integer", "First port; empty for entries without ports."),
    ("port_high", "integer", "Last port (equal to port_low for one port)."),
    ("description", TEXT, ""),
    ("assignee", TEXT, ""),
    ("contact", TEXT, ""),
    ("registration_date", TEXT, "YYYY-MM or YYYY-MM-DD, as IANA writes it."),
    ("modification_date", TEXT, "YYYY-MM or YYYY-MM-DD, as IANA writes it."),
    ("reference", TEXT, ""),
    ("service_code", TEXT, ""),
    ("unauthorized_use", TEXT, ""),
    ("assignment_notes", TEXT, ""),
    ("status", TEXT, "assigned, reserved, unassigned or withdrawn."),
    ("withdrawn_at", "datetime", "When an import found it gone from the registry."),
    ("created_at", "datetime", "When it was first imported."),
    ("updated_at", "datetime", "When an import last changed it."),
)
TABLES = (
    Table(
        "registry",
        "IANA's port number registry",
        "Every entry of IANA's Service Name and Transport Protocol Port Number "
        "Registry as imported, withdrawn ones too. Text that a spreadsheet would "
        "run as a formula starts with an apostrophe in the CSV.",
        REGISTRY_COLUMNS,
        REGISTRY_LICENCE,
    ),
    Table(
        "registry-history",
        "Registry changes",
        "What each import changed, oldest first.",
        (
            ("kind", TEXT, "added, changed, withdrawn or restored."),
            ("fields", "object", "Changed fields: name → [old, new]."),
            ("port_low", "integer", ""),
            ("port_high", "integer", ""),
            ("service_name", TEXT, ""),
            ("transport", TEXT, ""),
            ("recorded_at", "datetime", "When the import recorded it."),
            ("registry_date", "date", "The registry's own date of that file."),
        ),
        REGISTRY_LICENCE,
    ),
    Table(
        "known-uses",
        "Known uses",
        "Reviewed uses of ports outside the registry, from the live stories.",
        (
            ("port", "integer", ""),
            ("kind", TEXT, "unofficial or malware."),
            ("name", TEXT, ""),
            ("description", TEXT, ""),
            ("source_title", TEXT, ""),
            ("source_url", TEXT, ""),
        ),
        SITE_LICENCE,
    ),
    Table(
        "observed",
        "Observed use",
        "Ports as nmap's open-frequency table and a services file know them.",
        (
            ("source", TEXT, "nmap or services."),
            ("port", "integer", ""),
            ("transport", TEXT, ""),
            ("name", TEXT, ""),
            ("aliases", "array", "Other names (services file)."),
            ("frequency", "number", "nmap: share of scanned hosts it was open on."),
            ("frequency_rank", "integer", "nmap: 1 for the most often open."),
            ("comment", TEXT, ""),
            ("source_date", "date", "The source file's date."),
            ("imported_at", "datetime", ""),
        ),
        {"name": "sources", "title": "nmap's and the services file's own terms"},
    ),
    Table(
        "stories",
        "Live stories",
        "The live stories' English titles and summaries, addresses and dates.",
        (
            ("port", "integer", ""),
            ("title", TEXT, ""),
            ("summary", TEXT, ""),
            ("url", TEXT, "The port's page."),
            ("version", "integer", "The live version's number."),
            ("version_url", TEXT, "The live version's permanent address."),
            ("version_published_at", "datetime", "When that version first went live."),
            ("published_at", "datetime", "When the story was first published."),
            ("updated_at", "datetime", "When the live version went live."),
            ("last_reviewed_at", "datetime", ""),
        ),
        SITE_LICENCE,
    ),
)


def export_dir() -> Path:
    return Path(settings.DATA_EXPORT_DIR)


def _rows(table: Table, addresses: data.Addresses):
    if table.name == "registry":
        rows = data.assignments().iterator(chunk_size=BATCH)
        return (data.registry_row(row) for row in rows)
    if table.name == "registry-history":
        return data.changes().iterator(chunk_size=BATCH)
    if table.name == "known-uses":
        return ({"port": port, **use} for port, use in data.live_known_uses())
    if table.name == "observed":
        return data.observed().iterator(chunk_size=BATCH)
    return _story_rows(addresses)


def _story_rows(addresses: data.Addresses):
    """The live stories' rows, read and numbered a batch at a time."""
    rows = data.live_stories().iterator(chunk_size=BATCH)
    for batch in itertools.batched(rows, BATCH):
        yield from data.story_summaries(batch, addresses=addresses)


_ENCODER = DjangoJSONEncoder()


def _cell(value, kind):
    """A CSV cell: JSON for lists and objects, ISO for times, formula-safe text."""
    if value is None:
        return ""
    if kind in ("object", "array"):
        return iana_csv.escape_formula(json.dumps(value, ensure_ascii=False))
    if kind in ("datetime", "date"):
        return _ENCODER.default(value)
    if isinstance(value, str):
        return iana_csv.escape_formula(value)
    return str(value)


class _Writer:
    """Files written beside their final names, then renamed over them."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.written = []

    def open(self, name: str, **options):
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
        self.written.append((temporary, name))
        return os.fdopen(handle, "w", encoding="utf-8", **options)

    def commit(self):
        for temporary, name in self.written:
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.directory / name)

    def discard(self):
        for temporary, _name in self.written:
            Path(temporary).unlink(missing_ok=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_table(table: Table, rows, writer: _Writer) -> None:
    """
    A table's CSV and JSON, both written as its rows are read: no table is
    held in memory whole.
    """
    names = [name for name, _kind, _text in table.fields]
    kinds = {name: kind for name, kind, _text in table.fields}
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    with (
        writer.open(f"{table.name}.csv", newline="") as csv_out,
        writer.open(f"{table.name}.json") as json_out,
    ):
        table_csv = csv.writer(csv_out, lineterminator="\r\n")
        table_csv.writerow(names)
        json_out.write("[")
        for index, row in enumerate(rows):
            table_csv.writerow(_cell(row[n], kinds[n]) for n in names)
            if index:
                json_out.write(", ")
            json_out.write(encoder.encode({name: row[name] for name in names}))
        json_out.write("]")


def write_iana_csv(out) -> None:
    """The current registry in IANA's layout, as the admin's export gives it."""
    out.write(AssignmentResource().export().csv)


def export_datasets(*, base_url: str, directory: Path | None = None) -> dict:
    """
    Write every table as CSV and JSON, the IANA-layout registry and the
    package describing them. Returns the package.
    """
    directory = directory or export_dir()
    addresses = data.Addresses(base_url.rstrip("/"))
    writer = _Writer(directory)
    try:
        with writer.open(IANA_FILE, newline="") as out:
            write_iana_csv(out)
        for table in TABLES:
            _write_table(table, _rows(table, addresses), writer)
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    package = datapackage(directory)
    package_writer = _Writer(directory)
    with package_writer.open(PACKAGE_FILE) as out:
        json.dump(package, out, ensure_ascii=False, indent=1)
    package_writer.commit()
    return package


def _schema(table: Table) -> dict:
    fields = []
    for name, kind, text in table.fields:
        field = {"name": name, "type": kind}
        if text:
            field["description"] = text
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def datapackage(directory: Path) -> dict:
    """A Frictionless Data Package describing the files in `directory`."""
    resources = [
        {
            "name": "iana-registry",
            "path": IANA_FILE,
            "title": "IANA's registry in its own CSV layout",
            "description": (
                "The current registry as IANA publishes it "
                "(service-names-port-numbers.csv), withdrawn entries left out; it "
                "imports again without changes. Formula-like text starts with '."
            ),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "licenses": [REGISTRY_LICENCE],
        }
    ]
    for table in TABLES:
        for file_format, mediatype in (
            ("csv", "text/csv"),
            ("json", "application/json"),
        ):
            resources.append(
                {
                    "name": f"{table.name}-{file_format}",
                    "path": f"{table.name}.{file_format}",
                    "profile": "tabular-data-resource",
                    "title": table.title,
                    "description": table.description,
                    "format": file_format,
                    "mediatype": mediatype,
                    "encoding": "utf-8",
                    "schema": _schema(table),
                    "licenses": [table.licence],
                }
            )
    for resource in resources:
        path = directory / resource["path"]
        resource["bytes"] = path.stat().st_size
        resource["hash"] = f"sha256:{_digest(path)}"
    return {
        "profile": "data-package",
        "name": "portwiki-open-data",
        "title": "portwiki open data",
        "description": (
            "Network ports: IANA's registry and its history, known uses, observed "
            "use and the live stories' metadata. Registry data is IANA's, under "
            f"its terms ({IANA_TERMS})."
        ),
        "created": _ENCODER.default(timezone.now()),
        "licenses": [REGISTRY_LICENCE, SITE_LICENCE],
        "resources": resources,
    }

"""
Reads written as SQL once, for the pages a cache miss builds most often.

Composing a query through the ORM (and modeltranslation's rewriting of
field names) cost the port page ten times what running its queries did.
These helpers run fixed SQL instead, portable between PostgreSQL and SQLite,
and hand the values through the same converters the ORM applies (dates
stored as text on SQLite, JSON), so the rows read the same either way.
Column and table names come from the models, never from hand-typed strings.

A page's reads go together (`fetch_all`): on PostgreSQL they are sent in one
pipeline, so a page costs one round trip to the database rather than one per
query, and with prepared statements on (settings) each is planned once per
connection rather than on every request.
"""

from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections, router


def table(model) -> str:
    return model._meta.db_table


def column(model, name: str) -> str:
    return model._meta.get_field(name).column


def columns(model, names, alias: str = "") -> str:
    """`alias.col_a, alias.col_b` for these fields, in their order."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + column(model, name) for name in names)


@lru_cache(maxsize=256)
def _converters(connection, fields: tuple):
    # Per connection: the backend's converters are methods of its own
    # operations object, and each thread has its own connection.
    found = []
    for model, name in fields:
        field = model._meta.get_field(name)
        expression = field.get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        )
        found.append((convs, expression))
    return tuple(found)


@lru_cache(maxsize=256)
def _plan(connection, model, fields: tuple):
    """(position, converters, expression) of each value of a row to convert."""
    present = [
        (position, (model, field) if isinstance(field, str) else field)
        for position, field in enumerate(fields)
        if field is not None
    ]
    converters = _converters(connection, tuple(field for _, field in present))
    return [
        (position, convs, expression)
        for (position, _field), (convs, expression) in zip(
            present, converters, strict=True
        )
        if convs
    ]


@dataclass(frozen=True)
class Read:
    """
    One query of a page: rows of `sql`, each value converted as the ORM
    would for the matching entry of `fields`: a field name of `model`, a
    (model, name) pair for a joined table, or None for a value taken as it
    comes.
    """

    model: type
    sql: str
    params: tuple
    fields: tuple

    def convert(self, rows, connection) -> list[list]:
        plan = _plan(connection, self.model, self.fields)
        converted = []
        for row in rows:
            row = list(row)
            for position, convs, expression in plan:
                value = row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[position] = value
            converted.append(row)
        return converted


def fetch_all(reads: list[Read]) -> list[list[list]]:
    """
    The rows of each read, converted, from the database the first read's
    model is read from: on PostgreSQL in one pipeline (one round trip).
    """
    connection = connections[router.db_for_read(reads[0].model)]
    # Django's cursors: queries are logged, wrapped and health-checked as usual.
    cursors = [connection.cursor() for _read in reads]
    try:
        if connection.vendor == "postgresql" and len(reads) > 1:
            with connection.wrap_database_errors, connection.connection.pipeline():
                for cursor, read in zip(cursors, reads, strict=True):
                    cursor.execute(read.sql, read.params)
                results = [cursor.fetchall() for cursor in cursors]
        else:
            results = []
            for cursor, read in zip(cursors, reads, strict=True):
                cursor.execute(read.sql, read.params)
                results.append(cursor.fetchall())
    finally:
        for cursor in cursors:
            cursor.close()
    return [
        read.convert(rows, connection)
        for read, rows in zip(reads, results, strict=True)
    ]


def fetch(model, sql: str, params, fields) -> list[list]:
    """The rows of one read (see Read)."""
    return fetch_all([Read(model, sql, tuple(params), tuple(fields))])[0]


def vendor(model) -> str:
    """The kind of database `model` is read from ("postgresql", "sqlite")."""
    return connections[router.db_for_read(model)].vendor


@lru_cache(maxsize=64)
def _record_class(names: tuple):
    return namedtuple("Record", names)


def records(names, rows) -> list:
    """Rows as named tuples: read-only values, cheaper than model instances."""
    record = _record_class(tuple(names))
    return [record._make(row) for row in rows]


def instances(model, names, rows):
    """Model instances holding only these fields (the rest deferred)."""
    db = router.db_for_read(model)
    # from_db() takes the values in the model's field order.
    attnames = [model._meta.get_field(name).attname for name in names]
    order = [
        attnames.index(field.attname)
        for field in model._meta.concrete_fields
        if field.attname in attnames
    ]
    loaded = [attnames[index] for index in order]
    return [model.from_db(db, loaded, [row[index] for index in order]) for row in rows]

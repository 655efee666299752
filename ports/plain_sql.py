"""
Reads written as SQL once, for the pages a cache miss builds most often.

Composing a query through the ORM (and modeltranslation's rewriting of
field names) cost the port page ten times what running its queries did.
These helpers run fixed SQL instead, portable between PostgreSQL and SQLite,
and hand the values through the same converters the ORM applies (dates
stored as text on SQLite, JSON), so the rows read the same either way.
Column and table names come from the models, never from hand-typed strings.

A page's reads go together (`fetch_all`). On PostgreSQL they become one
statement, each read an array of JSON rows in it: one round trip, one
statement for the server to run (and, with prepared statements on, to plan
once per connection), one result for the driver to decode, where separate
queries cost the driver and the server a tenth of a millisecond each.
"""

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.db import connections, models, router


def table(model) -> str:
    return model._meta.db_table


def column(model, name: str) -> str:
    return model._meta.get_field(name).column


def columns(model, names, alias: str = "") -> tuple[str, ...]:
    """`alias.col` for each of these fields, in their order."""
    prefix = f"{alias}." if alias else ""
    return tuple(prefix + column(model, name) for name in names)


def _fields(model, fields: tuple) -> tuple:
    """Each entry of a read's `fields` as a model field, or None."""
    return tuple(
        None
        if field is None
        else model._meta.get_field(field)
        if isinstance(field, str)
        else field[0]._meta.get_field(field[1])
        for field in fields
    )


@lru_cache(maxsize=256)
def _orm_plan(connection, model, fields: tuple):
    """(position, converters, expression) of each value the ORM converts."""
    plan = []
    for position, field in enumerate(_fields(model, fields)):
        if field is None:
            continue
        expression = field.get_col(field.model._meta.db_table)
        convs = connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        )
        if convs:
            plan.append((position, convs, expression))
    return plan


# Fields whose values JSON carries as the ORM would give them.
_AS_JSON_GIVES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.JSONField,
)


def _from_json(field):
    """How a value of `field` written out as JSON by PostgreSQL reads back."""
    if isinstance(field, models.ForeignKey):
        return _from_json(field.target_field)
    if isinstance(field, models.DateTimeField):
        return datetime.fromisoformat
    if isinstance(field, models.DateField):
        return date.fromisoformat
    if isinstance(field, _AS_JSON_GIVES):
        return None
    # A decimal would come back a float, a UUID or duration as text: refuse
    # rather than hand the page a value the ORM would not.
    raise TypeError(
        f"{field.model.__name__}.{field.name} ({type(field).__name__}) has no "
        "conversion from JSON in ports.plain_sql: add one to _from_json."
    )


@lru_cache(maxsize=256)
def _json_plan(model, fields: tuple):
    return [
        (position, parse)
        for position, field in enumerate(_fields(model, fields))
        if field is not None and (parse := _from_json(field)) is not None
    ]


@dataclass(frozen=True)
class Read:
    """
    One query of a page: `SELECT <columns> <tail>`, where the tail holds
    FROM, WHERE, ORDER BY and LIMIT. Each value is converted as the ORM
    would for the matching entry of `fields`: a field name of `model`, a
    (model, name) pair for a joined table, or None for a value taken as it
    comes (in JSON, as decoded JSON).
    """

    model: type
    columns: tuple
    tail: str
    params: tuple
    fields: tuple

    @property
    def sql(self) -> str:
        return f"SELECT {', '.join(self.columns)} {self.tail}"

    @property
    def json_sql(self) -> str:
        """The rows as one JSON array of arrays, in the read's own order."""
        row = f"json_build_array({', '.join(self.columns)})"
        return f"array_to_json(ARRAY(SELECT {row} {self.tail}))"

    def convert(self, rows, connection) -> list[list]:
        plan = _orm_plan(connection, self.model, self.fields)
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

    def convert_json(self, rows) -> list[list]:
        plan = _json_plan(self.model, self.fields)
        for row in rows:
            for position, parse in plan:
                if row[position] is not None:
                    row[position] = parse(row[position])
        return rows


def fetch_all(reads: list[Read]) -> list[list[list]]:
    """
    The rows of each read, converted, from the database the first read's
    model is read from: on PostgreSQL as one statement.
    """
    connection = connections[router.db_for_read(reads[0].model)]
    # Django's cursor: the query is logged, wrapped and health-checked as usual.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT {', '.join(read.json_sql for read in reads)}",
                [param for read in reads for param in read.params],
            )
            parts = cursor.fetchone()
            return [
                read.convert_json(rows) for read, rows in zip(reads, parts, strict=True)
            ]
        results = []
        for read in reads:
            cursor.execute(read.sql, read.params)
            results.append(read.convert(cursor.fetchall(), connection))
        return results


def fetch(read: Read) -> list[list]:
    """The rows of one read."""
    return fetch_all([read])[0]


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

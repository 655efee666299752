"""
Reads written as SQL once, for the pages a cache miss builds most often.

Composing a query through the ORM (and modeltranslation's rewriting of
field names) cost the port page ten times what running its queries did.
These helpers run fixed SQL instead, portable between PostgreSQL and SQLite,
and hand the values through the same converters the ORM applies (dates
stored as text on SQLite, JSON), so the rows read the same either way.
Column and table names come from the models, never from hand-typed strings.
"""

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


def fetch(model, sql: str, params, fields) -> list[list]:
    """
    Rows of `sql`, run on the database `model` is read from, each value
    converted as the ORM would for the matching entry of `fields`: a field
    name of `model`, a (model, name) pair for a joined table, or None for a
    value taken as it comes.
    """
    alias = router.db_for_read(model)
    fields = tuple(
        None if field is None else (model, field) if isinstance(field, str) else field
        for field in fields
    )
    connection = connections[alias]
    converters = _converters(
        connection, tuple(field for field in fields if field is not None)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    positions = [index for index, field in enumerate(fields) if field is not None]
    plan = [
        (position, convs, expression)
        for position, (convs, expression) in zip(positions, converters, strict=True)
        if convs
    ]
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

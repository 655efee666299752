"""
What the registry import (ports.registry.importing) and the observed-data
import (ports.observed.importing) share: the refusal of a file, and the
table lock that keeps two imports of one kind from interleaving.
"""

from django.db import transaction


class ImportRefused(Exception):
    """
    The file cannot be imported as it is; nothing was changed. `invalid`
    lists a registry file's invalid rows (iana_csv.InvalidRow), if any.
    """

    def __init__(self, message, invalid=()):
        super().__init__(message)
        self.invalid = list(invalid)


def lock_table(model) -> None:
    """
    Hold the model's table lock until the transaction ends.

    PostgreSQL: a table lock that conflicts with itself and with row writes,
    while readers carry on. SQLite locks the whole database at the first write
    of a transaction; a write that changes nothing takes that lock now.
    """
    connection = transaction.get_connection()
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        else:
            cursor.execute(f"UPDATE {table} SET id = id WHERE 0 = 1")

"""
What reader search reads of the registry and observed use, on PostgreSQL: a
materialized view (ports.models.search.RegistrySearchEntry), refreshed by
the imports that change what it is made of.

One row per registry entry (its rows differing only in transport taken as
one), its port's observed names and open frequency joined to it where it
is an assigned single port, and one row per port that only nmap or the
services file name. The document is the entry's own (migration 0005) and
its observed names (weighted as migration 0018 weighs them).
"""

import django.contrib.postgres.fields
import django.contrib.postgres.search
from django.db import migrations, models

VIEW = "ports_registrysearchentry"
CREATE_VIEW = f"""
CREATE MATERIALIZED VIEW {VIEW} AS
WITH observed AS (
    SELECT o.port,
           array_agg(DISTINCT o.transport) AS transports,
           coalesce(max(o.frequency) FILTER (WHERE o.source = 'nmap'), 0) AS frequency,
           jsonb_agg(
               jsonb_build_object(
                   'source', o.source, 'name', o.name,
                   'aliases', o.aliases, 'comment', o.comment
               )
               ORDER BY o.source, o.transport, o.name
           ) AS rows,
           setweight(to_tsvector('english'::regconfig,
                     string_agg(translate(o.name, '/', ' '), ' ')), 'A')
           || setweight(to_tsvector('english'::regconfig, jsonb_agg(o.aliases)), 'A')
           || setweight(to_tsvector('english'::regconfig,
                        string_agg(translate(o.comment, '/', ' '), ' ')), 'B')
               AS document
    FROM ports_observedport o
    JOIN ports_observedrun r ON r.id = o.run_id AND r.current
    GROUP BY o.port
),
registry AS (
    SELECT min(a.id) AS id,
           a.service_name, a.port_low, a.port_high,
           a.description, a.assignee, a.status,
           array_agg(DISTINCT a.transport) AS transports,
           (array_agg(a.search_document ORDER BY a.id))[1] AS own_document
    FROM ports_assignment a
    GROUP BY a.service_name, a.port_low, a.port_high,
             a.description, a.assignee, a.status
)
SELECT r.id, 'registry'::varchar(10) AS source,
       r.service_name, r.port_low, r.port_high,
       r.description, r.assignee, r.status, r.transports,
       coalesce(o.frequency, 0) AS frequency,
       o.rows AS observed,
       r.own_document,
       r.own_document || coalesce(o.document, ''::tsvector) AS document
FROM registry r
LEFT JOIN observed o
    ON o.port = r.port_low AND r.port_high = r.port_low AND r.status = 'assigned'
UNION ALL
SELECT -1 - o.port, 'observed', '', o.port, o.port, '', '', '', o.transports,
       o.frequency, o.rows, ''::tsvector, o.document
FROM observed o
WHERE NOT EXISTS (
    SELECT 1 FROM ports_assignment a
    WHERE a.port_low = o.port AND a.port_high = o.port AND a.status = 'assigned'
)
"""


def create_view(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_VIEW)
    # A unique index lets a refresh run CONCURRENTLY: searches go on
    # reading the old rows while an import's transaction refreshes them.
    schema_editor.execute(f"CREATE UNIQUE INDEX {VIEW}_id ON {VIEW} (id)")
    schema_editor.execute(
        f"CREATE INDEX {VIEW}_document ON {VIEW} USING gin (document)"
    )


def drop_view(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP MATERIALIZED VIEW {VIEW}")


class Migration(migrations.Migration):
    dependencies = [
        ("ports", "0023_import_run_outcome_without_dry_run"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistrySearchEntry",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("source", models.CharField(max_length=10)),
                ("service_name", models.CharField(max_length=255)),
                ("port_low", models.IntegerField()),
                ("port_high", models.IntegerField()),
                ("description", models.TextField()),
                ("assignee", models.TextField()),
                ("status", models.CharField(max_length=10)),
                (
                    "transports",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=4)
                    ),
                ),
                ("frequency", models.FloatField()),
                ("observed", models.JSONField(null=True)),
                ("own_document", django.contrib.postgres.search.SearchVectorField()),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
            options={"db_table": "ports_registrysearchentry", "managed": False},
        ),
        migrations.RunPython(create_view, drop_view, elidable=False),
    ]

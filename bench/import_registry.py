#!/usr/bin/env python
"""
Registry import benchmark on PostgreSQL.

Creates its own database, migrates it, and runs each import as a separate
`manage.py import_registry` process, as an operator would, measuring the
whole process (Python and Django start-up included):

1. full:     the 2024-04-30 file into an empty registry;
2. update:   the 2025-03-28 file on top of it;
3. reimport: the 2025-03-28 file again (nothing changes).

For scale it also times PostgreSQL's own COPY of the 2024-04-30 file into a
plain 12-column table. It prints a table and ends with one line:

    import: full_s=… update_s=… reimport_s=… copy_s=… peak_mb=…

Usage: .venv/bin/python bench/import_registry.py [--keep]
Needs: PostgreSQL at 127.0.0.1:5432 (user postgres) and ../shared/data/.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OLDER = DATA / "service-names-port-numbers-2024-04-30.csv"
NEWER = DATA / "service-names-port-numbers-2025-03-28-LF.csv"
DB_NAME = os.environ.get("BENCH_IMPORT_DB_NAME", "portwiki_bench_import")
SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
DB_URL = f"{SERVER}/{DB_NAME}"
PYTHON = sys.executable

# The targets, for the verdict column.
TARGET_UPDATE_S = 3.0
TARGET_REIMPORT_S = 2.0
TARGET_PEAK_MB = 250.0


def say(message):
    print(message, file=sys.stderr, flush=True)


def environment():
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(DEBUG="true", DATABASE_URL=DB_URL, LOG_LEVEL="WARNING")
    return env


def recreate_database():
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(DB_NAME)
            )
        )
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def drop_database():
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as server:
        server.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(DB_NAME)
            )
        )


def timed_process(*args):
    """Run manage.py ARGS; return (seconds, peak RSS in MB, stdout)."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=environment(),
            stdout=stdout,
            stderr=stderr,
        )
        # Reap this one child ourselves: wait4 gives its own resource usage.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            say(stderr.read().decode())
            raise SystemExit(
                f"manage.py {' '.join(args)} failed with status {process.returncode}"
            )
        # ru_maxrss is in kilobytes on Linux.
        return seconds, usage.ru_maxrss / 1024, stdout.read().decode()


def copy_seconds(path, repeat=3):
    """COPY of the file into a plain 12-column table: median and first seconds."""
    data = path.read_bytes()
    columns = ", ".join(f"c{n} text" for n in range(1, 13))
    times = []
    with psycopg.connect(DB_URL) as connection:
        connection.execute(f"CREATE TABLE bench_copy ({columns})")
        connection.commit()
        for _ in range(repeat):
            connection.execute("TRUNCATE bench_copy")
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                with cursor.copy(
                    "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy:
                    copy.write(data)
                rows = cursor.rowcount
            connection.commit()
            times.append(time.perf_counter() - started)
        connection.execute("DROP TABLE bench_copy")
        connection.commit()
    return statistics.median(times), times[0], rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep", action="store_true", help="keep the benchmark database"
    )
    options = parser.parse_args()
    for path in (OLDER, NEWER):
        if not path.exists():
            raise SystemExit(
                f"{path.name} is not in {DATA}: the benchmark needs the real files"
            )

    say(f"creating database {DB_NAME} and migrating")
    recreate_database()
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment(),
        check=True,
    )
    startup_s, startup_mb, _ = timed_process("import_registry", "--help")

    steps = [
        ("full", OLDER, {"new": 14447, "changed": 0, "withdrawn": 0}),
        ("update", NEWER, {"new": 46, "changed": 19, "withdrawn": 19}),
        ("reimport", NEWER, {"new": 0, "changed": 0, "withdrawn": 0}),
    ]
    results = {}
    for label, path, expected in steps:
        say(f"{label}: import_registry {path.name}")
        seconds, peak_mb, out = timed_process("import_registry", str(path), "--json")
        counts = json.loads(out)
        found = {name: counts[name] for name in expected}
        if found != expected:
            raise SystemExit(
                f"{label}: expected {expected}, the import reported {found}"
            )
        records = sum(counts[name] for name in ("new", "changed", "unchanged"))
        results[label] = (path, records, seconds, peak_mb)

    say("COPY into a plain 12-column table")
    copy_s, copy_first_s, copy_rows = copy_seconds(OLDER)
    full_target = 5 * copy_s + 3

    targets = {
        "full": full_target,
        "update": TARGET_UPDATE_S,
        "reimport": TARGET_REIMPORT_S,
    }
    peak = max(peak_mb for *_, peak_mb in results.values())
    print(f"Registry import benchmark (PostgreSQL, {os.cpu_count()} cores)")
    print(
        f"{'step':<9} {'file':<45} {'records':>7} {'seconds':>7} {'rec/s':>7} "
        f"{'peak MB':>7} {'xCOPY':>6}  target"
    )
    for label, (path, records, seconds, peak_mb) in results.items():
        met = seconds < targets[label] and peak_mb < TARGET_PEAK_MB
        print(
            f"{label:<9} {path.name:<45} {records:>7} {seconds:>7.2f} "
            f"{records / seconds:>7.0f} {peak_mb:>7.0f} {seconds / copy_s:>6.0f}  "
            f"< {targets[label]:.2f} s {'met' if met else 'MISSED'}"
        )
    print(
        f"{'copy':<9} {OLDER.name:<45} {copy_rows:>7} {copy_s:>7.3f} "
        f"{copy_rows / copy_s:>7.0f}  (median of 3; first {copy_first_s:.3f} s)"
    )
    print(
        f"{'startup':<9} {'manage.py import_registry --help':<45} {'':>7} "
        f"{startup_s:>7.2f}"
    )
    print(
        f"targets: full < 5 x COPY + 3 s = {full_target:.2f} s, update < "
        f"{TARGET_UPDATE_S:.0f} s, reimport < {TARGET_REIMPORT_S:.0f} s, "
        f"peak < {TARGET_PEAK_MB:.0f} MB"
    )
    print(
        f"import: full_s={results['full'][2]:.2f} update_s={results['update'][2]:.2f} "
        f"reimport_s={results['reimport'][2]:.2f} copy_s={copy_s:.3f} "
        f"peak_mb={peak:.0f}"
    )
    if not options.keep:
        drop_database()


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""
Load and faults: readers vote and read while the registry is imported and
PostgreSQL is stopped and started again underneath the site.

Builds a PostgreSQL database (the 2024-04-30 registry from ../shared/data and
generated stories), serves the site under gunicorn with production settings,
and sends, from CLIENTS concurrent clients on loopback, VOTES feedback votes
(each from a different reader) and READS page reads, mixed, bounded in time.
While that runs:

1. the 2025-03-28 registry is imported (`manage.py import_registry`), and the
   pages go on answering;
2. PostgreSQL is stopped for OUTAGE seconds and started again: pages that need
   the database answer a plain 503 meanwhile, and the site recovers by itself.

Then it checks that no answer was a 500 (503 only while the database was
away), and that every vote answered as accepted is in the database exactly
once. PostgreSQL is started again whatever happens. Prints its figures and
one summary line:

    load_faults: requests=<n> seconds=<s> rps=<r> accepted_votes=<n> lost=<n>
    duplicated=<n> server_errors=<n> outage_503=<n> recovery_s=<s> ok=<bool>

Usage: .venv/bin/python bench/load_faults.py [--votes 5000] [--reads 20000]
       [--clients 64] [--stories 300] [--outage 3] [--no-restart]
Needs: PostgreSQL at 127.0.0.1:5432 (Debian's pg_ctlcluster to restart it).
Exit status 1 when a check fails.
"""

import argparse
import http.client
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from urllib.parse import urlencode

from servers import PYTHON, ROOT, Server, build_database, say, status

DATA = ROOT.parent / "shared" / "data"
OLDER = DATA / "service-names-port-numbers-2024-04-30.csv"
NEWER = DATA / "service-names-port-numbers-2025-03-28-LF.csv"
DB_NAME = os.environ.get("LOAD_DB_NAME", "portwiki_hostile")
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
PORT = int(os.environ.get("LOAD_PORT", "8131"))
DEADLINE_SECONDS = 600
REQUEST_TIMEOUT = 20
SECRET_KEY = "load-faults-" + "Vb8s2Kq7" * 8
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 reader-{}"

ENV = {
    **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}},
    "DEBUG": "false",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": DB_URL,
    "SECURE_SSL_REDIRECT": "false",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "ERROR",
    "REDIS_URL": "",
}


def manage(*args, **kwargs):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, **kwargs
    )


# PostgreSQL ------------------------------------------------------------------------


def cluster():
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def postgres(action):
    # pg_ctlcluster stops in fast mode: open connections (the site keeps
    # them) are closed, not waited for.
    subprocess.run([*cluster(), action], check=True, capture_output=True, timeout=120)


def postgres_up():
    import psycopg

    try:
        with psycopg.connect(
            "postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2
        ):
            return True
    except psycopg.Error:
        return False


def ensure_postgres_running():
    """Whatever happened, leave the shared PostgreSQL service running."""
    if postgres_up():
        return
    say("Starting PostgreSQL again …")
    subprocess.run([*cluster(), "start"], capture_output=True, timeout=120)
    for _ in range(60):
        if postgres_up():
            return
        time.sleep(0.5)
    say("PostgreSQL did not come back: start it by hand!")


def prepare_database(stories):
    """
    A fresh database of the older registry and its stories, with the static
    files collected and planner statistics taken: the ports of the published
    stories.
    """
    import psycopg

    build_database(DB_NAME, OLDER, stories, ENV)
    manage("collectstatic", "--noinput", stdout=subprocess.DEVNULL)
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("ANALYZE")
        story_ports = [
            row[0]
            for row in conn.execute(
                "SELECT port_id FROM ports_story WHERE live_revision_id IS NOT NULL"
            )
        ]
    return story_ports


# The site --------------------------------------------------------------------------


def site(workers, threads):
    command = [
        PYTHON, "-m", "gunicorn", "portwiki.wsgi",
        "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{PORT}",
        "--timeout", "60", "--access-logfile", "/dev/null",
    ]  # fmt: skip
    return Server(
        "gunicorn",
        command,
        port=PORT,
        ready=lambda: status(PORT, "/robots.txt") == 200,
        env=ENV,
        log="load-faults-gunicorn.log",
    )


def request(method, path, *, body=None, headers=None, connection=None):
    conn = connection or http.client.HTTPConnection(
        "127.0.0.1", PORT, timeout=REQUEST_TIMEOUT
    )
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, dict(response.getheaders())
    finally:
        if connection is None:
            conn.close()


# Load ------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (kind, status, started, seconds, detail)
        self.accepted = []  # (port, user agent)
        self.outage_pages = []

    def add(self, kind, status, started, seconds, detail=""):
        with self.lock:
            self.rows.append((kind, status, started, seconds, detail))


def client(number, tasks, results, deadline):
    """One reader's browser: votes and page reads."""
    while time.monotonic() < deadline:
        try:
            kind, port, index = tasks.get_nowait()
        except queue.Empty:
            return
        started = time.monotonic()
        try:
            if kind == "read":
                status, body, _headers = request(
                    "GET",
                    f"/ports/{port}/",
                    headers={"User-Agent": BROWSER.format(f"r{number}")},
                )
                if status == 503:
                    with results.lock:
                        results.outage_pages.append(body[:2000])
                results.add("read", status, started, time.monotonic() - started)
                continue
            agent = BROWSER.format(f"v{index}")
            status, body, headers = request(
                "POST",
                f"/ports/{port}/feedback/",
                body=urlencode({"helpful": "yes"}),
                headers={
                    "User-Agent": agent,
                    "Content-Type": "application/x-www-form-urlencoded",
                    # What a browser says of a form posted from the page.
                    "Sec-Fetch-Site": "same-origin",
                    "Origin": f"http://127.0.0.1:{PORT}",
                },
            )
            location = headers.get("Location", "")
            accepted = status == 302 and "thanks=1" in location
            if accepted:
                with results.lock:
                    results.accepted.append((port, agent))
            results.add("vote", status, started, time.monotonic() - started, location)
        except (OSError, http.client.HTTPException) as error:
            results.add(kind, 0, started, time.monotonic() - started, repr(error))


def percentile(values, share):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))]


# The run ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=5000)
    parser.add_argument("--reads", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--stories", type=int, default=300)
    parser.add_argument("--outage", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-restart", action="store_true")
    args = parser.parse_args()
    for path in (OLDER, NEWER):
        if not path.exists():
            sys.exit(f"{path.name} is not in ../shared/data/ beside the project")

    try:
        return run(args)
    finally:
        ensure_postgres_running()


def run(args):
    story_ports = prepare_database(args.stories)
    rng = random.Random(8)
    vote_ports = [rng.choice(story_ports) for _ in range(args.votes)]
    tasks = queue.Queue()
    items = [("vote", port, index) for index, port in enumerate(vote_ports)]
    # Reads: story pages (mostly cached after the first) and ports nobody
    # asked for yet (uncached: they need the database).
    for index in range(args.reads):
        cached = rng.random() < 0.6
        port = rng.choice(story_ports) if cached else rng.randint(1, 65535)
        items.append(("read", port, index))
    rng.shuffle(items)
    for item in items:
        tasks.put(item)
    total = len(items)
    results = Results()
    events = {}

    with site(args.workers, args.threads):
        say(f"{args.clients} clients: {args.votes} votes and {args.reads} reads …")
        start = time.monotonic()
        deadline = start + DEADLINE_SECONDS
        threads = [
            threading.Thread(
                target=client, args=(n, tasks, results, deadline), daemon=True
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()

        def done():
            return len(results.rows)

        # 1. An import while readers read and vote.
        while done() < total * 0.2 and time.monotonic() < deadline:
            time.sleep(0.05)
        say("Importing the 2025-03-28 registry during the load …")
        events["import_start"] = time.monotonic()
        importer = subprocess.run(
            [PYTHON, "manage.py", "import_registry", str(NEWER)],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=300,
        )
        events["import_end"] = time.monotonic()
        events["import_summary"] = (importer.stdout.strip().splitlines() or [""])[-1]
        events["import_status"] = importer.returncode

        # 2. PostgreSQL away and back.
        if not args.no_restart:
            while done() < total * 0.5 and time.monotonic() < deadline:
                time.sleep(0.05)
            say(f"Stopping PostgreSQL for {args.outage:g} s …")
            events["db_stop"] = time.monotonic()
            try:
                postgres("stop")
                events["db_stopped"] = time.monotonic()
                time.sleep(args.outage)
            finally:
                postgres("start")
            events["db_started"] = time.monotonic()
            say("PostgreSQL is back.")

        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - start
        unfinished = tasks.qsize()

    return report(args, results, events, start, elapsed, unfinished)


def stored_votes():
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        return conn.execute(
            "SELECT port_id, client_hash FROM ports_feedbackvote WHERE day = %s",
            [date.today()],
        ).fetchall()


def reader_hashes(accepted):
    """The hashes the site stored for these readers (ports.reader.feedback)."""
    os.environ.update(ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portwiki.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from ports.reader.feedback import reader_hash

    day = timezone.localdate()
    return [
        (port, reader_hash(address="127.0.0.1", user_agent=agent, day=day))
        for port, agent in accepted
    ]


def report(args, results, events, start, elapsed, unfinished):
    rows = results.rows
    stop = events.get("db_stop")
    started = events.get("db_started")

    def in_outage(row):
        # From the stop command to a few seconds after the start: requests
        # that began meanwhile may have met a database that was away.
        return stop is not None and stop - 1 <= row[2] <= started + 10

    by_status = Counter(row[1] for row in rows)
    server_errors = [row for row in rows if row[1] >= 500 and row[1] != 503]
    stray_503 = [row for row in rows if row[1] == 503 and not in_outage(row)]
    outage_503 = [row for row in rows if row[1] == 503 and in_outage(row)]
    failures = [row for row in rows if row[1] == 0]
    plain_503 = all(
        b"Briefly unavailable" in page and b"<script" not in page
        for page in results.outage_pages
    )

    recovery = None
    if started is not None:
        # A vote always writes, so the first one accepted after the start is
        # when the site worked with the database again.
        back = sorted(
            row[2] + row[3]
            for row in rows
            if row[0] == "vote" and row[1] == 302 and row[2] >= started
        )
        recovery = (back[0] - started) if back else None

    during_import = [
        row for row in rows if events["import_start"] <= row[2] <= events["import_end"]
    ]
    import_reads = [row[3] for row in during_import if row[0] == "read"]

    accepted = reader_hashes(results.accepted)
    stored = Counter(stored_votes())
    lost = [vote for vote in accepted if stored[vote] == 0]
    duplicated = [vote for vote, count in stored.items() if count > 1]
    unconfirmed = sum(stored.values()) - len(set(accepted))

    reads = [row[3] for row in rows if row[0] == "read" and row[1] == 200]
    votes = [row[3] for row in rows if row[0] == "vote"]
    out = print
    rate = len(rows) / elapsed
    out(
        f"requests          {len(rows)} in {elapsed:.1f} s ({rate:.0f}/s), "
        f"{args.clients} clients, {unfinished} not sent before the deadline"
    )
    out(f"statuses          {dict(sorted(by_status.items()))}")
    out(
        f"reads 200         p50 {percentile(reads, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(reads, 0.99) * 1000:.0f} ms"
    )
    out(
        f"votes             {len(votes)} sent, {len(accepted)} accepted, "
        f"p50 {percentile(votes, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(votes, 0.99) * 1000:.0f} ms"
    )
    out(
        f"import            {events['import_end'] - events['import_start']:.1f} s, "
        f"exit {events['import_status']}: {events['import_summary']}; "
        f"{len(during_import)} requests meanwhile, reads p99 "
        f"{percentile(import_reads, 0.99) * 1000:.0f} ms, "
        f"{sum(1 for row in during_import if row[1] >= 500)} 5xx"
    )
    if stop is not None:
        out(
            f"database outage   stopped {events['db_stopped'] - stop:.1f} s after the "
            f"command, away {started - events['db_stopped']:.1f} s; {len(outage_503)} "
            f"answers 503 (plain page: {plain_503}); recovered "
            f"{recovery if recovery is None else round(recovery, 2)} s after start"
        )
    out(
        f"votes in database {sum(stored.values())}: every accepted vote once: "
        f"lost {len(lost)}, duplicated {len(duplicated)}; {unconfirmed} stored "
        f"though answered otherwise (their answer never came)"
    )
    out(
        f"server errors     {len(server_errors)} (5xx other than 503), 503 outside "
        f"the outage {len(stray_503)}, connection failures {len(failures)}"
    )
    ok = (
        not server_errors
        and not stray_503
        and not lost
        and not duplicated
        and not failures
        and unfinished == 0
        and events["import_status"] == 0
        and plain_503
        and (stop is None or (recovery is not None and recovery < 10))
    )
    out(
        f"load_faults: requests={len(rows)} seconds={elapsed:.1f} "
        f"rps={len(rows) / elapsed:.0f} accepted_votes={len(accepted)} "
        f"lost={len(lost)} duplicated={len(duplicated)} "
        f"server_errors={len(server_errors)} outage_503={len(outage_503)} "
        f"recovery_s={'-' if recovery is None else f'{recovery:.2f}'} ok={ok}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

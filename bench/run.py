#!/usr/bin/env python
"""
Production-like benchmark of the reader site.

Builds a PostgreSQL database with the full 2025-03-28 registry (from
../shared/data) and generated published stories, serves the site under
gunicorn with production settings (DEBUG off, whitenoise, Redis cache), and
loads it with wrk from a second process on loopback, bounded in time. Prints
requests per second and p50/p99 latency per scenario, each as a ratio to a
minimal Django view under the same server and to nginx serving a saved copy
of a port page (a view with one primary-key query and a 20 KB template is
measured beside them, for reference), and ends with one summary line:

    bench: front=<÷nginx> cached=<÷minimal> uncached=<÷minimal>
           search_p99_ms=<ms> search_top3=<rate> api_p99_ms=<ms> purge_ms=<ms>
           errors=<count>

"front" is a port page through Varnish (deploy/varnish/portwiki.vcl) in
front of the server with the page cache; "purge_ms" the median time from a
publish's commit to the new version through Varnish; "search_p99_ms" the
p99 of searches on the server without the page cache, "search_top3" the
share of everyday queries whose expected port search lists among its first
three results (ports.reader.search_relevance, with nmap's nmap-services and
/etc/services imported where installed), "api_p99_ms" that of the API's
port answers (/api/v1/ports/<number>, 4 clients; target < 50 ms).

Usage: .venv/bin/python bench/run.py [--reuse] [--duration 4] [--rounds 5]
       [--stories 2000]
Needs: PostgreSQL at 127.0.0.1:5432, Redis at 127.0.0.1:6379, Debian's wrk,
nginx, varnish and varnish-modules.
"""

import argparse
import contextlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from servers import PYTHON, ROOT, Server, build_database, say, status, varnish
from story_words import TRANSLATED_WORDS, UNSPACED

REGISTRY_FILE = (
    ROOT.parent / "shared" / "data" / "service-names-port-numbers-2025-03-28-LF.csv"
)
# What the world runs beside the registry, as Debian installs it (nmap-common,
# netbase); search ranks with it.
OBSERVED_FILES = {
    "nmap": Path("/usr/share/nmap/nmap-services"),
    "services": Path("/etc/services"),
}
DB_NAME = os.environ.get("BENCH_DB_NAME", "portwiki_bench")
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SEARCH_CONCURRENCY = 4

# The scenarios, in the order of the table.
MINIMAL = "minimal view (20 KB)"
ONE_QUERY = "one-query view (20 KB)"
UNCACHED = "port page, uncached"
CACHED = "port page, cached"
CACHED_GZIP = "port page, cached, gzip"
NO_STORY = "port without story"
SEARCH = "search (4 clients)"
SEARCH_UNCACHED = "search, uncached"
API_UNCACHED = "port API, uncached"
API_CONCURRENCY = 4
NGINX = "nginx static copy"
FRONT = "port page, front cache"
# Each run's table is kept here.
RESULTS = ROOT / "bench" / "results"
PURGE_ROUNDS = 20

BASE_ENV = {
    **{
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}
    },
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "x7Qp2Lr9" * 8,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": DB_URL,
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
}


def manage(*args, env=None, **kwargs):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**BASE_ENV, **(env or {})},
        check=True,
        **kwargs,
    )


def database_ready(expected_stories):
    import psycopg

    try:
        with psycopg.connect(DB_URL, connect_timeout=3) as conn:
            live = conn.execute(
                "SELECT count(*) FROM ports_story WHERE live_revision_id IS NOT NULL"
            ).fetchone()[0]
            return live >= expected_stories
    except psycopg.Error:
        return False


def analyze():
    """
    Planner statistics and visibility maps, as autovacuum keeps them on a
    running site: a freshly built database holds the dead row versions its
    build left (each story is created, then updated as it is published),
    and index-only scans read the table until a vacuum marks its pages
    all-visible.
    """
    import psycopg

    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def sample_paths():
    """Port pages with and without stories, and search queries."""
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        story_ports = [r[0] for r in conn.execute("SELECT port_id FROM ports_story")]
        revisions = [r[0] for r in conn.execute("SELECT id FROM ports_storyrevision")]
        assigned = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT port_low FROM ports_assignment "
                "WHERE port_low = port_high AND status = 'assigned'"
            )
        ]
        words = [
            r[0]
            for r in conn.execute(
                "SELECT description FROM ports_assignment "
                "WHERE length(description) BETWEEN 8 AND 40 LIMIT 400"
            )
        ]
    no_story = sorted(set(assigned) - set(story_ports)) + list(range(60000, 60100))
    rng = random.Random(6335)
    queries = []
    for description in rng.sample(words, 100):
        tokens = list(re.findall(r"[A-Za-z]{4,}", description))[:2]
        if tokens:
            queries.append("/search/?q=" + "+".join(tokens))
    # Readers of the translated stories search in their language: two of the
    # stories' words (one where words are not separated).
    for code, text in TRANSLATED_WORDS.items():
        vocabulary = text.split()
        for _ in range(15):
            chosen = rng.sample(vocabulary, 1 if code in UNSPACED else 2)
            queries.append(f"/{code}/search/?q=" + quote_plus(" ".join(chosen)))
    return {
        "story": [
            f"/ports/{n}/" for n in rng.sample(story_ports, min(500, len(story_ports)))
        ],
        "no_story": [f"/ports/{n}/" for n in rng.sample(no_story, 500)],
        "search": queries,
        # The API's port answers: ports with stories and without, alike.
        "api": [
            f"/api/v1/ports/{n}"
            for n in rng.sample(story_ports, min(250, len(story_ports)))
            + rng.sample(no_story, 250)
        ],
        "one_query": [
            f"/_bench/one-query/{pk}/"
            for pk in rng.sample(revisions, min(500, len(revisions)))
        ],
    }


def server(name, command, port, **env):
    return Server(
        name,
        command,
        port=port,
        # Up once it answers at all, whatever the status.
        ready=lambda: status(port, "/") is not None,
        env={**BASE_ENV, **env},
        log=f"bench-{name}.log",
    )


def gunicorn(name, port, **env):
    return server(
        name,
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portwiki.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        ],  # fmt: skip
        port,
        **{"ROOT_URLCONF": "bench_urls", "REDIS_URL": REDIS_URL, **env},
    )


def nginx(port, root):
    conf = Path(root) / "nginx.conf"
    conf.write_text(
        f"""
worker_processes 2;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        root {root}/site;
        location / {{ try_files $uri ${{uri}}index.html =404; }}
    }}
}}
"""
    )
    return server(
        "nginx", ["/usr/sbin/nginx", "-c", str(conf), "-g", "daemon off;"], port
    )


def wrk(url_base, paths, *, duration, concurrency, headers=()):
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    quoted = ",".join(f'"{p}"' for p in paths)
    script.write_text(
        f"paths = {{{quoted}}}\n"
        "math.randomseed(6335)\n"
        "request = function()\n"
        "  return wrk.format('GET', paths[math.random(#paths)])\n"
        "end\n"
    )
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(concurrency),
            "-d",
            f"{duration}s",
            "--timeout",
            "5s",
            "--latency",
            *(item for header in headers for item in ("-H", header)),
            "-s",
            str(script),
            url_base,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    )
    script.unlink()
    return parse_wrk(result.stdout)


def _ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def parse_wrk(output):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output)[1])
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output)[1])
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def summarise(rounds):
    """
    One row per scenario from rounds of every scenario in turn: the median
    round's requests per second and p50, the worst round's p99, all errors,
    and each ratio the median of the ratios within a round, so that a
    machine slowing down or speeding up between rounds moves both sides of
    a ratio alike.
    """
    summary = {}
    for name in rounds[0]:
        runs = [r[name] for r in rounds]
        summary[name] = {
            "rps": statistics.median(run["rps"] for run in runs),
            "p50": statistics.median(run["p50"] for run in runs),
            "p99": max(run["p99"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
            "to_minimal": statistics.median(
                r[name]["rps"] / r[MINIMAL]["rps"] for r in rounds
            ),
            "to_nginx": statistics.median(
                r[name]["rps"] / r[NGINX]["rps"] for r in rounds
            ),
        }
    return summary


def warm(base, paths, *, gzip=False):
    """Ask for each page once (compressed, with `gzip`), as readers had."""
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    for path in paths:
        request = urllib.request.Request(base + path, headers=headers)
        urllib.request.urlopen(request, timeout=10).read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reuse", action="store_true", help="Keep an existing bench database."
    )
    parser.add_argument(
        "--duration", type=int, default=4, help="Seconds per scenario and round."
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="Rounds of every scenario in turn."
    )
    parser.add_argument("--stories", type=int, default=2000)
    args = parser.parse_args()
    if args.duration < 1 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1")

    if not REGISTRY_FILE.exists():
        sys.exit(f"{REGISTRY_FILE} is missing: the benchmark needs ../shared/data.")
    for tool in ("wrk", "/usr/sbin/nginx", "varnishd"):
        if not shutil.which(tool):
            sys.exit(
                f"{tool} is not installed "
                "(apt-get install wrk nginx varnish varnish-modules)."
            )

    if args.reuse and database_ready(args.stories):
        # A kept database still gets the migrations added since it was built.
        manage("migrate", "--noinput", stdout=subprocess.DEVNULL)
    else:
        build_database(DB_NAME, REGISTRY_FILE, args.stories, BASE_ENV)
    for source, path in OBSERVED_FILES.items():
        if path.exists():  # a repeat import changes nothing
            manage("import_observed", source, str(path), stdout=subprocess.DEVNULL)
    # Freshly loaded tables have no statistics until autovacuum gets to them,
    # and the planner then picks bitmap scans and sorts over index scans.
    analyze()
    search_top3 = search_relevance()
    manage("collectstatic", "--noinput", stdout=subprocess.DEVNULL)
    commands = ROOT / "ports" / "management" / "commands"
    if (commands / "compile_translations.py").exists():  # message catalogues
        manage("compile_translations", stdout=subprocess.DEVNULL)
    subprocess.run(
        ["redis-cli", "-n", "7", "FLUSHDB"], stdout=subprocess.DEVNULL, check=False
    )
    paths = sample_paths()
    load_before = os.getloadavg()[0]

    front_base = "http://127.0.0.1:8104"
    with contextlib.ExitStack() as servers:
        # Publishing through either purges the Varnish in front of "cached".
        cached = servers.enter_context(
            gunicorn("cached", 8101, FRONT_CACHE_LOCATIONS=front_base)
        )
        uncached = servers.enter_context(
            gunicorn("uncached", 8102, PAGE_CACHE_SECONDS="0")
        )
        cached_base = f"http://127.0.0.1:{cached.port}"
        uncached_base = f"http://127.0.0.1:{uncached.port}"
        # The page cache keeps a copy per encoding: both, as readers ask.
        warm(cached_base, paths["story"])
        warm(cached_base, paths["story"], gzip=True)
        warm(cached_base, paths["no_story"])
        warm(cached_base, paths["search"])
        root = servers.enter_context(tempfile.TemporaryDirectory())
        os.chmod(root, 0o755)  # nginx's and Varnish's workers are unprivileged
        servers.enter_context(
            varnish(port=8104, backend_port=8101, workdir=Path(root) / "varnish")
        )
        warm(front_base, paths["story"])
        # Cache off, but a running site's connections have their statements
        # prepared and PostgreSQL its indexes in memory.
        warm(uncached_base, paths["story"][:60] + paths["search"] + paths["api"][:60])
        saved_page = urllib.request.urlopen(cached_base + paths["story"][0]).read()
        target = Path(root) / "site" / paths["story"][0].strip("/")
        target.mkdir(parents=True)
        (target / "index.html").write_bytes(saved_page)
        static = servers.enter_context(nginx(8103, root))
        static_base = f"http://127.0.0.1:{static.port}"

        story, gzip = paths["story"], ["Accept-Encoding: gzip"]
        scenarios = [
            (MINIMAL, cached_base, ["/_bench/minimal/"], CONCURRENCY, ()),
            (ONE_QUERY, uncached_base, paths["one_query"], CONCURRENCY, ()),
            (UNCACHED, uncached_base, story, CONCURRENCY, ()),
            (CACHED, cached_base, story, CONCURRENCY, ()),
            (CACHED_GZIP, cached_base, story, CONCURRENCY, gzip),
            (NO_STORY, cached_base, paths["no_story"], CONCURRENCY, ()),
            (SEARCH, cached_base, paths["search"], SEARCH_CONCURRENCY, ()),
            (SEARCH_UNCACHED, uncached_base, paths["search"], SEARCH_CONCURRENCY, ()),
            (API_UNCACHED, uncached_base, paths["api"], API_CONCURRENCY, ()),
            (FRONT, front_base, story, CONCURRENCY, ()),
            (NGINX, static_base, [paths["story"][0]], CONCURRENCY, ()),
        ]
        rounds = []
        for number in range(1, args.rounds + 1):
            say(f"round {number} of {args.rounds} …")
            rounds.append(
                {
                    name: wrk(
                        base,
                        scenario_paths,
                        duration=args.duration,
                        concurrency=concurrency,
                        headers=headers,
                    )
                    for name, base, scenario_paths, concurrency, headers in scenarios
                }
            )
        say(f"timing {PURGE_ROUNDS} publishes through Varnish …")
        purge_ms = purge_timing(front_base, paths["story"][-1], front_base)

    summary = summarise(rounds)
    lines = [
        f"{'scenario':<25} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'÷ minimal':>9} {'÷ nginx':>8} {'errors':>6}"
    ]
    for name, row in summary.items():
        lines.append(
            f"{name:<25} {row['rps']:>9.0f} {row['p50']:>8.2f} {row['p99']:>8.2f} "
            f"{row['to_minimal']:>9.2f} {row['to_nginx']:>8.3f} {row['errors']:>6}"
        )
    by_round = {
        name: " ".join(f"{r[name]['rps'] / r[MINIMAL]['rps']:.2f}" for r in rounds)
        for name in (UNCACHED, CACHED)
    }
    front_by_round = " ".join(
        f"{r[FRONT]['rps'] / r[NGINX]['rps']:.2f}" for r in rounds
    )
    lines += [
        "",
        f"{WORKERS} gunicorn workers, {CONCURRENCY} connections "
        f"({SEARCH_CONCURRENCY} for search, {API_CONCURRENCY} for the API); "
        f"{args.rounds} rounds of "
        f"{args.duration} s per scenario (req/s, p50 and ratios: the median "
        f"round; p99: the worst); ÷ minimal by round: uncached "
        f"{by_round[UNCACHED]}, cached {by_round[CACHED]}; ÷ nginx by round: "
        f"front {front_by_round}; purge: {PURGE_ROUNDS} publishes, commit to "
        f"fresh page through Varnish; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after",
        "",
        summary_line(summary, purge_ms, search_top3),
    ]
    report = "\n".join(lines)
    print(f"\n{report}")
    RESULTS.mkdir(exist_ok=True)
    kept = RESULTS / f"{time.strftime('%Y-%m-%dT%H%M%S')}.txt"
    kept.write_text(f"{report}\n")
    say(f"kept in {kept.relative_to(ROOT)}")


def purge_timing(front_base, path, front_location):
    """Median milliseconds from a publish's commit to the new page via Varnish."""
    port = int(path.strip("/").split("/")[-1])
    result = subprocess.run(
        [
            PYTHON,
            str(ROOT / "bench" / "purge_timing.py"),
            front_base,
            str(port),
            str(PURGE_ROUNDS),
        ],
        cwd=ROOT,
        env={
            **BASE_ENV,
            "REDIS_URL": REDIS_URL,
            "FRONT_CACHE_LOCATIONS": front_location,
            "DJANGO_SETTINGS_MODULE": "portwiki.settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return statistics.median(float(line) for line in result.stdout.split())


def search_relevance():
    """The top-3 hit rate of search's everyday queries on the bench database."""
    say("measuring search relevance …")
    result = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "search_relevance.py")],
        cwd=ROOT,
        env={**BASE_ENV, "DJANGO_SETTINGS_MODULE": "portwiki.settings"},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return float(result.stdout.split()[-1])


def summary_line(summary, purge_ms, search_top3):
    errors = sum(row["errors"] for row in summary.values())
    return (
        f"bench: front={summary[FRONT]['to_nginx']:.2f} "
        f"cached={summary[CACHED]['to_minimal']:.2f} "
        f"uncached={summary[UNCACHED]['to_minimal']:.2f} "
        f"search_p99_ms={summary[SEARCH_UNCACHED]['p99']:.1f} "
        f"search_top3={search_top3:.2f} "
        f"api_p99_ms={summary[API_UNCACHED]['p99']:.1f} "
        f"purge_ms={purge_ms:.1f} errors={errors}"
    )


if __name__ == "__main__":
    main()

"""
What the benchmarks run against: a fresh PostgreSQL database of the registry
and its stories, and a server process that lives for a `with` block.

The scripts beside this file import it by its plain name: Python puts the
folder of the script it runs first on sys.path.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432"
START_SECONDS = 30
STOP_SECONDS = 30


def say(message):
    """Progress for whoever runs a benchmark, on stderr, apart from the figures."""
    print(message, file=sys.stderr, flush=True)


def build_database(name, registry, stories, env):
    """
    Database `name`, dropped if it was there, migrated, with the registry
    file imported and `stories` published stories generated.

    `env` is the benchmark's environment: its DATABASE_URL names this database.
    """
    import psycopg

    say(f"Creating database {name} …")
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def manage(*args):
        subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    manage("migrate", "--noinput")
    published = re.search(r"\d{4}-\d{2}-\d{2}", registry.name)[0]
    say(f"Importing the {published} registry …")
    manage("import_registry", str(registry))
    say(f"Generating {stories} published stories …")
    subprocess.run(
        [PYTHON, str(ROOT / "bench" / "generate_stories.py"), str(stories)],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portwiki.settings"},
        check=True,
    )


def status(port, path):
    """The status a GET of `path` on loopback answers with; None if none came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


class Server:
    """
    A server process for the length of a `with` block, up once `ready()` is
    true. It runs in a session of its own so that stopping it stops the
    workers it forked as well; its stderr goes to the file `log` in the
    temporary folder.
    """

    def __init__(self, name, command, *, port, ready, env, log):
        self.name, self.command, self.port = name, command, port
        self.ready, self.env = ready, env
        self.log = Path(tempfile.gettempdir()) / log
        self.process = None

    def __enter__(self):
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.ready():
                return self
            time.sleep(0.25)
        self.__exit__()
        raise RuntimeError(
            f"{self.name} did not start on port {self.port}; see {self.log}"
        )

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


VARNISH_VCL = ROOT / "deploy" / "varnish" / "portwiki.vcl"


def varnish(*, port, backend_port, workdir, log="varnish.log"):
    """
    Varnish with the site's VCL (deploy/varnish/portwiki.vcl) on `port`, in
    front of the app server on `backend_port`, its files in `workdir`.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    vcl = workdir / "portwiki.vcl"
    vcl.write_text(
        VARNISH_VCL.read_text().replace('.port = "8000"', f'.port = "{backend_port}"')
    )
    command = [
        "varnishd",
        "-F",  # in the foreground: the process to stop is this one
        "-f", str(vcl),
        "-a", f"127.0.0.1:{port}",
        "-n", str(workdir / "instance"),
        "-s", "malloc,256m",
    ]  # fmt: skip
    return Server(
        "varnish",
        command,
        port=port,
        ready=lambda: status(port, "/robots.txt") is not None,
        env=os.environ.copy(),
        log=log,
    )

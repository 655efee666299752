"""`make run REGISTRY=file` loads a registry file over the demo, once."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.factories import registry_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_run_imports_the_registry_file_it_is_given(tmp_path):
    registry = tmp_path / "registry.csv"
    registry.write_bytes(
        registry_csv(["wholeregistry", "4999", "tcp", "A row only this file has"])
    )
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("REDIS_URL", None)

    def setup():
        return subprocess.run(
            ["make", "-s", "setup-run", f"REGISTRY={registry}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        ).stdout

    first = setup()
    assert "new=1 " in first
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT port_low FROM ports_assignment WHERE service_name = ?",
            ["wholeregistry"],
        ).fetchall()
        stories = connection.execute("SELECT count(*) FROM ports_story").fetchone()
    assert rows == [(4999,)] and stories[0] > 0
    # A second start with the same file changes nothing.
    assert "new=0 changed=0" in setup()

"""
The real registry files in ../shared/data/ beside the project. They are never
copied into the repository: tests that need one skip, saying why, where the
folder is absent.
"""

from pathlib import Path

import pytest
from django.conf import settings

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
OLDER = "service-names-port-numbers-2024-04-30.csv"
NEWER = "service-names-port-numbers-2025-03-28-LF.csv"


def shared_file(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} is not in ../shared/data/ beside the project")
    return path

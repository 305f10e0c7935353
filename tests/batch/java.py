"""Whether the Spark tests can run: they need a Java runtime, skipped without one on a developer's
machine, required in CI (``HUIQI_REQUIRE_SPARK=1``), where a missing runtime is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def has_java() -> bool:
    home = os.environ.get("JAVA_HOME")
    return shutil.which("java") is not None or (home is not None and Path(home, "bin", "java").exists())


if not has_java() and os.environ.get("HUIQI_REQUIRE_SPARK") == "1":
    raise RuntimeError("HUIQI_REQUIRE_SPARK=1 but no Java runtime: no `java` on PATH and no JAVA_HOME")

needs_java = pytest.mark.skipif(
    not has_java(), reason="Spark needs a Java runtime: no `java` on PATH and no JAVA_HOME")

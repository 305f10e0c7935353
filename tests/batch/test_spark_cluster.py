"""`huiqi match` and `huiqi simulate` on a real Spark cluster give DuckDB's rows.

A standalone master and one worker are started from the installed pyspark (its ``spark-class``,
``SPARK_HOME`` pointing at the package) on 127.0.0.1, on free ports, with their logs and work
folders under the test's temporary folder; both are stopped however the test ends. The commands
run as a user runs them (``--engine spark --spark-master spark://127.0.0.1:PORT``), the executor
in the worker's own JVM reading and writing the population's Parquet, and every row is compared
with the DuckDB run of the same command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyspark
import pytest
from typer.testing import CliRunner

from huiqi.batch.population import parquet_source
from huiqi.cli import app
from tests.batch.java import needs_java

pytestmark = needs_java

SPARK_HOME = Path(pyspark.__file__).parent
YEAR = 2025
# A group rule (（二）), the derived size class and the loans, in few measures: every measure is a
# branch of one query that Spark plans for seconds (the local-mode parity test covers them all).
MEASURES = "m02,m05,m22.interest"
REFORM = Path(__file__).parents[2] / "examples" / "reforms" / "rate-60.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _master_state(ui_port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as r:
            return dict(json.load(r))
    except OSError:
        return None


class Cluster:
    """A standalone master and one worker (1 core, 1 GiB) as child processes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port, self.ui_port = _free_port(), _free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.work = root / "work"
        (root / "conf").mkdir(parents=True)
        self.env = {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
                    "SPARK_CONF_DIR": str(root / "conf"), "SPARK_LOG_DIR": str(root / "logs"),
                    "SPARK_WORKER_DIR": str(self.work), "SPARK_NO_DAEMONIZE": "1"}
        self.processes: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, *args: str) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self.processes.append(subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args], env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True))  # its own group: stopped whole

    def start(self, timeout: float = 90) -> None:
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui_port))
        self._start("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--port", str(_free_port()), "--webui-port", str(_free_port()),
                    "--cores", "1", "--memory", "1g", "--work-dir", str(self.work), self.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = _master_state(self.ui_port)
            if state and state.get("aliveworkers") == 1:
                return
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.5)
        logs = "\n".join(f.read_text(errors="replace")[-2000:] for f in self.root.glob("*.log"))
        raise RuntimeError(f"the Spark cluster did not come up with one worker:\n{logs}")

    def stop(self) -> None:
        for p in reversed(self.processes):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def pop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "district"
    result = CliRunner().invoke(app, ["synth", "--out", str(path), "--enterprises", "1000",
                                      "--year", str(YEAR), "--seed", "11"])
    assert result.exit_code == 0, result.output
    return path


def _on_cluster(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    """A huiqi command run as a user runs it, its Spark driver on loopback."""
    done = subprocess.run([sys.executable, "-m", "huiqi", *args, "--engine", "spark",
                           "--spark-master", cluster.url, "--quiet"],
                          capture_output=True, text=True, timeout=600,
                          env={**cluster.env, "COLUMNS": "120"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _rows(path: Path) -> list[tuple[object, ...]]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{parquet_source(path)}') ORDER BY ALL").fetchall()


def _apps(cluster: Cluster) -> list[Path]:
    """The applications whose executors the worker launched."""
    return sorted(cluster.work.glob("app-*")) if cluster.work.exists() else []


def test_match_on_the_cluster_gives_duckdbs_rows(cluster: Cluster, pop: Path, tmp_path: Path) -> None:
    before = _apps(cluster)
    on_spark = _on_cluster(cluster, "match", str(pop), "--measures", MEASURES, "--all",
                           "--out", str(tmp_path / "spark"))
    assert len(_apps(cluster)) == len(before) + 1  # an executor ran on the worker
    duck = CliRunner().invoke(app, ["match", str(pop), "--measures", MEASURES, "--all",
                                    "--out", str(tmp_path / "duck.parquet"), "--quiet"],
                              env={"COLUMNS": "120"})
    assert duck.exit_code == 0, duck.output
    spark_rows, duck_rows = _rows(tmp_path / "spark"), _rows(tmp_path / "duck.parquet")
    assert len(duck_rows) > 1000 and {r[3] for r in duck_rows} >= {"eligible", "ineligible"}
    assert spark_rows == duck_rows

    def table(out: str) -> list[str]:  # the summary's rows (its title has the time and file)
        return [line for line in out.splitlines() if line.startswith("│")]

    assert table(duck.stdout) and table(on_spark.stdout) == table(duck.stdout)


def test_simulate_on_the_cluster_gives_duckdbs_scenarios_and_breakdowns(
        cluster: Cluster, pop: Path, tmp_path: Path) -> None:
    _on_cluster(cluster, "simulate", str(pop), "--reform", str(REFORM), "--measures", MEASURES,
                "--no-charts", "--out", str(tmp_path / "spark"))
    duck = CliRunner().invoke(app, ["simulate", str(pop), "--reform", str(REFORM), "--measures",
                                    MEASURES, "--no-charts", "--out", str(tmp_path / "duck"),
                                    "--quiet"])
    assert duck.exit_code == 0, duck.output
    for name in ("scenarios.parquet", "profile.parquet"):
        spark_rows, duck_rows = _rows(tmp_path / "spark" / name), _rows(tmp_path / "duck" / name)
        assert duck_rows and spark_rows == duck_rows, name
    csvs = sorted(p.name for p in (tmp_path / "duck").glob("*.csv"))
    assert csvs
    for name in csvs:
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "duck" / name).read_bytes()

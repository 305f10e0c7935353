"""Run compiled measures on Spark: the same SQL the calculator runs, over a whole population.

The engine compiles a policy once for the ``pyspark`` dialect (``compile_policy(...,
backend=SPARK)``); ``SparkRunner`` binds the five fact tables as temporary views — from Arrow
tables in memory or from Parquet files the cluster reads itself — and the engine's reference
tables, derives ``sizes`` (the SME size class) exactly as DuckDB does, and runs the query.
Results come back through Spark's own Arrow path (``run``) or stay on the cluster as Parquet
(``write``)::

    compiled = compile_policy(policy(), 2025, backend=SPARK, detail=False)
    with SparkRunner() as spark:
        table = spark.run(compiled, {"subjects": "pop/subjects.parquet", ...})
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Self, TypeAlias

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from huiqi.batch.population import Population
from huiqi.engine.backend import SPARK
from huiqi.engine.evaluate import Compiled, derive_sql, derived_inputs
from huiqi.facts.tables import SCHEMAS

Source: TypeAlias = "pa.Table | str | os.PathLike[str]"  # an Arrow table or a Parquet path
Inputs: TypeAlias = Mapping[str, Source]

# Sensible for one small machine (2 cores; pass ``conf`` for a cluster): few shuffle partitions
# for small joins and group-bys, ANSI mode so that integer overflow and bad casts raise instead
# of wrapping or turning NULL, a fixed time zone so that DATE values never shift, no web UI and
# no ``spark-warehouse`` folder left in the working directory.
SETTINGS: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.warehouse.dir": os.path.join(tempfile.gettempdir(), "huiqi-spark-warehouse"),
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Arrow inputs become distributed data, never a plan-embedded LocalRelation: the measures
    # read ``subjects`` dozens of times and the optimizer would evaluate each copy on the driver.
    "spark.sql.execution.arrow.localRelationThreshold": "0",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


class SparkRunner:
    """A Spark session that runs compiled measures over the five fact tables."""

    def __init__(
        self, master: str = "local[*]", app_name: str = "huiqi",
        *, conf: Mapping[str, str] | None = None,
    ) -> None:
        builder = SparkSession.builder.master(master).appName(app_name)
        for key, value in {**SETTINGS, **(conf or {})}.items():
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self._derive = derive_sql("pyspark")

    def frame(self, compiled: Compiled, inputs: Inputs) -> DataFrame:
        """The result rows as a (lazy) Spark DataFrame."""
        dialect = compiled.ctx.backend.dialect
        if dialect != "pyspark":
            raise ValueError(
                f"compiled for {dialect!r}, expected 'pyspark': compile with backend=SPARK"
            )
        self.bind(inputs)
        return self.spark.sql(compiled.sql)

    def run(self, compiled: Compiled, inputs: Inputs) -> pa.Table:
        """Result rows as an Arrow table, collected through Spark's Arrow path."""
        return self.frame(compiled, inputs).toArrow()

    def write(self, compiled: Compiled, inputs: Inputs, out_path: str | os.PathLike[str]) -> None:
        """Write the result rows as Parquet from the executors (replacing ``out_path``)."""
        self.frame(compiled, inputs).write.mode("overwrite").parquet(os.fspath(out_path))

    def stop(self) -> None:
        """Stop the session (and its JVM's context)."""
        self.spark.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def bind(self, inputs: Inputs) -> None:
        """Register the fact tables, the reference tables and the derived ``sizes`` as views."""
        missing = sorted(set(SCHEMAS) - set(inputs))
        if missing:
            raise ValueError(f"inputs: missing tables {missing}; expected {sorted(SCHEMAS)}")
        for name in SCHEMAS:
            self._load(name, inputs[name]).createOrReplaceTempView(name)
        for name, table in derived_inputs().items():  # reference tables, e.g. SME thresholds
            self.spark.createDataFrame(table).createOrReplaceTempView(name)
        self.spark.sql(self._derive).createOrReplaceTempView("sizes")

    def _load(self, name: str, source: Source) -> DataFrame:
        if isinstance(source, pa.Table):
            # The declared schema (column order and types the SQL expects), in one chunk: Spark
            # makes a partition of every Arrow chunk, and a concatenated table has hundreds.
            schema = SCHEMAS[name]
            table = source.select(schema.names).cast(schema).combine_chunks()
            return self.spark.createDataFrame(table)
        return self.spark.read.parquet(os.fspath(source))


class SparkPopulation:
    """A population on disk run on Spark: the runner ``match`` and ``simulate`` use."""

    backend = SPARK

    def __init__(self, population: Population, master: str | None = None) -> None:
        self.runner = SparkRunner(master or "local[*]")
        self.runner.bind({name: population.file(name) for name in SCHEMAS})

    def write_sql(self, query: str, out: Path,
                  progress: Callable[[float], None] | None = None) -> float:
        """Write a query's rows as Parquet (a folder of part files) from the executors."""
        start = time.perf_counter()
        self.runner.spark.sql(query).write.mode("overwrite").parquet(os.fspath(out))
        return time.perf_counter() - start

    def count(self, compiled: Compiled) -> dict[str, int]:
        rows = self.runner.spark.sql(
            f"SELECT measure, count(*) AS n FROM ({compiled.sql}) AS r GROUP BY measure"
        ).collect()
        return {r["measure"]: int(r["n"]) for r in rows}

    def view(self, name: str, path: Path) -> None:
        self.runner.spark.read.parquet(os.fspath(path)).createOrReplaceTempView(name)

    def close(self) -> None:
        self.runner.stop()


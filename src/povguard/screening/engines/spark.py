"""The cluster engine: PySpark reads the same files and runs the same compiled rules.

Local mode (`local[*]`) by default; `--spark-master URL` for a real cluster. The rule SQL is
the DuckDB-dialect text of `compiler.py`, transpiled by sqlglot; nothing is written twice.
"""

from __future__ import annotations

import operator
import os
from functools import reduce
from typing import Any

import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.interchange.csvlines import EXACT_FLOAT_INTEGERS
from povguard.screening.dataset import SourceFile
from povguard.screening.engines.base import SqlEngine
from povguard.screening.typed import BLANKS, bad_expression, raw_view


def _as_text(column: str, spark_type: str) -> Any:
    """A column's value as the text a CSV file would hold, as `povguard import` reads a Parquet
    file: a timestamp at midnight is its day, a whole float its integer."""
    from pyspark.sql import functions as F

    value = F.col(column)
    text = value.cast("string")
    if spark_type == "timestamp_ntz":
        day = F.date_format(value, "yyyy-MM-dd")
        return F.when(value == F.date_trunc("day", value), day).otherwise(text)
    if spark_type in ("float", "double"):
        whole = (value == F.floor(value)) & (F.abs(value) < float(EXACT_FLOAT_INTEGERS))
        return F.when(whole, value.cast("long").cast("string")).otherwise(text)
    return text


def _session(master: str | None) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the `spark` extra is optional
        raise BadInput("the spark engine needs PySpark: install povguard[spark]") from exc
    builder = (
        SparkSession.builder.master(master or os.environ.get("POVGUARD_SPARK_MASTER", "local[*]"))
        .appName("povguard-screening")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.shuffle.partitions", os.environ.get("POVGUARD_SPARK_PARTITIONS", "8"))
        .config("spark.driver.memory", os.environ.get("POVGUARD_SPARK_DRIVER_MEMORY", "4g"))
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# A column past the header's last one (`SparkEngine._read_csv`).
_EXTRA = "_povguard_extra"


class SparkEngine(SqlEngine):
    """Screens a dataset with Spark SQL."""

    name = "spark"
    dialect = "spark"

    def __init__(self, *, master: str | None = None) -> None:
        self.spark = _session(master)
        self._views: list[str] = []

    def _sql(self, query: str) -> Any:
        from pyspark.errors import PySparkException

        try:
            return self.spark.sql(query)
        except PySparkException as exc:
            raise BadInput(f"spark: {str(exc).splitlines()[0]}") from exc

    def register_raw(self, source: SourceFile) -> None:
        from pyspark.errors import PySparkException
        from pyspark.sql import functions as F

        path = str(source.path)
        if source.is_parquet:
            try:  # Spark cannot read some Parquet types (nanosecond timestamps)
                frame = self.spark.read.parquet(path)
            except PySparkException as exc:
                raise BadInput(f"{path}: spark: {str(exc).splitlines()[0]}") from exc
        else:
            frame = self._read_csv(source)
            # A line of empty cells or blanks is skipped, as import skips it.
            value = (F.col(f"`{c}`").rlike(f"[^{BLANKS}]") for c in source.columns)
            frame = frame.where(reduce(operator.or_, value))
        types = dict(frame.dtypes)
        frame = frame.select([_as_text(f"`{c}`", types[c]).alias(c) for c in source.columns])
        frame.createOrReplaceTempView(raw_view(source))
        self._views.append(raw_view(source))

    def _read_csv(self, source: SourceFile) -> Any:
        """The CSV file's columns as text, empty cells as NULL. PERMISSIVE mode: a line with
        fewer values than the header reads as if its last values were empty, as DuckDB and
        `povguard import` read it; a line with more is refused, as DuckDB refuses it (Spark
        would drop the values past the last column): read with one more column, such a line
        is one whose extra column holds a value."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        columns = [*source.columns, _EXTRA]
        frame = self.spark.read.csv(
            str(source.path), header=True, quote='"', escape='"', mode="PERMISSIVE",
            encoding="UTF-8", nullValue="", emptyValue=None,
            schema=StructType([StructField(c, StringType()) for c in columns]),
        )  # fmt: skip
        first = source.columns[0]
        found = frame.where(F.col(_EXTRA).isNotNull()).select(f"`{first}`").limit(1).collect()
        if found:
            raise BadInput(
                f"{source.path}: the line starting {found[0][0]!r} has more values than the"
                f" header names columns ({len(source.columns)})"
            )
        return frame.drop(_EXTRA)

    def view(self, name: str, query: str) -> None:
        self._sql(query).createOrReplaceTempView(name)
        self._views.append(name)

    def materialize(self, name: str, query: str) -> None:
        self._sql(query).cache().createOrReplaceTempView(name)
        self._views.append(name)

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._sql(query).collect()]

    def arrow(self, query: str) -> pa.Table:
        return self._sql(query).toArrow()

    def register_table(self, name: str, types: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
        from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType

        spark_types = {"VARCHAR": StringType(), "BIGINT": LongType(), "BOOLEAN": BooleanType()}
        schema = StructType([StructField(c, spark_types[t]) for c, t in types.items()])
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)
        self._views.append(name)

    def first_bad_row(self, source: SourceFile) -> tuple[str, str]:
        found = self.rows(
            self.sql(
                f"SELECT _bad FROM (SELECT {bad_expression(source)} AS _bad"
                f" FROM {raw_view(source)}) AS checked WHERE _bad IS NOT NULL LIMIT 1"
            )
        )
        return "a row", str(found[0][0])

    def close(self) -> None:
        for view in self._views:
            self.spark.catalog.dropTempView(view)
        self.spark.catalog.clearCache()

"""Measures by region in DuckDB, for national data that does not fit a NumPy array.

`by_region(con, relation, line)` takes any SQL relation with columns (region, income,
weight) and returns, per region, FGT(0, 1, 2), Watts, Gini and Theil T with the same
conventions as `measures.py` (poor = strictly below the line; population Gini; weights =
person weights). `lake_incomes(lake, first, last, depth)` is such a relation over the
imported lake.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from povguard.screening.framestore import ensure_frame
from povguard.screening.lake import provinces

SQL = """
WITH data AS (SELECT region, CAST(income AS DOUBLE) AS y, CAST(weight AS DOUBLE) AS w
              FROM ({relation})),
ranked AS (
  SELECT region, y, w,
    sum(w) OVER (PARTITION BY region ORDER BY y ROWS UNBOUNDED PRECEDING) AS cum_w
  FROM data),
totals AS (SELECT region, sum(w) AS n, sum(w * y) AS total FROM data GROUP BY region)
SELECT r.region,
  sum(CASE WHEN y < {z} THEN w ELSE 0 END) / t.n AS headcount,
  sum(CASE WHEN y < {z} THEN w * ({z} - y) / {z} ELSE 0 END) / t.n AS gap,
  sum(CASE WHEN y < {z} THEN w * pow(({z} - y) / {z}, 2) ELSE 0 END) / t.n AS fgt2,
  CASE WHEN bool_or(y < {z} AND y <= 0) THEN NULL
       ELSE sum(CASE WHEN y < {z} THEN w * ln({z} / y) ELSE 0 END) / t.n END AS watts,
  CASE WHEN t.total = 0 THEN NULL
       ELSE sum(w * y * (2 * cum_w - w)) / (t.n * t.total) - 1 END AS gini,
  CASE WHEN bool_or(y < 0) OR t.total = 0 THEN NULL
       ELSE sum(CASE WHEN y > 0 THEN w * (y * t.n / t.total) * ln(y * t.n / t.total)
                     ELSE 0 END) / t.n END AS theil
FROM ranked r JOIN totals t USING (region)
GROUP BY r.region, t.n, t.total
ORDER BY r.region
"""


def by_region(con: duckdb.DuckDBPyConnection, relation: str, line: float) -> pl.DataFrame:
    """Measures per region of `relation` (SQL yielding region, income, weight)."""
    query = SQL.format(relation=relation, z=repr(float(line)))
    return con.sql(query).pl()


# Over the screening frames (integer keys, income in cents per period): household keys are
# unique within a province, hence the joins on (province, hh).
LAKE_INCOMES = """
WITH members AS (
  SELECT province, hh, count(*) AS size FROM read_parquet({mem}, hive_partitioning = true)
  WHERE inh GROUP BY province, hh),
income AS (
  SELECT province, hh, sum(net_c) / 100.0 AS net
  FROM read_parquet({inc}, hive_partitioning = true)
  WHERE s_mon >= {first} AND e_mon <= {last} GROUP BY province, hh)
SELECT substr(h.village, 1, {depth}) AS region, i.net / m.size AS income, m.size AS weight
FROM read_parquet({hh}, hive_partitioning = true) h
JOIN members m USING (province, hh) JOIN income i USING (province, hh)
"""


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def lake_incomes(
    lake: Path, first: dt.date, last: dt.date, depth: int, province: str | None = None
) -> str:
    """SQL relation (region, income, weight) over the imported lake (or one province of it,
    by its two digits): each household's net income of the income periods lying within the
    months `first`..`last`, per member living in the household, weighted by those members;
    region = the first `depth` digits of its village code. Households without such periods or
    without members living in are left out. Each province has its own monitoring line: measure
    a national lake province by province."""
    chosen = [province] if province is not None else provinces(lake)
    folders = [ensure_frame(lake, code) for code in chosen]

    def files(table: str) -> str:
        return "[" + ", ".join("'" + str(f / f"{table}.parquet").replace("'", "''") + "'"
                               for f in folders) + "]"  # fmt: skip

    return LAKE_INCOMES.format(
        mem=files("mem"), inc=files("inc"), hh=files("hh"), depth=int(depth),
        first=_month_index(first), last=_month_index(last),
    )  # fmt: skip

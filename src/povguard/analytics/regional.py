"""Measures by region in DuckDB, for national data that does not fit a NumPy array.

`by_region(con, relation, line)` takes any SQL relation with columns (region, income,
weight) and returns, per region, FGT(0, 1, 2), Watts, Gini and Theil T with the same
conventions as `measures.py` (poor = strictly below the line; population Gini; weights =
person weights).
"""

from __future__ import annotations

import duckdb
import polars as pl

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

"""Alkire–Foster multidimensional poverty (SPEC §11): H, A, M0 and, for cardinal data, M1, M2.

A person is deprived in a dimension when the achievement is strictly below its cutoff; the
deprivation score c_i is the weighted count of deprivations (weights normalised to sum to 1);
a person is multidimensionally poor when c_i ≥ k (k on the same 0–1 scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

from povguard.core.errors import BadInput


@dataclass(frozen=True)
class AlkireFoster:
    g0: NDArray[np.int8]  # deprivation matrix (n × d), before censoring
    scores: NDArray[np.float64]  # c_i, weighted share of dimensions deprived
    poor: NDArray[np.bool_]
    H: float  # headcount ratio
    A: float  # average intensity among the poor
    M0: float  # adjusted headcount ratio H·A
    M1: float | None  # adjusted poverty gap (cardinal data only)
    M2: float | None  # adjusted FGT (squared gaps)


def normalised_weights(weights: ArrayLike | None, dimensions: int) -> NDArray[np.float64]:
    w = np.full(dimensions, 1 / dimensions) if weights is None else np.asarray(weights, float)
    if w.shape != (dimensions,) or np.any(w < 0) or w.sum() <= 0:
        raise BadInput(f"give {dimensions} non-negative weights, not all zero")
    return w / w.sum()


def from_deprivations(
    g0: ArrayLike, k: float, weights: ArrayLike | None = None, *, gaps: ArrayLike | None = None
) -> AlkireFoster:
    """H, A, M0 (and M1/M2 when normalised `gaps` are given) from a 0/1 deprivation matrix."""
    matrix = np.asarray(g0, dtype=np.int8)
    if matrix.ndim != 2 or matrix.size == 0 or not np.isin(matrix, (0, 1)).all():
        raise BadInput("the deprivation matrix must be a non-empty 0/1 matrix (n × d)")
    w = normalised_weights(weights, matrix.shape[1])
    if not 0 < k <= 1:
        raise BadInput("k must lie in (0, 1] (a share of the weighted dimensions)")
    scores = matrix @ w
    # Tolerance: weights like 1/3 make c_i = k only up to rounding.
    poor = scores >= k - 1e-12
    n, q = matrix.shape[0], int(poor.sum())
    headcount = q / n
    intensity = float(scores[poor].mean()) if q else 0.0
    m1 = m2 = None
    if gaps is not None:
        g1 = np.asarray(gaps, dtype=float) * matrix * poor[:, None]
        m1 = float((g1 @ w).sum() / n)
        m2 = float(((g1**2) @ w).sum() / n)
    return AlkireFoster(matrix, scores, poor, headcount, intensity, headcount * intensity, m1, m2)


def alkire_foster(
    achievements: ArrayLike, cutoffs: ArrayLike, k: float, weights: ArrayLike | None = None
) -> AlkireFoster:
    """Alkire–Foster over an achievement matrix (n × d) and cutoffs z (d)."""
    y = np.asarray(achievements, dtype=float)
    z = np.asarray(cutoffs, dtype=float)
    if y.ndim != 2 or z.shape != (y.shape[1],):
        raise BadInput("achievements must be n × d and cutoffs must have d values")
    deprived = (y < z).astype(np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = np.where(z > 0, np.clip((z - y) / z, 0, 1), deprived.astype(float))
    return from_deprivations(deprived, k, weights, gaps=gaps)


# povguard's five dimensions (SPEC §11) and the per-household indicator each reads:
# 1 when the household is deprived in the dimension, 0 otherwise.
DIMENSIONS = ("income", "education", "medical", "housing", "water")


def household_deprivations(frame: pl.DataFrame) -> NDArray[np.int8]:
    """The deprivation matrix of a frame with one 0/1 (or boolean) column per dimension."""
    missing = [d for d in DIMENSIONS if d not in frame.columns]
    if missing:
        raise BadInput(f"missing deprivation columns: {', '.join(missing)}")
    matrix = frame.select(pl.col(d).cast(pl.Int8) for d in DIMENSIONS).to_numpy()
    return np.asarray(matrix, dtype=np.int8)


def household_poverty(
    frame: pl.DataFrame, *, k: float = 1 / 3, weights: ArrayLike | None = None
) -> AlkireFoster:
    """Alkire–Foster over povguard's five dimensions (equal weights and k = 1/3 by default)."""
    return from_deprivations(household_deprivations(frame), k, weights)

"""Income poverty and inequality measures (SPEC §11), vectorised with NumPy.

Conventions (shared/reference/README.md): a person is poor when income is strictly below the
line z; Sen's index is the 1976 form as Stata's `poverty` computes it (with the q/(q+1)
factor); Gini is the population Gini unless `corrected` (× n/(n−1)); Theil T is GE(1) with
zero incomes contributing 0. Weights are person weights (e.g. household size): every measure
equals the unweighted measure of the data with each observation repeated `weight` times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from povguard.core.errors import BadInput

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class Sample:
    """Incomes sorted ascending with their weights (validated)."""

    y: Vector
    w: Vector

    @property
    def total_weight(self) -> float:
        return float(self.w.sum())


def sample(incomes: ArrayLike, weights: ArrayLike | None = None) -> Sample:
    """Validate and sort incomes (finite numbers) and weights (finite, ≥ 0, not all 0)."""
    y = np.asarray(incomes, dtype=np.float64).ravel()
    if y.size == 0:
        raise BadInput("no incomes")
    if not np.all(np.isfinite(y)):
        raise BadInput("incomes must be finite numbers")
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != y.shape:
        raise BadInput(f"{w.size} weights for {y.size} incomes")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise BadInput("weights must be finite and not negative")
    if w.sum() <= 0:
        raise BadInput("weights must not all be zero")
    order = np.argsort(y, kind="stable")
    return Sample(y[order], w[order])


def _line(z: float) -> float:
    if not math.isfinite(z) or z <= 0:
        raise BadInput("the poverty line must be a positive number")
    return float(z)


def fgt(incomes: ArrayLike, z: float, alpha: float, weights: ArrayLike | None = None) -> float:
    """Foster–Greer–Thorbecke P(α): α = 0 headcount, 1 gap, 2 severity."""
    s = sample(incomes, weights)
    return _fgt(s, _line(z), alpha)


def _fgt(s: Sample, z: float, alpha: float) -> float:
    poor = s.y < z
    gaps = (z - s.y[poor]) / z
    terms = np.ones_like(gaps) if alpha == 0 else gaps**alpha
    return float((s.w[poor] * terms).sum() / s.total_weight)


def watts(incomes: ArrayLike, z: float, weights: ArrayLike | None = None) -> float | None:
    """Watts index: mean of ln(z / y) over the poor. None when a poor income is ≤ 0
    (the logarithm is undefined there)."""
    return _watts(sample(incomes, weights), _line(z))


def _watts(s: Sample, z: float) -> float | None:
    poor = s.y < z
    if np.any(s.y[poor] <= 0):
        return None
    # ln z − ln y, not ln(z / y): the ratio overflows for tiny positive incomes.
    return float((s.w[poor] * (math.log(z) - np.log(s.y[poor]))).sum() / s.total_weight)


def sen(incomes: ArrayLike, z: float, weights: ArrayLike | None = None) -> float:
    """Sen (1976) as Stata's `poverty`: 2 / ((q+1) n z) · Σ_{i≤q} (z − y_i)(q + 1 − i),
    the poor ranked from the poorest (i = 1). With weights, an observation of weight w spans
    w consecutive ranks."""
    return _sen(sample(incomes, weights), _line(z))


def _sen(s: Sample, z: float) -> float:
    poor = s.y < z
    y, w = s.y[poor], s.w[poor]
    q = float(w.sum())
    if q == 0:
        return 0.0
    before = np.concatenate(([0.0], np.cumsum(w)[:-1]))  # ranks taken by poorer persons
    # Σ over the ranks r = before+1 … before+w of (q + 1 − r)
    rank_weight = w * (q + 1) - (before * w + w * (w + 1) / 2)
    return float(2 * ((z - y) * rank_weight).sum() / ((q + 1) * s.total_weight * z))


def gini(incomes: ArrayLike, weights: ArrayLike | None = None, *, corrected: bool = False) -> float:
    """Gini coefficient (population form; × n/(n−1) when `corrected`)."""
    return _gini(sample(incomes, weights), corrected=corrected)


def _gini(s: Sample, *, corrected: bool = False) -> float:
    total = float((s.w * s.y).sum())
    if total == 0:
        raise BadInput("the Gini coefficient needs a non-zero total income")
    cumulative = np.cumsum(s.w)
    value = float((s.w * s.y * (2 * cumulative - s.w)).sum() / (s.total_weight * total) - 1)
    if s.y[0] >= 0:
        value = max(value, 0.0)  # equal incomes: rounding must not give -1e-16
    if corrected:
        n = s.y.size
        if n < 2:
            raise BadInput("the corrected Gini needs at least two incomes")
        value *= n / (n - 1)
    return value


def theil(incomes: ArrayLike, weights: ArrayLike | None = None) -> float | None:
    """Theil T = GE(1) = mean of (y/μ) ln(y/μ); zero incomes contribute 0. None with negative
    incomes (undefined)."""
    return _theil(sample(incomes, weights))


def _theil(s: Sample) -> float | None:
    if np.any(s.y < 0):
        return None
    mu = float((s.w * s.y).sum() / s.total_weight)
    if mu == 0:
        return None
    share = s.y / mu
    positive = share > 0
    terms = np.zeros_like(share)
    terms[positive] = share[positive] * np.log(share[positive])
    return float((s.w * terms).sum() / s.total_weight)


def atkinson(incomes: ArrayLike, epsilon: float, weights: ArrayLike | None = None) -> float:
    """Atkinson index with inequality aversion ε (ε = 1: geometric mean)."""
    s = sample(incomes, weights)
    if np.any(s.y <= 0):
        raise BadInput("the Atkinson index needs positive incomes")
    mu = float((s.w * s.y).sum() / s.total_weight)
    if epsilon == 1:
        equally = math.exp(float((s.w * np.log(s.y)).sum() / s.total_weight))
    else:
        power = float((s.w * s.y ** (1 - epsilon)).sum() / s.total_weight)
        equally = power ** (1 / (1 - epsilon))
    return 1 - equally / mu


def herfindahl(incomes: ArrayLike) -> float:
    """Herfindahl concentration: the sum of squared income shares."""
    s = sample(incomes)
    shares = s.y / s.y.sum()
    return float((shares**2).sum())


def rosenbluth(incomes: ArrayLike) -> float:
    """Rosenbluth concentration: 1 / (2 Σ rank·share − 1), the largest income ranked first."""
    s = sample(incomes)
    ranks = np.arange(s.y.size, 0, -1)
    return float(1 / (2 * (ranks * s.y / s.y.sum()).sum() - 1))


MEASURE_KEYS = ("headcount", "gap", "fgt2", "watts", "sen", "gini", "theil")


def summary(
    incomes: ArrayLike, z: float, weights: ArrayLike | None = None
) -> dict[str, float | None]:
    """Every SPEC §11 income measure, as shares (not percentages)."""
    s = sample(incomes, weights)
    line = _line(z)
    total = float((s.w * s.y).sum())
    return {
        "headcount": _fgt(s, line, 0),
        "gap": _fgt(s, line, 1),
        "fgt2": _fgt(s, line, 2),
        "watts": _watts(s, line),
        "sen": _sen(s, line),
        "gini": _gini(s) if total != 0 else None,
        "theil": _theil(s),
    }

"""Measures against published values (shared/reference) and their mathematical properties."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from povguard.analytics import measures as m
from povguard.analytics.multidim import alkire_foster, from_deprivations, household_poverty
from povguard.analytics.regional import by_region
from povguard.core.errors import BadInput
from tests.conftest import REFERENCE


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row.get("status", "ok") != "do_not_use"]


def _incomes(spec: str) -> list[float]:
    if spec.startswith("ilocos_income.csv"):
        province = spec.split("province==")[1].split(",")[0]
        with (REFERENCE / "ilocos_income.csv").open(encoding="utf-8") as handle:
            return [float(r["income"]) / 10000 for r in csv.DictReader(handle)
                    if r["province"] == province]  # fmt: skip
    return [float(v) for v in spec.split(";")]


def _compute(measure: str, y: list[float], z: str, parameter: str, w: list[float] | None) -> float:
    line = float(z) if z else 0.0
    value: float | None
    if measure == "headcount":
        value = m.fgt(y, line, 0, w)
    elif measure == "fgt":
        value = m.fgt(y, line, float(parameter), w)
    elif measure == "watts":
        value = m.watts(y, line, w)
    elif measure == "gini":
        value = m.gini(y, w)
    elif measure == "gini_corrected":
        value = m.gini(y, w, corrected=True)
    elif measure == "atkinson":
        value = m.atkinson(y, float(parameter), w)
    elif measure == "theil_t":
        value = m.theil(y, w)
    elif measure == "herfindahl":
        value = m.herfindahl(y)
    elif measure == "rosenbluth":
        value = m.rosenbluth(y)
    else:
        pytest.skip(f"{measure} is not a SPEC §11 measure")
    assert value is not None
    return value


PIM = _rows("pim_expected.csv")
INEQ = _rows("ineq_examples_expected.csv")


@pytest.mark.parametrize(
    "row", PIM, ids=[f"{r['case']}-{r['measure']}{r['parameter']}" for r in PIM]
)
def test_povertyinequalitymeasures_reference(row: dict[str, str]) -> None:
    weights = [float(v) for v in row["weights"].split(";")] if row["weights"] else None
    got = _compute(row["measure"], _incomes(row["incomes"]), row["poverty_line"],
                   row["parameter"], weights)  # fmt: skip
    expected = float(row["value"])
    assert abs(got - expected) <= float(row["atol"] or 0) + float(row["rtol"] or 0) * abs(expected)


@pytest.mark.parametrize(
    "row", INEQ, ids=[f"{r['case']}-{r['measure']}{r['parameter']}" for r in INEQ]
)
def test_r_ineq_reference(row: dict[str, str]) -> None:
    got = _compute(row["measure"], _incomes(row["incomes"]), row["poverty_line"],
                   row["parameter"], None)  # fmt: skip
    assert abs(got - float(row["value"])) <= float(row["atol"])


def test_sen_is_the_stata_1976_form() -> None:
    # q = 2 poor of n = 4, z = 125: 2 / (3·4·125) · (25·2 + 15·1)
    assert m.sen([100, 110, 150, 160], 125) == pytest.approx(2 / 1500 * 65, abs=1e-15)
    assert m.sen([200, 300], 125) == 0.0


def test_alkire_foster_2011_worked_example() -> None:
    data = json.loads((REFERENCE / "af2011.json").read_text(encoding="utf-8"))
    result = alkire_foster(data["achievement_matrix_y"], data["cutoffs_z"], data["k"]["normalized"])
    expected = data["expected"]
    assert result.g0.tolist() == expected["g0"]
    assert result.poor.tolist() == expected["poor"]
    tol = data["tolerance"]["H_A_M0"]
    assert result.H == pytest.approx(expected["H"], abs=tol)
    assert result.A == pytest.approx(expected["A"], abs=tol)
    assert result.M0 == pytest.approx(expected["M0"], abs=tol)
    derived = data["derived_not_published_here"]
    assert result.M1 == pytest.approx(derived["M1"], abs=1e-12)
    assert result.M2 == pytest.approx(derived["M2"], abs=1e-12)


def test_alkire_foster_mpindex_fixture() -> None:
    data = json.loads((REFERENCE / "af_mpindex_simple.json").read_text(encoding="utf-8"))
    matrix = np.array([data["deprivation_matrix"][c] for c in data["columns_order"]]).T
    result = from_deprivations(matrix, data["poverty_cutoff_k"], data["weights"])
    for key in ("H", "A", "M0"):
        assert getattr(result, key) == pytest.approx(data["expected"][key], rel=1.5e-8)


def test_alkire_foster_over_the_five_household_dimensions() -> None:
    import polars as pl

    frame = pl.DataFrame({"income": [1, 0, 1, 0], "education": [1, 0, 0, 0],
                          "medical": [0, 0, 1, 0], "housing": [0, 1, 1, 0],
                          "water": [0, 0, 1, 0]})  # fmt: skip
    result = household_poverty(frame)  # equal weights, k = 1/3
    assert result.poor.tolist() == [True, False, True, False]
    assert result.H == 0.5 and result.A == pytest.approx((2 / 5 + 4 / 5) / 2)
    with pytest.raises(BadInput, match="missing deprivation columns: water"):
        household_poverty(frame.drop("water"))


incomes = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40)
positive = st.lists(st.floats(min_value=1, max_value=1e6), min_size=2, max_size=40)


@given(incomes, st.floats(min_value=1, max_value=1e6), st.randoms(use_true_random=False))
def test_measures_do_not_depend_on_order(y: list[float], z: float, rnd) -> None:
    shuffled = list(y)
    rnd.shuffle(shuffled)
    for key, value in m.summary(y, z).items():
        other = m.summary(shuffled, z)[key]
        assert (value is None and other is None) or value == pytest.approx(other, abs=1e-9), key


@given(incomes, st.floats(min_value=1, max_value=1e5), st.floats(min_value=0, max_value=1e5))
def test_fgt_does_not_fall_when_the_line_rises(y: list[float], z: float, rise: float) -> None:
    for alpha in (0, 1, 2):
        assert m.fgt(y, z + rise, alpha) >= m.fgt(y, z, alpha) - 1e-12


@given(positive)
def test_gini_lies_in_zero_one_and_theil_is_scale_free(y: list[float]) -> None:
    assert 0 <= m.gini(y) < 1
    assert m.gini([v * 7 for v in y]) == pytest.approx(m.gini(y), abs=1e-9)
    assert m.theil([v * 7 for v in y]) == pytest.approx(m.theil(y), abs=1e-9)


@given(positive, st.lists(st.integers(min_value=0, max_value=4), min_size=40, max_size=40),
       st.floats(min_value=1, max_value=1e6))  # fmt: skip
@settings(max_examples=60)
def test_integer_weights_equal_repeated_observations(y: list[float], counts, z: float) -> None:
    w = counts[: len(y)]
    if sum(w) == 0:
        w[0] = 1
    repeated = [v for v, k in zip(y, w, strict=True) for _ in range(k)]
    weighted, expanded = m.summary(y, z, w), m.summary(repeated, z)
    for key in m.MEASURE_KEYS:
        assert weighted[key] == pytest.approx(expanded[key], rel=1e-9, abs=1e-12), key
    assert m.summary(y, z, [1.0] * len(y)) == pytest.approx(m.summary(y, z))


@given(st.lists(st.tuples(st.sampled_from("ab"), st.floats(min_value=0.5, max_value=1e5),
                          st.integers(min_value=1, max_value=5)), min_size=1, max_size=30),
       st.floats(min_value=1, max_value=1e5))  # fmt: skip
@settings(max_examples=40, deadline=None)  # DuckDB connects per example; slow on a loaded CI
def test_duckdb_by_region_agrees_with_numpy(rows, z: float) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE d (region VARCHAR, income DOUBLE, weight DOUBLE)")
    con.executemany("INSERT INTO d VALUES (?, ?, ?)", rows)
    table = by_region(con, "SELECT * FROM d", z)
    for record in table.iter_rows(named=True):
        part = [(y, w) for r, y, w in rows if r == record["region"]]
        expected = m.summary([y for y, _ in part], z, [w for _, w in part])
        for key in ("headcount", "gap", "fgt2", "watts", "gini", "theil"):
            assert record[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "povguard", "measures", *args],
                          capture_output=True, text=True, check=False)  # fmt: skip


def test_cli_prints_the_seven_measures(tmp_path: Path) -> None:
    data = tmp_path / "incomes.csv"
    data.write_text("household,income,size\nA,100,1\nB,110,1\nC,150,1\nD,160,1\n")
    done = _cli("--incomes", str(data), "--line", "125", "--weights", "size")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["headcount", "gap", "fgt2", "watts", "sen", "gini", "theil"]
    assert result["headcount"] == 0.5 and result["gap"] == pytest.approx(0.08)
    bare = tmp_path / "bare.csv"
    bare.write_text("100\n110\n150\n160\n")
    assert json.loads(_cli("--incomes", str(bare), "--line", "125").stdout) == result


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "no incomes"),
        ("income\n100\nabc\n", [], "line 3: 'abc' is not a number"),
        ("income\n100\nnan\n", [], "not a finite number"),
        ("income,w\n100,1\n110,-1\n", ["--weights", "w"], "negative weight"),
        ("income\n100\n", ["--weights", "w"], "no weights column 'w'"),
        ("a,b\n1,2\n", [], "none named 'income'"),
        ("income\n100\n", ["--line", "0"], "poverty line must be a positive number"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    data = tmp_path / "incomes.csv"
    data.write_text(content)
    line = [] if "--line" in args else ["--line", "125"]
    done = _cli("--incomes", str(data), *line, *args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_cli_without_line_or_file(tmp_path: Path) -> None:
    assert _cli("--incomes", str(tmp_path / "missing.csv"), "--line", "1").returncode == 2
    assert _cli("--incomes", str(tmp_path / "missing.csv")).returncode == 2

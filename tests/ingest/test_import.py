"""Importing SPEC §3 datasets: clean data lands whole, bad data is refused whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from povguard.core.db import engine_for
from povguard.core.uow import unit_of_work
from povguard.households.idnumber import check_char, problem
from povguard.ingest import service
from povguard.ingest.lake import typed
from povguard.ingest.service import ImportRejected, import_dataset
from povguard.ingest.validate import (
    Table,
    _as_text,
    _check_char,
    check_duplicates,
    check_values,
    fits_kind,
    read_table,
)
from povguard.interchange.spec import FILES, Kind
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
TABLES = ("regions", "households", "members")


def _lake_state(lake: Path) -> dict[str, str]:
    return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lake.rglob("*")) if p.is_file()}  # fmt: skip


def _db_state(url: str) -> dict[str, list[tuple[object, ...]]]:
    with engine_for(url).connect() as connection:
        return {t: sorted(tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {t}")))
                for t in TABLES}  # fmt: skip


def test_the_example_imports_whole_and_reimporting_changes_nothing(
    database_url: str, lake: Path
) -> None:
    report = import_dataset(DATASET, lake=lake, database_url=database_url)
    assert report.rows["households"] == 1000 and report.rows["feeds/insurance"] == 6555
    assert report.provinces == {"53"}
    assert sum(report.unmatched.values()) == 8  # one deliberate stranger in 8 feeds
    state = _db_state(database_url)
    assert len(state["households"]) == 1000 and len(state["members"]) == 3281
    medical = pl.read_parquet(lake / "feeds" / "medical" / "province=53")
    assert medical.height + report.unmatched["feeds/medical"] == 731
    assert medical.schema["date"] == pl.Date and medical.schema["out_of_pocket"] == pl.Decimal(
        18, 2
    )
    assert "household_id" in medical.columns
    assert (lake / "unmatched" / "feeds" / "medical" / "part-0.parquet").exists()
    with engine_for(database_url).connect() as connection:
        audited = connection.execute(
            sa.text("SELECT actor, action, entity FROM audit_log WHERE action = 'import'")
        ).all()
    assert [tuple(row) for row in audited] == [("system", "import", "dataset")]
    before = _lake_state(lake)
    import_dataset(DATASET, lake=lake, database_url=database_url)
    assert _db_state(database_url) == state
    assert _lake_state(lake) == before


def test_parquet_datasets_import_alike(database_url: str, lake: Path, tmp_path: Path) -> None:
    parquet = tmp_path / "parquet"
    for csv_file in DATASET.rglob("*.csv"):
        target = parquet / csv_file.relative_to(DATASET).with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        pl.read_csv(csv_file, infer_schema=False).write_parquet(target)
    shutil.copy(DATASET / "policy.yaml", parquet / "policy.yaml")
    report = import_dataset(parquet, lake=lake, database_url=database_url)
    assert report.rows["members"] == 3281


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "bad"
    shutil.copytree(DATASET, target)
    return target


def _edit(path: Path, line: int, column: int, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _member_twin(data: Path) -> None:
    lines = (data / "members.csv").read_text(encoding="utf-8").splitlines()
    twin = lines[1].split(",")
    twin[0], twin[1] = "M9999999", "H000002"
    _append(data / "members.csv", ",".join(twin) + "\n")


CORRUPTIONS: list[tuple[str, Callable[[Path], None], str]] = [
    ("gbk", lambda d: (d / "households.csv").write_bytes("household_id\n云南".encode("gbk")),
     "not UTF-8"),
    ("missing column", lambda d: (d / "feeds" / "health.csv").write_text(
        "record_id,id_number,date\nX,1,2024-01-01\n"), "required column missing"),
    ("unknown column", lambda d: (d / "regions.csv").write_text(
        (d / "regions.csv").read_text().replace("key_county", "key_county,extra", 1)),
     "unknown column"),
    ("bad date", lambda d: _edit(d / "feeds" / "medical.csv", 4, 2, "2024-02-30"), "not a real date"),
    ("bad money", lambda d: _edit(d / "feeds" / "medical.csv", 4, 5, "12.345"), "not a valid money"),
    ("bad bool", lambda d: _edit(d / "members.csv", 3, 9, "yes"), "must be true or false"),
    ("bad enum", lambda d: _edit(d / "members.csv", 3, 7, "boss"), "not one of the allowed values"),
    ("duplicate key", lambda d: _append(d / "feeds" / "housing.csv",
     (d / "feeds" / "housing.csv").read_text().splitlines()[1] + "\n"), "also on line 2"),
    ("overlap", lambda d: _append(d / "income.csv",
     "H000001,2023-08,2023-08,1.00,0,0,0,0,survey\nH000001,2023-07,2023-09,1.00,0,0,0,0,survey\n"),
     "overlaps the period starting"),
    ("check character", lambda d: _edit(d / "members.csv", 2, 2,
     (d / "members.csv").read_text().splitlines()[1].split(",")[2][:17] + "0"),
     "wrong check character"),
    ("birth date", lambda d: _edit(d / "members.csv", 2, 5, "1966-01-10"),
     "differs from the birth date in the ID number"),
    ("same id twice", _member_twin, "ID number in two in-household member rows"),
    ("truncated", lambda d: _append(d / "households.csv", "H009999,5301290"), "looks cut short"),
    ("truncated in an optional value", lambda d: (d / "income.csv").write_text(
        (d / "income.csv").read_text().rstrip("\n").rsplit(",", 1)[0]), "looks cut short"),
    ("empty file", lambda d: (d / "feeds" / "civil.csv").write_text(""), "empty file"),
    ("unknown village", lambda d: _edit(d / "households.csv", 2, 1, "530129999999"), "unknown village"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "corrupt", "reason"), CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS]
)
def test_corrupted_datasets_are_refused_and_nothing_changes(
    database_url: str, lake: Path, tmp_path: Path, label: str,
    corrupt: Callable[[Path], None], reason: str,
) -> None:  # fmt: skip
    import_dataset(DATASET, lake=lake, database_url=database_url)
    db_before, lake_before = _db_state(database_url), _lake_state(lake)
    data = _copy(tmp_path)
    corrupt(data)
    with pytest.raises(ImportRejected) as rejected:
        import_dataset(data, lake=lake, database_url=database_url)
    errors = rejected.value.errors
    assert errors.height >= 1 and errors["reason"].str.contains(reason, literal=True).any(), (
        errors.head(5)
    )
    assert errors["file"].null_count() == 0 and errors["line"].null_count() == 0
    assert _db_state(database_url) == db_before
    assert _lake_state(lake) == lake_before


def test_a_failing_database_commit_puts_the_lake_back(
    database_url: str, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import povguard.ingest.service as service

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database went away")

    original = service.LakeChange.commit

    def commit_then_fail(self: service.LakeChange) -> None:
        original(self)
        explode()

    monkeypatch.setattr(service.LakeChange, "commit", commit_then_fail)
    with pytest.raises(RuntimeError):
        import_dataset(DATASET, lake=lake, database_url=database_url)
    assert list(lake.rglob("*.parquet")) == []
    assert _db_state(database_url)["households"] == []


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_vectorised_check_character_agrees_with_the_python_one(body: str) -> None:
    good = body + check_char(body)
    frame = pl.DataFrame({"id": [good]})
    assert frame.select(_check_char(pl.col("id"))).item() == good[17]
    assert problem(good) is None or "birth date" in (problem(good) or "")


def test_cli_reports_bad_rows_in_one_line_and_an_errors_file(
    configured: tuple[str, Path], tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    _edit(data / "feeds" / "medical.csv", 4, 2, "2024-02-30")
    _edit(data / "members.csv", 3, 9, "yes")
    errors = tmp_path / "errors.csv"
    done = subprocess.run(
        [sys.executable, "-m", "povguard", "import", str(data), "--errors", str(errors)],
        capture_output=True, text=True, check=False, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("povguard: 2 bad rows in 2 files")
    report = pl.read_csv(errors)
    assert report.columns == ["file", "line", "column", "value", "reason"]
    assert set(report["line"]) == {3, 4}
    ok = subprocess.run([sys.executable, "-m", "povguard", "import", str(DATASET)],
                        capture_output=True, text=True, check=False, env=os.environ.copy())  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "23036 rows imported" in ok.stdout


def test_reimport_audits_each_changed_household_and_member(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    import_dataset(DATASET, lake=lake, database_url=database_url)
    changed = tmp_path / "changed"
    shutil.copytree(DATASET, changed)
    households = (changed / "households.csv").read_text(encoding="utf-8")
    households = households.replace(
        "H000001,530129003002,530129196601090769,云南省寻甸回族彝族自治县功山镇黄坡村201号,"
        "18897526486,ordinary",
        "H000001,530129003002,530129196601090769,云南省寻甸回族彝族自治县功山镇黄坡村201号,"
        "13900001111,ordinary",
    )
    (changed / "households.csv").write_text(households, encoding="utf-8")
    members = (changed / "members.csv").read_text(encoding="utf-8")
    members = members.replace(
        "M0000002,H000001,530129196405311413,龙文,M,1964-05-31,spouse,partial,healthy,true",
        "M0000002,H000001,530129196405311413,龙文,M,1964-05-31,spouse,none,healthy,false",
    )
    (changed / "members.csv").write_text(members, encoding="utf-8")
    import_dataset(changed, lake=lake, database_url=database_url)
    import_dataset(changed, lake=lake, database_url=database_url)  # the same again: no rows
    with engine_for(database_url).connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT entity, entity_id, region_code, before, after FROM audit_log"
                " WHERE action = 'import_update' ORDER BY entity"
            )
        ).all()
    decoded = [
        (
            e,
            i,
            r,
            b if isinstance(b, dict) else json.loads(b),
            a if isinstance(a, dict) else json.loads(a),
        )
        for e, i, r, b, a in rows
    ]
    assert decoded == [
        ("household", "H000001", "530129003002", {"phone": "*******6486"},
         {"phone": "*******1111"}),
        ("member", "M0000002", "530129003002", {"labour": "partial", "in_household": "true"},
         {"labour": "none", "in_household": "false"}),
    ]  # fmt: skip


def test_income_overlapping_a_stored_period_is_refused(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    """A second import's income is checked against the household's stored periods: the same
    period (same start) replaces it, an overlapping one is a bad row naming the stored one."""
    import_dataset(DATASET, lake=lake, database_url=database_url)
    header = (DATASET / "income.csv").read_text().splitlines()[0]
    later = tmp_path / "later"
    later.mkdir()
    replacing = "H000821,2024-01,2024-06,11000.00,3000.00,0,3000.00,3000.00,cadre"
    (later / "income.csv").write_text(f"{header}\n{replacing}\n")
    import_dataset(later, lake=lake, database_url=database_url)
    stored = pl.read_parquet(lake / "income" / "**" / "*.parquet")
    replaced = (pl.col("household_id") == "H000821") & (pl.col("period_start") == "2024-01")
    assert stored.filter(replaced)["wage"].to_list() == [11000]
    (later / "income.csv").write_text(f"{header}\nH000821,2024-03,2024-03,1,1,1,1,1,survey\n")
    before = _lake_state(lake)
    with pytest.raises(ImportRejected) as refused:
        import_dataset(later, lake=lake, database_url=database_url)
    [error] = refused.value.errors.to_dicts()
    assert (error["line"], error["column"]) == (2, "period_start")
    assert error["reason"] == "overlaps the period starting 2024-01 (already stored)"
    assert _lake_state(lake) == before


def test_registry_rows_in_any_order_are_stored_alike(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    """Households and members are stored in key order whatever the file's order; what is
    stored is the same."""
    shuffled = tmp_path / "shuffled"
    shutil.copytree(DATASET, shuffled)
    for name in ("households", "members"):
        frame = pl.read_csv(DATASET / f"{name}.csv", infer_schema=False)
        frame.sample(fraction=1.0, shuffle=True, seed=3).write_csv(shuffled / f"{name}.csv")
    import_dataset(shuffled, lake=lake, database_url=database_url)
    if database_url.startswith("sqlite"):  # rowids: the order of insertion
        with engine_for(database_url).connect() as connection:
            query = sa.text("SELECT member_id FROM members ORDER BY rowid")
            stored = [row[0] for row in connection.execute(query)]
        assert len(stored) == 3281 and stored == sorted(stored)
    state = _db_state(database_url)
    import_dataset(DATASET, lake=tmp_path / "lake-ordered", database_url=database_url)
    assert _db_state(database_url) == state


def test_a_later_import_reads_only_the_stored_rows_its_files_name(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    """A feed of a few people after a whole province: the stored members are looked up by
    the feed's ID numbers (not all read), and the feed lands as the first import stored it."""
    first = import_dataset(DATASET, lake=lake, database_url=database_url)
    stored_feed = pl.read_parquet(lake / "feeds" / "medical" / "province=53" / "*.parquet")
    feed = tmp_path / "feed"
    (feed / "feeds").mkdir(parents=True)
    shutil.copy(DATASET / "feeds" / "medical.csv", feed / "feeds" / "medical.csv")
    with unit_of_work(database_url) as session:
        tables, _unreadable = service._read(feed, None)
        stored = service._stored(session, tables)
    people = pl.read_csv(DATASET / "members.csv", infer_schema=False)
    named = people.filter(
        pl.col("id_number").is_in(tables["feeds/medical"].frame["id_number"].implode())
    )
    assert sorted(stored["members"]["member_id"]) == sorted(named["member_id"])
    assert 0 < stored["households"].height < 1000
    report = import_dataset(feed, lake=lake, database_url=database_url)
    assert report.unmatched["feeds/medical"] == first.unmatched["feeds/medical"]
    again = pl.read_parquet(lake / "feeds" / "medical" / "province=53" / "*.parquet")
    assert again.sort("record_id").equals(stored_feed.sort("record_id"))


def test_an_id_number_stored_for_another_member_is_found_by_lookup(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    import_dataset(DATASET, lake=lake, database_url=database_url)
    lines = (DATASET / "members.csv").read_text(encoding="utf-8").splitlines()
    twin = lines[1].split(",")
    twin[0], twin[1] = "M9999999", "H000002"
    later = tmp_path / "later"
    later.mkdir()
    (later / "members.csv").write_text(f"{lines[0]}\n{','.join(twin)}\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        import_dataset(later, lake=lake, database_url=database_url)
    [error] = refused.value.errors.to_dicts()
    assert (error["line"], error["column"]) == (2, "id_number")
    assert error["reason"] == "ID number already stored for member M0000001 of household H000001"


@pytest.mark.parametrize("name", ["members", "income", "feeds/medical", "feeds/insurance"])
def test_typed_parquet_columns_are_kept_typed_and_type_like_the_csv_text(
    name: str, tmp_path: Path
) -> None:
    """Dates, money, booleans and integers stored typed in Parquet are not read as text (nor
    stripped): they are typed as the CSV's text is, and their text is the CSV's."""
    csv = read_table(name, DATASET / f"{name}.csv")
    assert isinstance(csv, Table)
    parquet = tmp_path / "typed.parquet"
    typed(csv.spec, csv.frame).write_parquet(parquet)
    read = read_table(name, parquet)
    assert isinstance(read, Table)
    assert read.typed and all(read.frame.schema[c] != pl.String for c in read.typed)
    assert typed(read.spec, read.frame).equals(typed(csv.spec, csv.frame))
    read.keep_as_text(frozenset(read.frame.columns))
    assert read.frame.drop("_line").equals(csv.frame.drop("_line"))


def _bad_typed_values(name: str) -> pl.DataFrame:
    """The example file typed, with bad values in its typed columns in rows 1 to 3."""
    csv = read_table(name, DATASET / f"{name}.csv")
    assert isinstance(csv, Table)
    frame = typed(csv.spec, csv.frame).with_row_index("_row")
    row = pl.col("_row")
    if name == "feeds/insurance":
        bad = [pl.when(row == 0).then(1989).when(row == 1).then(2101).otherwise("year")
               .alias("year"),
               pl.when(row == 2).then(None).otherwise("enrolled").alias("enrolled")]  # fmt: skip
    else:
        year_10000 = pl.lit(2_932_897).cast(pl.Date)
        bad = [pl.when(row == 0).then(pl.lit("-0.5").cast(pl.Decimal(18, 2)))
               .otherwise("out_of_pocket").alias("out_of_pocket"),
               pl.when(row == 1).then(year_10000).otherwise("date").alias("date"),
               pl.when(row == 2).then(None).otherwise("out_of_pocket").alias("out_of_pocket")]  # fmt: skip
    return frame.with_columns(bad[:-1]).with_columns(bad[-1]).drop("_row")


@pytest.mark.parametrize("name", ["feeds/insurance", "feeds/medical"])
def test_bad_values_of_typed_parquet_columns_are_reported_as_their_text_would_be(
    name: str, tmp_path: Path
) -> None:
    frame = _bad_typed_values(name)
    frame.write_parquet(tmp_path / "typed.parquet")
    frame.select(_as_text(c, t) for c, t in frame.schema.items()).write_parquet(
        tmp_path / "text.parquet"
    )
    found = []
    for path in (tmp_path / "typed.parquet", tmp_path / "text.parquet"):
        table = read_table(name, path)
        assert isinstance(table, Table)
        check_values(table)
        found.append(pl.concat(table.errors).drop("file").sort("line", "column").rows())
    assert found[0] == found[1]
    expected = {
        "feeds/insurance": [(1, "year", "1989", "below 1990"), (2, "year", "2101", "above 2100"),
                            (3, "enrolled", None, "empty required value")],
        "feeds/medical": [(1, "out_of_pocket", "-0.50", "below 0"),
                          (2, "date", "+10000-01-01", "not a valid date"),
                          (3, "out_of_pocket", None, "empty required value")],
    }  # fmt: skip
    assert found[0] == expected[name]


@pytest.mark.parametrize(
    ("kind", "dtype", "fits"),
    [
        (Kind.DATE, pl.Date(), True), (Kind.DATE, pl.Datetime(), False),
        (Kind.MONEY, pl.Decimal(18, 2), True), (Kind.MONEY, pl.Decimal(10, 0), True),
        (Kind.MONEY, pl.Decimal(38, 2), False), (Kind.MONEY, pl.Decimal(18, 3), False),
        (Kind.MONEY, pl.Float64(), False), (Kind.INT, pl.Int32(), True),
        (Kind.INT, pl.UInt64(), False), (Kind.INT, pl.Float64(), False),
        (Kind.BOOL, pl.Boolean(), True), (Kind.BOOL, pl.Int8(), False),
        (Kind.TEXT, pl.String(), False), (Kind.CODE, pl.Int64(), False),
    ],
)  # fmt: skip
def test_only_parquet_types_whose_every_value_is_well_formed_are_kept_typed(
    kind: Kind, dtype: pl.DataType, fits: bool
) -> None:
    assert fits_kind(kind, dtype) is fits


def test_an_id_number_is_blamed_for_its_first_problem_only(tmp_path: Path) -> None:
    good = "11010519491231002X"
    ids = [good, good[:17], good[:17] + "3", "中文中文中文", None, " " * 18, good + "1"]
    frame = pl.DataFrame({"id_number": ids, "year": ["2024"] * 7, "enrolled": ["true"] * 7})
    table = Table(FILES["feeds/insurance"], tmp_path / "insurance.csv",
                  frame.with_row_index("_line", offset=2).cast({"_line": pl.Int64}))  # fmt: skip
    check_values(table)
    found = pl.concat(table.errors).sort("line").select("line", "reason").rows()
    assert found == [(3, "not a valid id_number"), (4, "wrong check character"),
                     (5, "not a valid id_number"), (6, "empty required value"),
                     (7, "not a valid id_number"), (8, "not a valid id_number")]  # fmt: skip
    short = pl.DataFrame({"id": ["123", None]}).select(_check_char(pl.col("id")))
    assert short.to_series().to_list() == [None, None]


@pytest.mark.parametrize(
    ("households", "periods", "repeated"),
    [
        (["H1", "H1", "H2"], ["2024-01", "2024-02", "2024-01"], []),
        (["H1", "H1", "H2"], ["2024-01", "2024-01", "2024-01"], [3]),
        (["H1", "H2", "H1"], ["2024-01", "2024-01", "2024-01"], [4]),
        (["H1", None, "H1"], ["2024-01", "2024-01", "2024-01"], [4]),
        ([None, "H1", "H1"], ["2024-01", "2024-01", "2024-02"], []),
    ],
)  # fmt: skip
def test_duplicate_keys_are_found_in_key_order_or_not(
    households: list[str | None], periods: list[str], repeated: list[int], tmp_path: Path
) -> None:
    frame = pl.DataFrame({"household_id": households, "period_start": periods})
    table = Table(FILES["income"], tmp_path / "income.csv",
                  frame.with_row_index("_line", offset=2).cast({"_line": pl.Int64}))  # fmt: skip
    check_duplicates(table, ("household_id", "period_start"))
    lines = pl.concat(table.errors)["line"].to_list() if table.errors else []
    assert lines == repeated


def test_cause_codes_may_have_blanks_around_them_but_must_be_known(tmp_path: Path) -> None:
    path = tmp_path / "declarations.csv"
    path.write_text(
        "declaration_id,household_id,date,channel,causes\n"
        "D1,H1,2024-07-01,app,08; 99\nD2,H1,2024-07-01,app, 05 \nD3,H1,2024-07-01,app,08;9\n",
        encoding="utf-8",
    )
    table = read_table("declarations", path)
    assert isinstance(table, Table)
    check_values(table)
    found = pl.concat(table.errors).select("line", "reason").rows()
    assert found == [(4, "unknown cause code")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_registry_files_staged_while_the_others_are_validated_store_the_same_rows(
    database_url: str, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: registry files written to staging databases during validation are stored as
    the statements store them; a refused import removes its staging files and stores nothing."""
    import tempfile

    from povguard.ingest import bulk

    statements = f"sqlite:///{tmp_path / 'statements.sqlite3'}"
    import_dataset(DATASET, lake=tmp_path / "lake-statements", database_url=statements)
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    staged: list[str] = []
    stage = bulk.stage
    monkeypatch.setattr(bulk, "stage", lambda *a: staged.append(a[0].__tablename__) or stage(*a))
    events: list[tuple[str, str, int, int]] = []
    import_dataset(DATASET, lake=lake, database_url=database_url,
                   progress=lambda *event: events.append(event))  # fmt: skip
    assert staged == ["regions", "households", "members"]
    assert [(name, done) for phase, name, done, _total in events if phase == "stage"] == [
        (name, done) for name in staged for done in (0, 1)
    ]
    assert _db_state(database_url) == _db_state(statements)
    assert list((tmp_path / "tmp").iterdir()) == []
    data = _copy(tmp_path)
    _edit(data / "feeds" / "medical.csv", 2, 0, "")  # a bad row in a file read after them
    before = _db_state(database_url)
    with pytest.raises(ImportRejected):
        import_dataset(data, lake=lake, database_url=database_url)
    assert staged[3:] == ["regions", "households", "members"]
    assert _db_state(database_url) == before
    assert list((tmp_path / "tmp").iterdir()) == []


def _schema_state(url: str) -> list[tuple[object, ...]]:
    """The registry tables' indexes and constraints, with their definitions."""
    with engine_for(url).connect() as connection:
        if connection.dialect.name == "sqlite":
            query = ("SELECT type, name, tbl_name, sql FROM sqlite_master "
                     "WHERE tbl_name IN ('regions', 'households', 'members') ORDER BY name")  # fmt: skip
        else:
            query = (
                "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() "
                "AND tablename IN ('regions', 'households', 'members') UNION ALL "
                "SELECT 'constraint', conname, conrelid::regclass::text, "
                "pg_get_constraintdef(oid) || convalidated::text FROM pg_constraint "
                "WHERE conrelid::regclass::text IN ('regions', 'households', 'members') "
                "ORDER BY 2"
            )
        return [tuple(row) for row in connection.execute(sa.text(query))]


def _stored_beside_validation(events: list[tuple[str, str, int, int]]) -> list[str]:
    """The registry files whose work ended beside validation ("stage" events)."""
    return [name for phase, name, done, _total in events if phase == "stage" and done]


def test_a_first_import_refused_late_stores_nothing_and_keeps_the_schema(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    """Into an empty registry the registry files are stored (PostgreSQL) or staged (SQLite)
    while the feeds are validated; a bad row in a feed read after them undoes all of it."""
    data = _copy(tmp_path)
    _edit(data / "feeds" / "water.csv", 2, 0, "")
    events: list[tuple[str, str, int, int]] = []
    members_done = threading.Event()

    def progress(phase: str, name: str, done: int, total: int) -> None:
        events.append((phase, name, done, total))
        if (phase, name, done) == ("stage", "members", 1):
            members_done.set()
        elif phase == "validate" and done == total:  # the last file read
            members_done.wait(60)  # so that the refusal comes after the members are stored

    with pytest.raises(ImportRejected, match="1 bad rows in 1 file"):
        import_dataset(data, lake=lake, database_url=database_url, progress=progress)
    assert _stored_beside_validation(events) == ["regions", "households", "members"]
    assert _db_state(database_url) == {table: [] for table in TABLES}
    schema = _schema_state(database_url)
    assert list(lake.rglob("*.parquet")) == []
    import_dataset(DATASET, lake=lake, database_url=database_url)
    assert len(_db_state(database_url)["members"]) == 3281
    assert _schema_state(database_url) == schema


def test_a_failure_beside_validation_fails_the_import_unless_validation_refuses_it(
    database_url: str, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from povguard.ingest import bulk

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("registry storing failed")

    monkeypatch.setattr(bulk, "upsert", broken)
    monkeypatch.setattr(bulk, "stage", broken)
    with pytest.raises(RuntimeError, match="registry storing failed"):
        import_dataset(DATASET, lake=lake, database_url=database_url)
    data = _copy(tmp_path)
    _edit(data / "feeds" / "water.csv", 2, 0, "")
    with pytest.raises(ImportRejected):  # the bad rows are what the import reports
        import_dataset(data, lake=lake, database_url=database_url)
    assert list(lake.rglob("*.parquet")) == []
    monkeypatch.undo()
    assert _db_state(database_url) == {table: [] for table in TABLES}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("with_regions", "beside"), [(True, []), (False, ["households", "members"])]
)
def test_only_empty_tables_whose_parents_are_stored_first_are_stored_beside_validation(
    database_url: str, lake: Path, tmp_path: Path, with_regions: bool, beside: list[str]
) -> None:
    """PostgreSQL, regions stored before (a table with rows): a dataset's regions file is
    stored in the registry phase, and so its households and members, which point at them;
    without a regions file the households and members go into their empty tables beside
    validation."""
    regions_only = tmp_path / "regions-only"
    regions_only.mkdir()
    shutil.copy(DATASET / "regions.csv", regions_only / "regions.csv")
    import_dataset(regions_only, lake=lake, database_url=database_url)
    data = _copy(tmp_path)
    if not with_regions:
        (data / "regions.csv").unlink()
    events: list[tuple[str, str, int, int]] = []
    import_dataset(data, lake=lake, database_url=database_url,
                   progress=lambda *event: events.append(event))  # fmt: skip
    assert _stored_beside_validation(events) == beside
    assert len(_db_state(database_url)["members"]) == 3281

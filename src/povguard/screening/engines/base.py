"""What every engine does, in order; subclasses supply the engine-specific primitives.

load raw files → typed tables (reporting bad rows) → screening frame → parameters →
integrity checks → the compiled rule query. All SQL is written once in DuckDB's dialect and
handed to `sql()`, which transpiles it for engines that need another dialect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from typing import Any

import pyarrow as pa
import sqlglot

from povguard.core.errors import BadInput
from povguard.screening.compiler import compile_screening, fact_with_columns
from povguard.screening.dataset import (
    AT_D,
    IN_HOUSEHOLD,
    IN_HOUSEHOLD_SELECT,
    INTEGRITY,
    INTEGRITY_PRECHECK,
    NORMALISE,
    SOURCE_OF,
    STREAMED,
    WITH_FACTS,
    InsuranceTwoRows,
    Repeats,
    SourceFile,
    latest_at_d,
    latest_at_d_select,
    own_rows,
    own_select,
    person_keyed,
    plain_view,
    with_member,
)
from povguard.screening.frame import INPUT_TYPES
from povguard.screening.params import ParamRow
from povguard.screening.typed import (
    MONTHS,
    MONTHS_SELECT,
    bad_value_probe,
    empty_text_probe,
    typed_select,
)
from povguard.screening.window import Window, month_label


class SqlEngine(ABC):
    name = "sql"
    dialect = "duckdb"
    # Set by `load()`: the date the frame is screened at, if known (`at`), and the feeds having
    # a `dataset.plain_view()`.
    _at: Window | None = None
    _plain: frozenset[str] = frozenset()
    # The loaded households per province (`households_by_province()`), counted once.
    _by_province: dict[str, int] | None = None

    def sql(self, query: str) -> str:
        """`query` (DuckDB dialect) in this engine's dialect."""
        if self.dialect == "duckdb":
            return query
        return sqlglot.transpile(query, read="duckdb", write=self.dialect)[0]

    @abstractmethod
    def register_raw(self, source: SourceFile) -> None:
        """Expose the file as view `r_<file>`: its columns as text, empty cells as NULL."""

    @abstractmethod
    def view(self, name: str, query: str) -> None:
        """Create view `name` from `query` (already in this engine's dialect)."""

    @abstractmethod
    def materialize(self, name: str, query: str) -> None:
        """Create table `name` from `query` (computed once, read many times)."""

    @abstractmethod
    def rows(self, query: str) -> list[tuple[Any, ...]]:
        """Run a small query (this engine's dialect) and return its rows."""

    @abstractmethod
    def arrow(self, query: str) -> pa.Table:
        """Run a query (this engine's dialect) and return its result as Arrow."""

    @abstractmethod
    def register_table(self, name: str, types: dict[str, str], rows: list[tuple[Any, ...]]) -> None:
        """Create table `name` with columns `types` (SQL type names) holding `rows`."""

    @abstractmethod
    def first_bad_row(self, source: SourceFile) -> tuple[str, str]:
        """(where, problem) of the first bad row of a file known to have one."""

    def native(self, source: SourceFile) -> bool:  # noqa: ARG002
        """Whether `register_raw` parsed the file into `typed.NATIVE_TYPES` (else all text)."""
        return False

    def rereads_cheaply(self, source: SourceFile) -> bool:  # noqa: ARG002
        """Whether reading the file again costs less than storing what is read of it."""
        return False

    def known_clean(self, source: SourceFile) -> bool:
        """Whether the file is known to have no unusable value before its rows are read (then
        they are not checked one by one); False: unknown, every row is checked."""
        if not self.rereads_cheaply(source):
            return False
        probe = bad_value_probe(
            source,
            native=self.native(source),
            cents=self.money_in_cents(source),
            matched=self.matching_pattern(source),
        )
        return not self.rows(self.sql(probe))

    def money_in_cents(self, source: SourceFile) -> frozenset[str]:  # noqa: ARG002
        """The money columns of the file whose type holds at most 2 decimals."""
        return frozenset()

    def matching_pattern(self, source: SourceFile) -> frozenset[str]:  # noqa: ARG002
        """The columns of the file whose every value matches their `typed.pattern()`, found
        out without the engine's SQL (empty: the SQL checks them)."""
        return frozenset()

    def latest_by_group(self) -> bool:
        """Whether a load at a known D finds the latest records of `dataset.AT_D`'s feeds by a
        GROUP BY of their records up to D (else: by the window finding every record's next)."""
        return False

    def month_lookup(self) -> bool:
        """Whether the typed views look month columns up in `typed.MONTHS` (else: parse them)."""
        return False

    def booleans(self, source: SourceFile) -> frozenset[str]:  # noqa: ARG002
        """The boolean columns of the file that `register_raw` is to keep as booleans rather
        than text (`SourceFile.booleans`)."""
        return frozenset()

    @abstractmethod
    def close(self) -> None:
        """Release the engine's resources."""

    def load(
        self,
        files: dict[str, SourceFile],
        *,
        region_prefix: str = "",
        open_cases: dict[str, bool] | None = None,
        at: Window | None = None,
    ) -> None:
        """Read and check the dataset, keeping the households whose village starts with
        `region_prefix`; `open_cases` maps households in an open case to "is a monitoring
        object"; `at`: the frame is screened at this date only (not kept for other dates)."""
        if region_prefix and not region_prefix.isdigit():
            raise BadInput(f"not a region code prefix: {region_prefix!r}")
        self._at, self._plain = at, frozenset()
        cases = sorted((open_cases or {}).items())
        self.register_table("open_cases", INPUT_TYPES["open_cases"], cases)
        files = dict(files)
        lookup = self.month_lookup()
        if lookup:
            self.materialize(MONTHS, self.sql(MONTHS_SELECT))
        for name, source in files.items():
            if source.path is not None:
                if source.is_parquet:
                    source = replace(source, booleans=self.booleans(source))
                self.register_raw(source)
                if source.is_parquet:
                    source = files[name] = replace(source, empty_text=self._empty_text(source))
            native = self.native(source)
            clean = source.path is not None and self.known_clean(source)
            typed = typed_select(source, native=native, clean=clean, month_lookup=lookup)
            self.view(source.view, self.sql(typed))
        # The frame tables keep `_bad`: the rows of a file are checked as the table is built.
        for table in NORMALISE:
            at_d = at is not None and table in AT_D and self.latest_by_group()
            # Without their window, the feeds of `AT_D` are read like the other streamed ones.
            streamed = (table in STREAMED or at_d) and self.rereads_cheaply(files[SOURCE_OF[table]])
            keep = self.view if streamed else self.materialize
            keep(own_rows(table), self.sql(own_select(table, region_prefix, at_d=at_d)))
            if at_d:
                assert at is not None
                query = latest_at_d_select(table).format(**at.constants())
                self.materialize(latest_at_d(table), self.sql(query))
            if person_keyed(table):
                # Joined to their member by the rules' filtered reads only.
                self.view(table, self.sql(with_member(table, own_rows(table), at_d=at_d)))
            if at_d and person_keyed(table):
                query = with_member(table, own_rows(table), at_d=at_d, plain=True)
                self.view(plain_view(table), self.sql(query))
                self._plain |= {table}
            if table == "mem":
                self.materialize(IN_HOUSEHOLD, self.sql(IN_HOUSEHOLD_SELECT))
        self._raise_on_bad_rows(files)

    def _empty_text(self, source: SourceFile) -> bool:
        """Whether a text value of the Parquet file is an empty string (an empty cell)."""
        return bool(self.rows(self.sql(empty_text_probe(source, native=self.native(source)))))

    def _raise_on_bad_rows(self, files: dict[str, SourceFile]) -> None:
        counts = " UNION ALL ".join(
            f"SELECT '{table}' AS name, count(*) AS bad FROM {own_rows(table)} WHERE _bad"
            for table in NORMALISE
        )
        bad = {str(name): int(n) for name, n in self.rows(self.sql(counts)) if n}
        for table in NORMALISE:
            source = files[SOURCE_OF[table]]
            if table in bad:
                self._refuse(source, *self.first_bad_row(source), bad[table])

    @staticmethod
    def _refuse(source: SourceFile, where: str, problem: str, count: int) -> None:
        more = f" ({count} bad rows in all)" if count > 1 else ""
        raise BadInput(f"{source.path}: {where}: {problem}{more}")

    def check_integrity(self, window: Window) -> frozenset[str]:
        """Refuse a frame on which the rules are ill-defined; returns the facts computed at D
        on the way (`dataset.WITH_FACTS`), held by tables `x_<fact>`."""
        for fact, columns in WITH_FACTS.items():
            self.materialize(f"x_{fact}", self.sql(fact_with_columns(fact, window, columns)))
        # precheck → whether it found something
        may_find: dict[str | Repeats | InsuranceTwoRows, bool] = {}
        for message, query in INTEGRITY.items():
            precheck = INTEGRITY_PRECHECK.get(message)
            if precheck is not None and precheck not in may_find:
                may_find[precheck] = self._may_find(precheck)
            if precheck is not None and not may_find[precheck]:
                continue
            found = self.rows(self.sql(query.format(**window.constants())))
            if found:
                values = [
                    month_label(v) if message.startswith("income") and isinstance(v, int) else v
                    for v in found[0]
                ]
                raise BadInput(message.format(*values))
        return frozenset(WITH_FACTS)

    def _may_find(self, precheck: str | Repeats | InsuranceTwoRows) -> bool:
        if isinstance(precheck, Repeats):
            return self.may_repeat(precheck)
        if isinstance(precheck, InsuranceTwoRows):
            return self.insurance_two_rows_may_exist() is not False
        return bool(self.rows(self.sql(precheck)))

    def insurance_two_rows_may_exist(self) -> bool | None:
        """Whether someone not enrolled in D's year has two rows for it in the insurance file,
        if found out while loading (None: unknown)."""
        return None

    def may_repeat(self, precheck: Repeats) -> bool:
        """Whether some value of the precheck's column may appear twice (never False if one
        does)."""
        return bool(self.rows(self.sql(precheck.sql())))

    @staticmethod
    def frame_tables() -> list[str]:
        """The frame tables, in the order they are built."""
        return list(NORMALISE)

    def households_by_province(self) -> dict[str, int]:
        """The loaded households per province code (one pass over `hh`, once loaded)."""
        if self._by_province is None:
            query = self.sql("SELECT prov, count(*) FROM hh GROUP BY prov")
            self._by_province = {str(prov): int(n) for prov, n in self.rows(query)}
        return self._by_province

    def household_count(self) -> int:
        return sum(self.households_by_province().values())

    def provinces(self) -> list[str]:
        return sorted(self.households_by_province())

    def screen(
        self,
        window: Window,
        params: list[ParamRow],
        *,
        stored_frame: bool = False,
        evidence: bool = True,
    ) -> pa.Table:
        """The rule rows; `stored_frame`: the frame was loaded from the lake's store, so it was
        checked when it was built (the integrity checks are skipped) and holds the static facts;
        `evidence`: with the rules' evidence columns."""
        missing = set(self.provinces()) - {row.prov for row in params}
        if missing:
            raise BadInput(f"no policy parameters for province {sorted(missing)[0]}")
        self.register_table("params", INPUT_TYPES["params"], [tuple(row) for row in params])
        computed = frozenset() if stored_frame else self.check_integrity(window)
        query = compile_screening(
            window, stored=stored_frame, precomputed=computed, plain=self._plain, evidence=evidence
        )
        return self.arrow(self.sql(query))

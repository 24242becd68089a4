"""A CSV file cut short: no final line break and a last line short of values."""

from __future__ import annotations

from pathlib import Path

import pytest

from povguard.interchange import csvlines
from povguard.interchange.csvlines import cut_short

HEADER = "household_id,period_start,period_end,wage,source"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "income.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "text",
    [
        "",
        HEADER,  # a header alone, without a line break
        f"{HEADER}\nH1,2024-01,2024-01,10.00\n",  # short, but the line ends: values dropped
        f"{HEADER}\r\nH1,2024-01,2024-01,10.00\r\n",
        f"{HEADER}\nH1,2024-01,2024-01,10.00,survey",  # whole, without a final line break
        f'{HEADER}\nH1,2024-01,2024-01,"10',  # cut inside a quoted value: an unclosed quote
    ],
)
def test_a_file_that_ends_as_written_is_not_cut_short(tmp_path: Path, text: str) -> None:
    assert cut_short(_file(tmp_path, text), 5) is None


def test_a_last_line_short_of_values_without_a_line_break_is_cut_short(tmp_path: Path) -> None:
    text = f"\ufeff{HEADER}\r\nH1,2024-01,2024-01,10.00,survey\r\n\r\nH2,2024-01,2024-01,1"
    assert cut_short(_file(tmp_path, text), 5) == (
        4,
        "the file ends without a line break in a line of 4 values where the header names 5"
        " columns: it looks cut short",
    )


def test_only_the_end_of_a_large_file_is_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvlines, "_TAIL_BYTES", 64)
    rows = "".join(f"H{i},2024-01,2024-01,10.00,survey\n" for i in range(100))
    assert cut_short(_file(tmp_path, f"{HEADER}\n{rows}H100,2024-01"), 5) == (
        102,
        "the file ends without a line break in a line of 2 values where the header names 5"
        " columns: it looks cut short",
    )
    long_last = "H100," + "x" * 100  # longer than the tail read: not judged
    assert cut_short(_file(tmp_path, f"{HEADER}\n{rows}{long_last}"), 5) is None

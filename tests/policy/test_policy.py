from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from povguard.core.errors import BadInput
from povguard.policy.service import load_policy, parse_policy
from tests.conftest import EXAMPLES

MINIMAL = """
- province: '530000000000'
  year: 2024
  monitoring_line: 7260
  rural_disposable_income: 16361
"""


def test_defaults_fill_every_parameter_left_out() -> None:
    entry = parse_policy(MINIMAL, source="p.yaml").lookup("530102001001", 2024)
    assert entry.monitoring_line == Decimal("7260")
    assert entry.medical_ratio_formerly_poor == Decimal("0.5")
    assert entry.income_drop_ratio == Decimal("0.3")
    assert (entry.unemployed_days, entry.declaration_days, entry.stable_months) == (30, 90, 6)
    assert (entry.publicity_days, entry.identification_days) == (5, 15)


def test_floats_are_read_exactly() -> None:
    text = MINIMAL + "  income_drop_ratio: 0.35\n  monitoring_line: 6600.5\n"
    text = text.replace("  monitoring_line: 7260\n", "", 1)
    entry = parse_policy(text, source="p.yaml").lookup("530000000000", 2024)
    assert entry.income_drop_ratio == Decimal("0.35")
    assert entry.monitoring_line == Decimal("6600.5")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "  monitoring_lines: 1\n", "entry 1, key 'monitoring_lines': unknown parameter"),
        (MINIMAL.replace("  rural_disposable_income: 16361\n", ""), "'rural_disposable_income'"),
        (MINIMAL.replace("7260", "'lots'"), "key 'monitoring_line'"),
        (MINIMAL.replace("'530000000000'", "'530100000000'"), "not a 12-digit province code"),
        (MINIMAL + MINIMAL, "entry 2 repeats province 530000000000 year 2024"),
        ("province: 1", "must be a non-empty YAML list"),
        ("- [1, 2", "not valid YAML"),
    ],
)
def test_bad_policy_files_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(BadInput) as error:
        parse_policy(text, source="policy.yaml")
    assert str(error.value).startswith("policy.yaml: ")
    assert message in str(error.value)


def test_lookup_without_the_province_or_year_is_a_clear_error(tmp_path: Path) -> None:
    book = load_policy(EXAMPLES / "screening-yunnan-2024" / "policy.yaml")
    assert book.lookup("530102001001", 2023).monitoring_line == Decimal("6900")
    with pytest.raises(BadInput, match="no policy for province 530000000000 and year 2026"):
        book.lookup("530102001001", 2026)
    with pytest.raises(BadInput, match="no policy for province 520000000000"):
        book.lookup("520102001001", 2024)
    with pytest.raises(BadInput, match="policy file not found"):
        load_policy(tmp_path / "missing.yaml")


def test_in_force_marks_defaults_and_version() -> None:
    from povguard.core.errors import NotFound
    from povguard.policy.service import in_force

    book = parse_policy(
        "- {province: '530000000000', year: 2024, monitoring_line: 7260,"
        " rural_disposable_income: 15147, publicity_days: 7}\n",
        source="/somewhere/policy.yaml",
    )
    result = in_force(book, "530000000000", 2024)
    values = {p.name: (p.value, p.is_default) for p in result.parameters}
    assert values["monitoring_line"] == (Decimal("7260"), False)
    assert values["publicity_days"] == (7, False)
    assert values["stable_months"] == (6, True)
    assert values["income_drop_ratio"] == (Decimal("0.3"), True)
    assert (result.version, result.source) == (book.version, "policy.yaml")
    with pytest.raises(NotFound):
        in_force(book, "530000000000", 2025)
    with pytest.raises(BadInput):
        in_force(book, "530100000000", 2024)

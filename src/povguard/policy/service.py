"""Policy files (`policy.yaml`): load, validate, look up by province and year."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from povguard.core.errors import BadInput, NotFound
from povguard.policy.schema import PARAMETERS, PolicyEntry
from povguard.regions.codes import Level, level_of, province_of


@dataclass(frozen=True)
class PolicyBook:
    """Every policy entry of one file, keyed by (province code, year)."""

    source: str
    version: str  # content hash: recorded with every screening run
    entries: dict[tuple[str, int], PolicyEntry] = field(default_factory=dict)

    def lookup(self, region_code: str, year: int) -> PolicyEntry:
        """The entry of the province `region_code` lies in, for `year`."""
        province = province_of(region_code)
        entry = self.entries.get((province, year))
        if entry is None:
            raise BadInput(f"{self.source}: no policy for province {province} and year {year}")
        return entry

    def latest(self, region_code: str, year: int) -> PolicyEntry | None:
        """The entry for `year`, or the province's latest earlier one (deadlines that carry
        over), or None."""
        province = province_of(region_code)
        years = [y for (p, y) in self.entries if p == province and y <= year]
        return self.entries[(province, max(years))] if years else None

    def for_provinces(self, provinces: Iterable[str], year: int) -> list[PolicyEntry]:
        return [self.lookup(code, year) for code in sorted(set(provinces))]


def _describe(error: ValidationError, index: int) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "entry"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown parameter"
    elif first["type"] == "missing":
        message = "required parameter missing"
    return f"entry {index + 1}, key {where!r}: {message}"


def parse_policy(text: str, *, source: str) -> PolicyBook:
    """Validate a policy document (a YAML list of mappings) and index it."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(document, list) or not document:
        raise BadInput(f"{source}: must be a non-empty YAML list of mappings")
    entries: dict[tuple[str, int], PolicyEntry] = {}
    for index, raw in enumerate(document):
        if not isinstance(raw, dict):
            raise BadInput(f"{source}: entry {index + 1} is not a mapping")
        try:
            entry = PolicyEntry.model_validate(raw)
        except ValidationError as exc:
            raise BadInput(f"{source}: {_describe(exc, index)}") from exc
        key = (entry.province, entry.year)
        if key in entries:
            raise BadInput(f"{source}: entry {index + 1} repeats province {key[0]} year {key[1]}")
        entries[key] = entry
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return PolicyBook(source=source, version=version, entries=entries)


def load_policy(path: Path) -> PolicyBook:
    """Read and validate `path` (a missing or unreadable file is a clear error)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInput(f"{path}: policy file not found") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text") from exc
    return parse_policy(text, source=str(path))


class ParameterInForce(BaseModel):
    name: str
    value: Decimal | int
    is_default: bool  # the SPEC §5 default, not written in the policy file


class PolicyInForce(BaseModel):
    """The §5 parameters in force for one province and year, and the file's version."""

    province: str
    year: int
    version: str
    source: str
    parameters: list[ParameterInForce]


def in_force(book: PolicyBook, province: str, year: int) -> PolicyInForce:
    """The entry for `province` (a 12-digit province code) and `year`, defaults marked."""
    if level_of(province) is not Level.PROVINCE:
        raise BadInput(f"{province!r} is not a 12-digit province code", field="province")
    entry = book.entries.get((province, year))
    if entry is None:
        raise NotFound(f"no policy for province {province} and year {year}")
    parameters = [
        ParameterInForce(
            name=name, value=getattr(entry, name), is_default=name not in entry.model_fields_set
        )
        for name in PARAMETERS
    ]
    return PolicyInForce(
        province=province,
        year=year,
        version=book.version,
        source=Path(book.source).name,
        parameters=parameters,
    )

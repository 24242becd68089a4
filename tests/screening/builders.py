"""A tiny SPEC §3 dataset builder for rule edge tests: state only what matters."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import yaml

from povguard.households.idnumber import check_char
from povguard.interchange.spec import FILES

VILLAGE = "530102001001"
OTHER_VILLAGE = "530102001002"
REGIONS = [
    ("530000000000", "云南省", "province", "", "", ""),
    ("530100000000", "昆明市", "city", "530000000000", "", ""),
    ("530102000000", "五华区", "county", "530100000000", "west", "false"),
    ("530102001000", "华山街道", "township", "530102000000", "", ""),
    (VILLAGE, "一村", "village", "530102001000", "", ""),
    (OTHER_VILLAGE, "二村", "village", "530102001000", "", ""),
]


class Dataset:
    """Rows per SPEC file; `write()` produces the folder. Defaults keep every rule silent."""

    def __init__(self, folder: Path, *, as_of: dt.date = dt.date(2024, 7, 15)) -> None:
        self.folder = folder
        self.as_of = as_of
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in FILES}
        self.rows["regions"] = [dict(zip(FILES["regions"].column_names, r, strict=True))
                                for r in REGIONS]  # fmt: skip
        self.policy: dict[str, Any] = {"province": "530000000000", "year": as_of.year,
                                       "monitoring_line": 7260, "rural_disposable_income": 16361}  # fmt: skip
        self._ids = itertools.count(1)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def household(self, hh: str, *, status: str = "ordinary", village: str = VILLAGE) -> Dataset:
        self.rows["households"].append({"household_id": hh, "village_code": village,
                                        "status": status})  # fmt: skip
        return self

    def member(self, hh: str, born: dt.date, *, labour: str = "full", in_household: bool = True,
               relation: str = "head") -> str:  # fmt: skip
        body = f"530102{born:%Y%m%d}{next(self._ids) % 1000:03d}"
        number = body + check_char(body)
        self.rows["members"].append({
            "member_id": self._next("M"), "household_id": hh, "id_number": number, "name": "测试",
            "sex": "M", "birth_date": born.isoformat(), "relation": relation, "labour": labour,
            "health": "healthy", "in_household": str(in_household).lower(),
        })  # fmt: skip
        return number

    def income(self, hh: str, start: str, end: str, net: float, cost: float = 0) -> Dataset:
        self.rows["income"].append({"household_id": hh, "period_start": start, "period_end": end,
                                    "wage": f"{net + cost:.2f}", "production_cost": f"{cost:.2f}"})  # fmt: skip
        return self

    def year_income(self, hh: str, annual: float, window: str = "W") -> Dataset:
        """A whole window (W or W′) of income at `annual` yuan a year."""
        d = self.as_of.year * 12 + self.as_of.month - 1
        first = d - (12 if window == "W" else 24)
        start = f"{first // 12:04d}-{first % 12 + 1:02d}"
        end = f"{(first + 11) // 12:04d}-{(first + 11) % 12 + 1:02d}"
        return self.income(hh, start, end, annual)

    def feed(self, name: str, **values: Any) -> Dataset:
        row = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}
        spec = FILES[f"feeds/{name}"]
        if "record_id" in spec.column_names and "record_id" not in row:
            row["record_id"] = self._next(name[:3].upper())
        self.rows[f"feeds/{name}"].append(row)
        return self

    def declaration(self, hh: str, date: dt.date) -> Dataset:
        self.rows["declarations"].append({"declaration_id": self._next("D"), "household_id": hh,
                                          "date": date.isoformat(), "channel": "app"})  # fmt: skip
        return self

    def write(self) -> Path:
        for name, rows in self.rows.items():
            path = self.folder / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=FILES[name].column_names)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        (self.folder / "policy.yaml").write_text(yaml.safe_dump([self.policy]), encoding="utf-8")
        return self.folder

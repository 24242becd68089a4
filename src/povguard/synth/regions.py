"""The region tree of a synthetic dataset: real counties, generated townships and villages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from povguard.core.errors import BadInput
from povguard.synth.geography import PROVINCES, TOWN_WORDS, VILLAGE_WORDS, Province


@dataclass(frozen=True)
class Geography:
    province: Province
    regions: pl.DataFrame  # SPEC §3 `regions` rows
    villages: np.ndarray  # 12-digit village codes (str)
    village_names: np.ndarray  # full address prefix of each village
    village_county: np.ndarray  # index into `counties` per village
    counties: tuple[str, ...]


def build_geography(province_code: str, counties: int | None, seed: int) -> Geography:
    """Every county of the province (or the first `counties`) with 3–5 townships of 4–8
    villages each; the same seed gives the same names."""
    province = PROVINCES.get(province_code)
    if province is None:
        known = ", ".join(sorted(PROVINCES))
        raise BadInput(f"--province: {province_code} is not available (choose {known})")
    chosen = province.counties[: counties or len(province.counties)]
    if counties is not None and not 1 <= counties <= len(province.counties):
        raise BadInput(f"--counties: between 1 and {len(province.counties)} for {province.name}")
    rng = np.random.default_rng([seed, 7919])
    Row = tuple[str, str, str, str | None, str | None, bool | None]
    rows: list[Row] = [(province.code, province.name, "province", None, None, None)]
    used_cities = {c.code[:4] + "00000000" for c in chosen}
    rows += [(code, name, "city", province.code, None, None)
             for code, name in province.cities.items() if code in used_cities]  # fmt: skip
    villages: list[str] = []
    village_names: list[str] = []
    village_county: list[int] = []
    for index, county in enumerate(chosen):
        rows.append((county.code, county.name, "county", county.code[:4] + "00000000",
                     county.zone, county.key_county))  # fmt: skip
        for t in range(1, int(rng.integers(3, 6)) + 1):
            town = county.code[:6] + f"{t:03d}000"
            suffix = "镇" if t > 1 else "乡"
            town_name = "".join(rng.choice(list(TOWN_WORDS), 2)) + suffix
            rows.append((town, town_name, "township", county.code, None, None))
            for v in range(1, int(rng.integers(4, 9)) + 1):
                village = town[:9] + f"{v:03d}"
                name = str(rng.choice(list(VILLAGE_WORDS))) + "家" + "村"
                rows.append((village, name, "village", town, None, None))
                villages.append(village)
                village_names.append(province.name + county.name + town_name + name)
                village_county.append(index)
    regions = pl.DataFrame(
        rows,
        schema=["code", "name", "level", "parent_code", "zone", "key_county"],
        orient="row",
    )
    return Geography(
        province, regions, np.array(villages), np.array(village_names), np.array(village_county),
        tuple(c.code for c in chosen),
    )  # fmt: skip

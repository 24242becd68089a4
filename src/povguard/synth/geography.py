"""Real province, city and county divisions (GB/T 2260) that synthetic data is placed in.

Townships and villages below the counties are generated (3-digit codes and plain names).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class County:
    code: str  # 12 digits
    name: str
    zone: str
    key_county: bool


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    cities: dict[str, str]  # 12-digit code → name
    counties: tuple[County, ...]
    monitoring_line: dict[int, int]  # year → yuan
    rural_income: dict[int, int]  # year → previous year's rural per-capita disposable income


def _c(code6: str, name: str, zone: str, key: bool = False) -> County:
    return County(code6 + "000000", name, zone, key)


PROVINCES: dict[str, Province] = {
    p.code: p
    for p in (
        Province(
            "530000000000", "云南省",
            {"530100000000": "昆明市", "530300000000": "曲靖市"},
            (_c("530124", "富民县", "west"), _c("530125", "宜良县", "west"),
             _c("530128", "禄劝彝族苗族自治县", "west", True),
             _c("530129", "寻甸回族彝族自治县", "west", True),
             _c("530323", "师宗县", "west"), _c("530324", "罗平县", "west")),
            {2023: 6900, 2024: 7260, 2025: 7600, 2026: 7900},
            {2023: 14197, 2024: 16361, 2025: 17300, 2026: 18200},
        ),
        Province(
            "520000000000", "贵州省",
            {"520100000000": "贵阳市", "522700000000": "黔南布依族苗族自治州"},
            (_c("520121", "开阳县", "west"), _c("520122", "息烽县", "west"),
             _c("520123", "修文县", "west"), _c("522722", "荔波县", "west", True),
             _c("522723", "贵定县", "west")),
            {2023: 6600, 2024: 7000, 2025: 7300, 2026: 7600},
            {2023: 12856, 2024: 13707, 2025: 14600, 2026: 15400},
        ),
        Province(
            "620000000000", "甘肃省",
            {"620100000000": "兰州市", "621100000000": "定西市"},
            (_c("620121", "永登县", "west"), _c("620122", "皋兰县", "west"),
             _c("620123", "榆中县", "west"), _c("621121", "通渭县", "west", True),
             _c("621122", "陇西县", "west"), _c("621123", "渭源县", "west", True)),
            {2023: 6500, 2024: 6800, 2025: 7100, 2026: 7400},
            {2023: 11433, 2024: 12165, 2025: 12900, 2026: 13600},
        ),
        Province(
            "410000000000", "河南省",
            {"411500000000": "信阳市", "411600000000": "周口市"},
            (_c("411521", "罗山县", "central"), _c("411522", "光山县", "central"),
             _c("411523", "新县", "central"), _c("411622", "西华县", "central"),
             _c("411623", "商水县", "central")),
            {2023: 6600, 2024: 6900, 2025: 7200, 2026: 7500},
            {2023: 18697, 2024: 20053, 2025: 21200, 2026: 22300},
        ),
        Province(
            "450000000000", "广西壮族自治区",
            {"450100000000": "南宁市"},
            (_c("450123", "隆安县", "west", True), _c("450124", "马山县", "west", True),
             _c("450125", "上林县", "west")),
            {2023: 6800, 2024: 7100, 2025: 7400, 2026: 7700},
            {2023: 17433, 2024: 18656, 2025: 19700, 2026: 20700},
        ),
        Province(
            "330000000000", "浙江省",
            {"331100000000": "丽水市"},
            (_c("331121", "青田县", "east"), _c("331123", "遂昌县", "east")),
            {2023: 13000, 2024: 14200, 2025: 15000, 2026: 15800},
            {2023: 37565, 2024: 40311, 2025: 42500, 2026: 44600},
        ),
    )
}  # fmt: skip

TOWN_WORDS = "东西南北中新安平和兴丰河山田林石龙凤桥坪营坝沟湾寨岭塘溪"
VILLAGE_WORDS = "黄李张王杨刘陈赵周吴马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"

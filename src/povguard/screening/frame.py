"""The screening frame: the normalised tables every engine loads before the rules run.

Loaders (one per engine and per source: a dataset folder or the lake) must produce exactly these
tables and columns. Money is in integer cents (`*_c`), dates are integers (see `window.py`),
`pid` is the resident ID number, `hh` the household id. Only the loaders know file formats;
the rule SQL sees nothing else, which is what makes it portable between engines.
"""

from __future__ import annotations

PERSON = ("hh", "mid", "birth_ymd", "labour")

FRAME: dict[str, tuple[str, ...]] = {
    # monitored: already a monitoring object (an open case); counts as formerly poor in R04
    # hh: the key every table joins on (the household id, or a compact integer in stored
    # frames); hid: the household id as written in the files
    "hh": ("hh", "hid", "village", "prov", "formerly_poor", "monitored", "in_case"),
    "mem": ("hh", "mid", "pid", "birth_ymd", "labour", "inh"),
    "inc": ("hh", "s_mon", "e_mon", "net_c"),
    # Person-keyed feeds carry the in-household member they belong to (hh, mid, birth_ymd,
    # labour: PERSON); hh is NULL for unknown people and members who left the household.
    "f_medical": ("rid", "pid", "mon", "oop_c", *PERSON),
    "f_insurance": ("pid", "year", "enrolled", *PERSON),
    # next_day: the day of the same person's (household's) next record in (day, rid) order, so
    # that "latest record at D" is `day <= D < next_day`; next_vday: the same per village.
    "f_education": ("rid", "pid", "day", "mon", "status", "cost_c", "next_day", *PERSON),
    "f_disaster": ("rid", "hh", "mon", "loss_c", "collapsed"),
    "f_housing": ("rid", "hh", "day", "grade", "next_day"),
    "f_water": ("rid", "hh", "village", "day", "safe", "next_day", "next_vday"),
    "f_civil": ("rid", "pid", "s_mon", "program", *PERSON),
    "f_disability": ("rid", "pid", "mon", "grade", *PERSON),
    "f_health": ("rid", "pid", "mon", "serious", *PERSON),
    "f_accident": ("rid", "pid", "mon", "outcome", *PERSON),
    "f_employment": ("rid", "pid", "day", "status", "next_day", *PERSON),
    "f_assets": ("rid", "pid", "day", "asset", "value_c", *PERSON),
    "decl": ("rid", "hh", "day"),
    # households already in an open case (from the case register; empty for a dataset folder)
    "open_cases": ("hh", "monitored"),
    # one row per province: money in cents, ratios as exact fractions num/den
    "params": (
        "prov",
        "line_c",
        "rdi_c",
        "mfp_n",
        "mfp_d",
        "mot_n",
        "mot_d",
        "drop_n",
        "drop_d",
        "near_n",
        "near_d",
        "dl_n",
        "dl_d",
        "edu_c",
        "unemp_days",
        "decl_days",
    ),
}

# Column types of the tables an engine is handed as rows rather than files.
INPUT_TYPES: dict[str, dict[str, str]] = {
    "open_cases": {"hh": "VARCHAR", "monitored": "BOOLEAN"},
    "params": {c: ("VARCHAR" if c == "prov" else "BIGINT") for c in FRAME["params"]},
}

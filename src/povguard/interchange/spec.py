"""The SPEC §3 interchange files declared once: names, keys, columns, types and allowed values.

Importers, the synthetic generator, the screening engines and exports all read this table, so
a column is described in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    CODE = "code"  # 12-digit region code, leading zeros kept
    ID_NUMBER = "id_number"  # 18-character resident ID with MOD 11-2 check character
    DATE = "date"  # YYYY-MM-DD
    MONTH = "month"  # YYYY-MM
    MONEY = "money"  # yuan, up to 2 decimals
    INT = "int"
    BOOL = "bool"  # true / false
    ENUM = "enum"
    CODES = "codes"  # ';'-separated cause codes


class Keyed(StrEnum):
    """What a feed row points at in the registry."""

    PERSON = "person"  # id_number
    HOUSEHOLD = "household"  # household_id
    HOUSEHOLD_OR_VILLAGE = "household_or_village"  # water: exactly one of the two


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True  # the column must be present and every value filled
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class FileSpec:
    name: str  # path inside a dataset folder, without extension: "households", "feeds/medical"
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    keyed: Keyed | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def is_feed(self) -> bool:
        return self.name.startswith("feeds/")


def _c(name: str, kind: Kind, *choices: str, required: bool = True, **bounds: float) -> Column:
    return Column(name, kind, required, tuple(choices), bounds.get("min"), bounds.get("max"))


def _opt(name: str, kind: Kind, *choices: str, **bounds: float) -> Column:
    return _c(name, kind, *choices, required=False, **bounds)


def _money(name: str, *, required: bool = False, signed: bool = False) -> Column:
    return _c(name, Kind.MONEY, required=required, **({} if signed else {"min": 0.0}))


LEVELS = ("province", "city", "county", "township", "village")
ZONES = ("east", "central", "west")
HOUSEHOLD_STATUSES = ("formerly_poor", "ordinary")
RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")
LABOUR = ("full", "partial", "none")
HEALTH = ("healthy", "chronic", "serious", "disabled")
INCOME_SOURCES = ("survey", "cadre", "department")
EDUCATION_STATUSES = ("enrolled", "dropout", "suspended")
STAGES = ("preschool", "primary", "junior", "senior", "vocational", "tertiary")
HAZARDS = ("0201", "0202", "0203", "0204", "0205", "0206", "0207")
HOUSE_DAMAGE = ("none", "damaged", "collapsed")
HOUSING_GRADES = ("A", "B", "C", "D")
WATER_ISSUES = ("quantity", "quality", "convenience", "assurance")
CIVIL_PROGRAMS = ("dibao", "extreme_poverty", "temporary")
ACCIDENT_OUTCOMES = ("death", "serious_injury", "injury")
EMPLOYMENT_STATUSES = ("employed", "unemployed", "returned_home")
PLACES = ("in_county", "in_province", "out_of_province")
ASSETS = ("vehicle", "commercial_housing", "business", "deposit")
CHANNELS = ("app", "hotline", "written", "visit")
# SPEC §7 cause codes; disaster causes are 02 followed by the hazard digits (0201 … 0207).
CAUSE_CODES = ("01", "02", *HAZARDS, "03", "04", "05", "06", "07", "08", "09", "99")

T, K = Kind, Keyed
FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "regions",
            ("code",),
            (
                _c("code", T.CODE),
                _c("name", T.TEXT),
                _c("level", T.ENUM, *LEVELS),
                _opt("parent_code", T.CODE),
                _opt("zone", T.ENUM, *ZONES),
                _opt("key_county", T.BOOL),
            ),
        ),
        FileSpec(
            "households",
            ("household_id",),
            (
                _c("household_id", T.TEXT),
                _c("village_code", T.CODE),
                _opt("head_id_number", T.ID_NUMBER),
                _opt("address", T.TEXT),
                _opt("phone", T.TEXT),
                _c("status", T.ENUM, *HOUSEHOLD_STATUSES),
                _opt("exit_year", T.INT, min=2013, max=2100),
                _opt("relocated", T.BOOL),
                _opt("registered_on", T.DATE),
            ),
        ),
        FileSpec(
            "members",
            ("member_id",),
            (
                _c("member_id", T.TEXT),
                _c("household_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("name", T.TEXT),
                _c("sex", T.ENUM, "M", "F"),
                _c("birth_date", T.DATE),
                _c("relation", T.ENUM, *RELATIONS),
                _c("labour", T.ENUM, *LABOUR),
                _c("health", T.ENUM, *HEALTH),
                _c("in_household", T.BOOL),
            ),
        ),
        FileSpec(
            "income",
            ("household_id", "period_start"),
            (
                _c("household_id", T.TEXT),
                _c("period_start", T.MONTH),
                _c("period_end", T.MONTH),
                _money("wage", signed=True),
                _money("operating", signed=True),
                _money("property", signed=True),
                _money("transfer", signed=True),
                _money("production_cost"),
                _opt("source", T.ENUM, *INCOME_SOURCES),
            ),
            K.HOUSEHOLD,
        ),
        FileSpec(
            "feeds/medical",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _money("total_cost"),
                _money("reimbursed"),
                _money("out_of_pocket", required=True),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/insurance",
            ("id_number", "year"),
            (
                _c("id_number", T.ID_NUMBER),
                _c("year", T.INT, min=1990, max=2100),
                _c("enrolled", T.BOOL),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/education",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _c("status", T.ENUM, *EDUCATION_STATUSES),
                _opt("stage", T.ENUM, *STAGES),
                _money("cost"),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/disaster",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("household_id", T.TEXT),
                _c("date", T.DATE),
                _opt("hazard", T.ENUM, *HAZARDS),
                _money("loss"),
                _opt("house_damage", T.ENUM, *HOUSE_DAMAGE),
            ),
            K.HOUSEHOLD,
        ),
        FileSpec(
            "feeds/housing",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("household_id", T.TEXT),
                _c("date", T.DATE),
                _c("grade", T.ENUM, *HOUSING_GRADES),
            ),
            K.HOUSEHOLD,
        ),
        FileSpec(
            "feeds/water",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _opt("household_id", T.TEXT),
                _opt("village_code", T.CODE),
                _c("date", T.DATE),
                _c("safe", T.BOOL),
                _opt("issue", T.ENUM, *WATER_ISSUES),
            ),
            K.HOUSEHOLD_OR_VILLAGE,
        ),
        FileSpec(
            "feeds/civil",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("program", T.ENUM, *CIVIL_PROGRAMS),
                _c("start", T.DATE),
                _opt("end", T.DATE),
                _money("amount"),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/disability",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _c("grade", T.INT, min=1, max=4),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/health",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _opt("diagnosis", T.TEXT),
                _c("serious", T.BOOL),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/accident",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _c("outcome", T.ENUM, *ACCIDENT_OUTCOMES),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/employment",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _c("status", T.ENUM, *EMPLOYMENT_STATUSES),
                _opt("place", T.ENUM, *PLACES),
                _opt("months", T.INT, min=0, max=12),
            ),
            K.PERSON,
        ),
        FileSpec(
            "feeds/assets",
            ("record_id",),
            (
                _c("record_id", T.TEXT),
                _c("id_number", T.ID_NUMBER),
                _c("date", T.DATE),
                _c("asset", T.ENUM, *ASSETS),
                _money("value"),
            ),
            K.PERSON,
        ),
        FileSpec(
            "declarations",
            ("declaration_id",),
            (
                _c("declaration_id", T.TEXT),
                _c("household_id", T.TEXT),
                _c("date", T.DATE),
                _c("channel", T.ENUM, *CHANNELS),
                _opt("causes", T.CODES, *CAUSE_CODES),
                _opt("text", T.TEXT),
            ),
            K.HOUSEHOLD,
        ),
    )
}

REGISTRY_FILES = ("regions", "households", "members")
FEED_FILES = tuple(name for name in FILES if name.startswith("feeds/"))
POLICY_FILE = "policy.yaml"

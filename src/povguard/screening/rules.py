"""Screening rules R01–R16 (SPEC §6), declared once as data.

A `Fact` is a named per-household aggregate over the screening frame (`frame.py`); a `Rule` is a
boolean SQL expression over fact columns (named `<fact>_<column>`) and the province's parameters
(`params`), plus the columns shown as its evidence. `compiler.py` turns these declarations into
one SQL query (DuckDB dialect) that sqlglot transpiles for Spark. The SQL uses integers only:
money in cents, dates as day/month numbers, ratios as exact fractions, so every comparison is
exact and both engines agree to the bit.

Adding a rule: add its `Rule` (and a `Fact` if it needs a new aggregate) and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnKind(StrEnum):
    INT = "int"
    MONEY = "money"  # integer cents
    IDS = "ids"  # record ids joined by ',', in no particular order (the clues sort them)
    TEXT = "text"


@dataclass(frozen=True)
class Fact:
    name: str
    sql: str  # SELECT hh, <columns> … GROUP BY hh   (substituted: {d_day}, {w_lo}, …)
    columns: dict[str, ColumnKind]
    # Depends on the registry alone (not on D, the policy or the feeds): a stored frame holds
    # it, computed once when the frame is built, instead of computing it at every run.
    static: bool = False
    # Its WHERE only leaves out rows that add nothing to any of its columns (a household left
    # with no row gets the defaults, which such rows sum to): it spares reading them, and a
    # pass computing more columns over every row (`compiler.fact_with_columns`) drops it.
    where_only_prunes: bool = False

    def default(self, column: str) -> str:
        return "NULL" if self.columns[column] in (ColumnKind.IDS, ColumnKind.TEXT) else "0"


@dataclass(frozen=True)
class Rule:
    code: str
    cause: str  # SPEC §6 cause: "income", "rigid_spending", or a §7 cause code
    title_en: str
    title_zh: str
    fires: str  # SQL boolean over `<fact>_<column>`, household and `params` columns
    evidence: tuple[str, ...] = field(default=())
    parameters: tuple[str, ...] = field(default=())


# Unsorted: most households with records fire no rule that lists them, and sorting every
# household's list cost more than the aggregate itself; `clues.py` sorts the lists it shows.
IDS = "string_agg({}, ',')"
IN_W = "BETWEEN {w_lo} AND {w_hi}"
# The latest record known at D of its person, household or village: the frame carries the day
# of the key's next record in (day, rid) order (`frame.py`), so "latest" is a row filter, not a
# window over millions of records at every run.
LATEST_AT_D = "day <= {d_day} AND (next_day IS NULL OR next_day > {d_day})"
VILLAGE_LATEST_AT_D = "day <= {d_day} AND (next_vday IS NULL OR next_vday > {d_day})"


# The parameters `p` of the province of the household of feed rows `{0}`, joined here rather than
# through `hp`: DuckDB stores a CTE that several queries read, and `hp`'s rows are wide.
PROVINCE_PARAMS = "JOIN hh h ON h.hh = {0}.hh JOIN params p ON p.prov = h.prov"


def _ids(column: str) -> str:
    return IDS.format(column)


def _in_household_records(table: str, where: str) -> str:
    """Per household: the in-household members' records of a person-keyed feed matching `where`."""
    return (
        f"SELECT f.hh, count(*) AS k, {_ids('f.rid')} AS ids "
        f"FROM {table} f WHERE f.hh IS NOT NULL AND {where} GROUP BY f.hh"
    )


def _household_records(table: str, where: str) -> str:
    return f"SELECT hh, count(*) AS k, {_ids('rid')} AS ids FROM {table} WHERE {where} GROUP BY hh"


HITS = {"k": ColumnKind.INT, "ids": ColumnKind.IDS}

FACTS: dict[str, Fact] = {
    fact.name: fact
    for fact in (
        Fact(
            "size",
            "SELECT hh, count(*) AS n FROM pm GROUP BY hh",
            {"n": ColumnKind.INT},
            static=True,
        ),
        Fact(
            "inc",
            # Only records lying wholly inside a window count (SPEC §4).
            "SELECT hh,"
            " sum(CASE WHEN s_mon >= {w_lo} AND e_mon <= {w_hi}"
            " THEN e_mon - s_mon + 1 ELSE 0 END) AS m,"
            " sum(CASE WHEN s_mon >= {w_lo} AND e_mon <= {w_hi} THEN net_c ELSE 0 END) AS s_c,"
            " sum(CASE WHEN s_mon >= {wp_lo} AND e_mon <= {wp_hi}"
            " THEN e_mon - s_mon + 1 ELSE 0 END) AS mp,"
            " sum(CASE WHEN s_mon >= {wp_lo} AND e_mon <= {wp_hi} THEN net_c ELSE 0 END) AS sp_c"
            " FROM inc WHERE s_mon >= {wp_lo} AND e_mon <= {w_hi} GROUP BY hh",
            {
                "m": ColumnKind.INT,
                "s_c": ColumnKind.MONEY,
                "mp": ColumnKind.INT,
                "sp_c": ColumnKind.MONEY,
            },
            # Each sum's CASE keeps only records inside W or W', which lie inside the WHERE's
            # span.
            where_only_prunes=True,
        ),
        Fact(
            "med",
            f"SELECT f.hh, sum(f.oop_c) AS oop_c, {_ids('f.rid')} AS ids"
            f" FROM f_medical f WHERE f.hh IS NOT NULL AND f.mon {IN_W} GROUP BY f.hh",
            {"oop_c": ColumnKind.MONEY, "ids": ColumnKind.IDS},
        ),
        Fact(
            "educ",
            f"SELECT f.hh, sum(f.cost_c) AS cost_c, {_ids('f.rid')} AS ids"
            f" FROM f_education f WHERE f.hh IS NOT NULL AND f.mon {IN_W} GROUP BY f.hh",
            {"cost_c": ColumnKind.MONEY, "ids": ColumnKind.IDS},
        ),
        Fact(
            "dropout",
            # Latest education record of each child aged 6–15 at D (whole years, ymd arithmetic).
            f"SELECT hh, count(*) AS k, {_ids('rid')} AS ids FROM f_education"
            f" WHERE hh IS NOT NULL AND {LATEST_AT_D} AND status IN ('dropout', 'suspended')"
            " AND birth_ymd + 60000 <= {d_ymd} AND birth_ymd + 160000 > {d_ymd}"
            " GROUP BY hh",
            HITS,
        ),
        Fact(
            "dis",
            "SELECT hh, sum(loss_c) AS loss_c,"
            " sum(CASE WHEN collapsed THEN 1 ELSE 0 END) AS collapsed,"
            f" {_ids('rid')} AS ids FROM f_disaster WHERE mon {IN_W} GROUP BY hh",
            {"loss_c": ColumnKind.MONEY, "collapsed": ColumnKind.INT, "ids": ColumnKind.IDS},
        ),
        Fact(
            "acc",
            _in_household_records(
                "f_accident", f"f.mon {IN_W} AND f.outcome IN ('death', 'serious_injury')"
            ),
            HITS,
        ),
        Fact(
            "uninsured",
            f"SELECT f.hh, count(*) AS k, {_ids('f.mid')} AS ids FROM f_insurance f"
            " WHERE f.hh IS NOT NULL AND f.year = {d_year} AND NOT f.enrolled GROUP BY f.hh",
            HITS,
        ),
        Fact(
            "house",
            f"SELECT hh, grade, rid AS ids FROM f_housing WHERE hh IS NOT NULL AND {LATEST_AT_D}",
            {"grade": ColumnKind.TEXT, "ids": ColumnKind.IDS},
        ),
        Fact(
            "water",
            # The household's own latest record decides; only without one, the village's.
            "SELECT h.hh,"
            " CASE WHEN hw.rid IS NOT NULL THEN (CASE WHEN hw.safe THEN 0 ELSE 1 END)"
            " ELSE (CASE WHEN vw.safe THEN 0 ELSE 1 END) END AS unsafe,"
            " coalesce(hw.rid, vw.rid) AS ids FROM hh h"
            " LEFT JOIN (SELECT hh, safe, rid FROM f_water"
            f"   WHERE hh IS NOT NULL AND {LATEST_AT_D}) hw ON hw.hh = h.hh"
            " LEFT JOIN (SELECT village, safe, rid FROM f_water"
            f"   WHERE village IS NOT NULL AND {VILLAGE_LATEST_AT_D}) vw ON vw.village = h.village"
            " WHERE hw.rid IS NOT NULL OR vw.rid IS NOT NULL",
            {"unsafe": ColumnKind.INT, "ids": ColumnKind.IDS},
        ),
        Fact(
            "jobless",
            f"SELECT e.hh, count(*) AS k, {_ids('e.rid')} AS ids FROM f_employment e"
            f" {PROVINCE_PARAMS.format('e')}"
            f" WHERE e.hh IS NOT NULL AND {LATEST_AT_D}"
            " AND e.labour IN ('full', 'partial') AND e.status IN ('unemployed', 'returned_home')"
            " AND {d_day} - e.day >= p.unemp_days GROUP BY e.hh",
            HITS,
        ),
        Fact(
            "disab",
            _in_household_records("f_disability", f"f.mon {IN_W} AND f.grade IN (1, 2)"),
            HITS,
        ),
        Fact("ill", _in_household_records("f_health", f"f.mon {IN_W} AND f.serious"), HITS),
        Fact(
            "declared",
            f"SELECT d.hh, count(*) AS k, {_ids('d.rid')} AS ids"
            f" FROM decl d {PROVINCE_PARAMS.format('d')}"
            " WHERE {d_day} - d.day >= 0 AND {d_day} - d.day <= p.decl_days GROUP BY d.hh",
            HITS,
        ),
        Fact(
            "civil",
            _in_household_records(
                "f_civil",
                f"f.s_mon {IN_W} AND f.program IN ('dibao', 'extreme_poverty', 'temporary')",
            ),
            HITS,
        ),
        Fact(
            "assets",
            _in_household_records("f_assets", "f.day <= {d_day}"),
            HITS,
        ),
    )
}

# pc_income = inc_s_c × 12 ÷ (inc_m × size_n); comparisons are cross-multiplied, never divided.
KNOWN_INCOME = "inc_m >= 6 AND size_n > 0"
BELOW_LINE = f"{KNOWN_INCOME} AND inc_s_c * 12 < line_c * inc_m * size_n"

RULES: tuple[Rule, ...] = (
    Rule(
        "R01",
        "income",
        "Per-capita net income below the monitoring line",
        "人均纯收入低于监测范围",
        BELOW_LINE,
        ("inc_m", "inc_s_c", "size_n"),
        ("monitoring_line",),
    ),
    Rule(
        "R02",
        "income",
        "Income fell sharply from the previous window and is near the line",
        "收入大幅下降且接近监测范围",
        f"{KNOWN_INCOME} AND inc_mp >= 6 AND inc_sp_c > 0"
        " AND inc_s_c * inc_mp * drop_d <= (drop_d - drop_n) * inc_sp_c * inc_m"
        " AND inc_s_c * 12 * near_d < near_n * line_c * inc_m * size_n",
        ("inc_m", "inc_s_c", "inc_mp", "inc_sp_c", "size_n"),
        ("income_drop_ratio", "near_line_ratio", "monitoring_line"),
    ),
    Rule(
        "R03",
        "rigid_spending",
        "Rigid spending (medical, education, disaster) pushes income below the line",
        "刚性支出较大导致收入低于监测范围",
        f"{KNOWN_INCOME} AND inc_s_c * 12 >= line_c * inc_m * size_n"
        " AND inc_s_c * 12 - (med_oop_c + educ_cost_c + dis_loss_c) * inc_m"
        " < line_c * inc_m * size_n",
        ("inc_m", "inc_s_c", "size_n", "med_oop_c", "educ_cost_c", "dis_loss_c"),
        ("monitoring_line",),
    ),
    Rule(
        "R04",
        "01",
        "Heavy out-of-pocket medical costs",
        "医疗自付费用较高",
        "med_oop_c * (CASE WHEN formerly_poor OR monitored THEN mfp_d ELSE mot_d END)"
        " > (CASE WHEN formerly_poor OR monitored THEN mfp_n ELSE mot_n END) * rdi_c",
        ("med_oop_c", "med_ids"),
        ("medical_ratio_formerly_poor", "medical_ratio_other", "rural_disposable_income"),
    ),
    Rule(
        "R05",
        "02",
        "Disaster: house collapsed or heavy loss",
        "遭受自然灾害房屋倒塌或损失较大",
        "dis_collapsed > 0 OR (dis_loss_c > 0 AND (inc_m < 6 OR inc_s_c <= 0"
        " OR dis_loss_c * inc_m * dl_d >= dl_n * inc_s_c * 12))",
        ("dis_loss_c", "dis_collapsed", "dis_ids", "inc_m", "inc_s_c"),
        ("disaster_loss_ratio",),
    ),
    Rule(
        "R06",
        "05",
        "Death or serious injury in an accident",
        "意外事故致死或重伤",
        "acc_k > 0",
        ("acc_ids",),
    ),
    Rule(
        "R07",
        "09",
        "A child of compulsory-education age dropped out or suspended school",
        "义务教育阶段适龄儿童辍学或休学",
        "dropout_k > 0",
        ("dropout_ids",),
    ),
    Rule(
        "R08",
        "09",
        "Heavy non-compulsory education costs",
        "非义务教育阶段教育支出较大",
        "educ_cost_c > edu_c",
        ("educ_cost_c", "educ_ids"),
        ("education_cost_limit",),
    ),
    Rule(
        "R09",
        "01",
        "A member is not enrolled in basic medical insurance this year",
        "家庭成员未参加本年度基本医疗保险",
        "uninsured_k > 0",
        ("uninsured_ids",),
    ),
    Rule(
        "R10",
        "housing",
        "House rated unsafe (grade C or D)",
        "住房鉴定为危房（C级或D级）",
        "house_grade IN ('C', 'D')",
        ("house_grade", "house_ids"),
    ),
    Rule(
        "R11",
        "water",
        "Drinking water not safe",
        "饮水安全未保障",
        "water_unsafe > 0",
        ("water_ids",),
    ),
    Rule(
        "R12",
        "07",
        "A working-age member has been unemployed or returned home",
        "劳动力失业或返乡",
        "jobless_k > 0",
        ("jobless_ids",),
        ("unemployed_days",),
    ),
    Rule(
        "R13",
        "03",
        "Severe disability (grade 1 or 2)",
        "新增一、二级重度残疾",
        "disab_k > 0",
        ("disab_ids",),
    ),
    Rule(
        "R14",
        "01",
        "Serious illness",
        "新患重大疾病",
        "ill_k > 0",
        ("ill_ids",),
    ),
    Rule(
        "R15",
        "declared",
        "The household declared a difficulty",
        "农户自主申报困难",
        "declared_k > 0",
        ("declared_ids",),
        ("declaration_days",),
    ),
    Rule(
        "R16",
        "assistance",
        "Newly receiving dibao, extreme poverty support or temporary assistance",
        "新纳入低保、特困供养或临时救助",
        "civil_k > 0",
        ("civil_ids",),
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}
CATEGORY = (
    f"CASE WHEN {BELOW_LINE} THEN (CASE WHEN formerly_poor THEN 'unstable' ELSE 'marginal' END)"
    " ELSE 'sudden_difficulty' END"
)

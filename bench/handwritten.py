"""The most direct hand-written DuckDB SQL for R01–R16 we could write, for the benchmark ratio.

It reads the SPEC §3 files as they are (CSV or Parquet) and returns the clue rows
(household_id, category, rules, pc_income, line) for one date and one policy entry per
province. It is checked against the example's expected clues in tests/bench.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import yaml

SQL = """
WITH
pol AS (SELECT * FROM policy),
hh AS (SELECT household_id, village_code, status,
         substr(village_code, 1, 2) || '0000000000' AS province FROM {households}),
mem AS (SELECT household_id, id_number, birth_date::DATE AS birth_date, labour
        FROM {members} WHERE in_household),
n AS (SELECT household_id, count(*) AS n FROM mem GROUP BY ALL),
inc AS (
  SELECT household_id,
    sum(CASE WHEN ps >= DATE '{w_lo}' AND pe <= DATE '{w_hi}'
        THEN date_diff('month', ps, pe) + 1 ELSE 0 END) AS m,
    sum(CASE WHEN ps >= DATE '{w_lo}' AND pe <= DATE '{w_hi}' THEN net ELSE 0 END) AS s,
    sum(CASE WHEN ps >= DATE '{wp_lo}' AND pe <= DATE '{wp_hi}'
        THEN date_diff('month', ps, pe) + 1 ELSE 0 END) AS mp,
    sum(CASE WHEN ps >= DATE '{wp_lo}' AND pe <= DATE '{wp_hi}' THEN net ELSE 0 END) AS sp
  FROM (SELECT household_id, (period_start || '-01')::DATE AS ps, (period_end || '-01')::DATE AS pe,
          coalesce(wage, 0) + coalesce(operating, 0) + coalesce(property, 0)
          + coalesce(transfer, 0) - coalesce(production_cost, 0) AS net
        FROM {income}) GROUP BY ALL),
pf AS (SELECT m.household_id, f.* FROM mem m JOIN {medical} f USING (id_number)),
med AS (SELECT household_id, sum(out_of_pocket) AS oop FROM pf
        WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}' GROUP BY ALL),
edu AS (SELECT m.household_id, sum(coalesce(cost, 0)) AS cost FROM mem m JOIN {education} f
        USING (id_number) WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}' GROUP BY ALL),
dis AS (SELECT household_id, sum(coalesce(loss, 0)) AS loss,
          bool_or(house_damage = 'collapsed') AS collapsed FROM {disaster}
        WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}' GROUP BY ALL),
r06 AS (SELECT DISTINCT m.household_id FROM mem m JOIN {accident} f USING (id_number)
        WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}'
          AND outcome IN ('death', 'serious_injury')),
r07 AS (SELECT DISTINCT m.household_id FROM mem m JOIN (
          SELECT id_number, arg_max(status, (date::DATE, record_id)) AS status FROM {education}
          WHERE date::DATE <= DATE '{d}' GROUP BY ALL) e USING (id_number)
        WHERE e.status IN ('dropout', 'suspended')
          AND date_sub('year', m.birth_date, DATE '{d}') BETWEEN 6 AND 15),
r09 AS (SELECT DISTINCT m.household_id FROM mem m JOIN {insurance} f USING (id_number)
        WHERE f.year = {year} AND NOT f.enrolled),
r10 AS (SELECT household_id FROM {housing} WHERE date::DATE <= DATE '{d}'
        GROUP BY ALL HAVING arg_max(grade, (date::DATE, record_id)) IN ('C', 'D')),
hw AS (SELECT household_id, arg_max(safe, (date::DATE, record_id)) AS safe FROM {water}
       WHERE household_id IS NOT NULL AND date::DATE <= DATE '{d}' GROUP BY ALL),
vw AS (SELECT village_code, arg_max(safe, (date::DATE, record_id)) AS safe FROM {water}
       WHERE village_code IS NOT NULL AND date::DATE <= DATE '{d}' GROUP BY ALL),
r11 AS (SELECT h.household_id FROM hh h LEFT JOIN hw USING (household_id)
        LEFT JOIN vw ON vw.village_code = h.village_code
        WHERE NOT coalesce(hw.safe, vw.safe)),
r12 AS (SELECT DISTINCT m.household_id FROM mem m JOIN (
          SELECT id_number, arg_max(status, (date::DATE, record_id)) AS status,
                 max(date::DATE) AS date FROM {employment}
          WHERE date::DATE <= DATE '{d}' GROUP BY ALL) e USING (id_number)
        JOIN hh USING (household_id) JOIN pol p ON p.province = hh.province
        WHERE m.labour IN ('full', 'partial') AND e.status IN ('unemployed', 'returned_home')
          AND DATE '{d}' - e.date >= p.unemployed_days),
r13 AS (SELECT DISTINCT m.household_id FROM mem m JOIN {disability} f USING (id_number)
        WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}' AND grade <= 2),
r14 AS (SELECT DISTINCT m.household_id FROM mem m JOIN {health} f USING (id_number)
        WHERE date::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}' AND serious),
r15 AS (SELECT DISTINCT d.household_id FROM {declarations} d JOIN hh USING (household_id)
        JOIN pol p ON p.province = hh.province
        WHERE DATE '{d}' - date::DATE BETWEEN 0 AND p.declaration_days),
r16 AS (SELECT DISTINCT m.household_id FROM mem m JOIN {civil} f USING (id_number)
        WHERE start::DATE BETWEEN DATE '{w_lo}' AND DATE '{w_end}'
          AND program IN ('dibao', 'extreme_poverty', 'temporary')),
base AS (
  SELECT h.household_id, h.status, p.*, coalesce(n.n, 0) AS n, i.m, i.s, i.mp, i.sp,
    coalesce(med.oop, 0) AS oop, coalesce(edu.cost, 0) AS cost, coalesce(dis.loss, 0) AS loss,
    coalesce(dis.collapsed, false) AS collapsed,
    i.m >= 6 AND coalesce(n.n, 0) > 0 AS known,
    CASE WHEN i.m >= 6 AND n.n > 0 THEN i.s::DOUBLE * 12 / (i.m * n.n) END AS pc,
    CASE WHEN i.mp >= 6 AND n.n > 0 THEN i.sp::DOUBLE * 12 / (i.mp * n.n) END AS pcp,
    CASE WHEN i.m >= 6 THEN i.s * 12 / i.m END AS annual
  FROM hh h JOIN pol p ON p.province = h.province LEFT JOIN n USING (household_id)
  LEFT JOIN inc i USING (household_id) LEFT JOIN med USING (household_id)
  LEFT JOIN edu USING (household_id) LEFT JOIN dis USING (household_id)),
flags AS (
  SELECT household_id, status, known, pc, monitoring_line AS line,
    coalesce(pc < monitoring_line, false) AS r01,
    coalesce(pcp > 0 AND pc <= (1 - income_drop_ratio) * pcp
             AND pc < near_line_ratio * monitoring_line, false) AS r02,
    coalesce(pc >= monitoring_line AND (annual - oop - cost - loss) / n < monitoring_line,
             false) AS r03,
    oop > CASE WHEN status = 'formerly_poor' THEN medical_ratio_formerly_poor
               ELSE medical_ratio_other END * rural_disposable_income AS r04,
    collapsed OR (loss > 0 AND (NOT coalesce(known, false) OR annual <= 0
                                OR loss >= disaster_loss_ratio * annual)) AS r05,
    household_id IN (SELECT household_id FROM r06) AS r06,
    household_id IN (SELECT household_id FROM r07) AS r07,
    cost > education_cost_limit AS r08,
    household_id IN (SELECT household_id FROM r09) AS r09,
    household_id IN (SELECT household_id FROM r10) AS r10,
    household_id IN (SELECT household_id FROM r11) AS r11,
    household_id IN (SELECT household_id FROM r12) AS r12,
    household_id IN (SELECT household_id FROM r13) AS r13,
    household_id IN (SELECT household_id FROM r14) AS r14,
    household_id IN (SELECT household_id FROM r15) AS r15,
    household_id IN (SELECT household_id FROM r16) AS r16
  FROM base)
SELECT household_id,
  CASE WHEN r01 THEN CASE WHEN status = 'formerly_poor' THEN 'unstable' ELSE 'marginal' END
       ELSE 'sudden_difficulty' END AS category,
  concat_ws(';', CASE WHEN r01 THEN 'R01' END, CASE WHEN r02 THEN 'R02' END,
    CASE WHEN r03 THEN 'R03' END, CASE WHEN r04 THEN 'R04' END, CASE WHEN r05 THEN 'R05' END,
    CASE WHEN r06 THEN 'R06' END, CASE WHEN r07 THEN 'R07' END, CASE WHEN r08 THEN 'R08' END,
    CASE WHEN r09 THEN 'R09' END, CASE WHEN r10 THEN 'R10' END, CASE WHEN r11 THEN 'R11' END,
    CASE WHEN r12 THEN 'R12' END, CASE WHEN r13 THEN 'R13' END, CASE WHEN r14 THEN 'R14' END,
    CASE WHEN r15 THEN 'R15' END, CASE WHEN r16 THEN 'R16' END) AS rules,
  round(pc, 2) AS pc_income, line
FROM flags
WHERE r01 OR r02 OR r03 OR r04 OR r05 OR r06 OR r07 OR r08 OR r09 OR r10 OR r11 OR r12
   OR r13 OR r14 OR r15 OR r16
ORDER BY household_id
"""

FILES = {
    "households": "households", "members": "members", "income": "income",
    "declarations": "declarations", **{f: f"feeds/{f}" for f in (
        "medical", "insurance", "education", "disaster", "housing", "water", "civil",
        "disability", "health", "accident", "employment")},
}  # fmt: skip


TEXT_COLUMNS = {"record_id", "id_number", "household_id", "village_code", "head_id_number",
                "declaration_id", "member_id", "phone", "hazard", "causes", "code", "parent_code",
                "period_start", "period_end"}  # fmt: skip


def _reader(folder: Path, name: str) -> str:
    parquet = sorted(folder.glob(f"{name}*.parquet")) or sorted((folder / name).glob("*.parquet"))
    if parquet:
        return f"read_parquet('{folder}/{name}*.parquet')"
    path = folder / f"{name}.csv"
    header = path.open(encoding="utf-8").readline().strip().split(",")
    text = [c for c in header if c in TEXT_COLUMNS]
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in text)
    return f"read_csv('{path}', header = true, types = {{{types}}})"


def _months(as_of: dt.date) -> dict[str, str]:
    def first(shift: int) -> str:
        index = as_of.year * 12 + as_of.month - 1 + shift
        return f"{index // 12:04d}-{index % 12 + 1:02d}-01"

    w_end = dt.date.fromisoformat(first(0)) - dt.timedelta(days=1)
    windows = {"w_lo": first(-12), "w_hi": first(-1), "wp_lo": first(-24), "wp_hi": first(-13)}
    return {**windows, "w_end": w_end.isoformat(), "d": as_of.isoformat(), "year": str(as_of.year)}


def query(folder: Path, as_of: dt.date) -> str:
    tables = {key: _reader(folder, path) for key, path in FILES.items()}
    return SQL.format(**tables, **_months(as_of))


def run(folder: Path, as_of: dt.date, con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    entries = yaml.safe_load((folder / "policy.yaml").read_text(encoding="utf-8"))
    rows = [e for e in entries if e["year"] == as_of.year]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE policy (province VARCHAR, monitoring_line DECIMAL(18,2),"
        " rural_disposable_income DECIMAL(18,2), medical_ratio_formerly_poor DECIMAL(9,4),"
        " medical_ratio_other DECIMAL(9,4), income_drop_ratio DECIMAL(9,4),"
        " near_line_ratio DECIMAL(9,4), disaster_loss_ratio DECIMAL(9,4),"
        " education_cost_limit DECIMAL(18,2), unemployed_days INT, declaration_days INT)"
    )
    defaults = {
        "medical_ratio_formerly_poor": 0.5, "medical_ratio_other": 1.0, "income_drop_ratio": 0.3,
        "near_line_ratio": 1.5, "disaster_loss_ratio": 0.5, "education_cost_limit": 10000,
        "unemployed_days": 30, "declaration_days": 90,
    }  # fmt: skip
    for e in rows:
        values = {**defaults, **e}
        con.execute(
            "INSERT INTO policy VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [str(values["province"]), *(str(values[k]) for k in (
                "monitoring_line", "rural_disposable_income", "medical_ratio_formerly_poor",
                "medical_ratio_other", "income_drop_ratio", "near_line_ratio",
                "disaster_loss_ratio", "education_cost_limit")),
             values["unemployed_days"], values["declaration_days"]],
        )  # fmt: skip
    return con.execute(query(folder, as_of)).fetchall()

"""Seed data for web, auth and browser tests: a small region tree, households, members, users;
cases with measures, finished screening runs with their clues, finished report jobs.

Two counties of Kunming; county 530129 has two townships. Rows go in directly with SQLAlchemy;
cases and measures through their services (acting as the system), so that they are complete.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from povguard.auth.models import User
from povguard.auth.principal import SYSTEM
from povguard.cases import assistance
from povguard.cases import service as cases
from povguard.cases.enums import CaseSource, MeasureGroup, ReferralProgram
from povguard.cases.schemas import CaseCreate, MeasureCreate, ReferralCreate
from povguard.core.db import engine_for
from povguard.households.idnumber import check_char
from povguard.households.models import Household, Member
from povguard.regions.models import Region
from povguard.reports.models import ReportJob
from povguard.screening import runs
from povguard.screening.clues import CLUE_SCHEMA
from povguard.screening.models import ScreeningRun
from povguard.screening.service import count_clues

PASSWORD = "correct horse battery"
PROVINCE = "530000000000"
CITY = "530100000000"
COUNTY_A = "530129000000"
TOWNSHIP_A = "530129001000"
TOWNSHIP_B = "530129002000"
VILLAGE_A1 = "530129001001"
VILLAGE_A2 = "530129001002"
VILLAGE_B1 = "530129002001"
COUNTY_C = "530124000000"
TOWNSHIP_C = "530124001000"
VILLAGE_C1 = "530124001001"

REGIONS = [
    (PROVINCE, "云南省", "province", None, None, None),
    (CITY, "昆明市", "city", PROVINCE, None, None),
    (COUNTY_A, "寻甸回族彝族自治县", "county", CITY, "west", True),
    (TOWNSHIP_A, "仁德街道", "township", COUNTY_A, None, None),
    (TOWNSHIP_B, "羊街镇", "township", COUNTY_A, None, None),
    (VILLAGE_A1, "黄坡村", "village", TOWNSHIP_A, None, None),
    (VILLAGE_A2, "东山村", "village", TOWNSHIP_A, None, None),
    (VILLAGE_B1, "新村", "village", TOWNSHIP_B, None, None),
    (COUNTY_C, "富民县", "county", CITY, "west", False),
    (TOWNSHIP_C, "大营镇", "township", COUNTY_C, None, None),
    (VILLAGE_C1, "石桥村", "village", TOWNSHIP_C, None, None),
]


def id_number(area: str, born: dt.date, sequence: int) -> str:
    """A valid 18-character resident ID for a person born on `born` in `area` (6 digits)."""
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


@dataclass(frozen=True)
class SeededHousehold:
    household_id: str
    village_code: str
    head_name: str
    head_id: str
    member_names: tuple[str, ...]
    member_ids: tuple[str, ...]  # ID numbers, in the order of member_names


def add_household(
    session: Session, household_id: str, village: str, names: list[str], sequence: int
) -> SeededHousehold:
    area = village[:6]
    relations = ["head", "spouse", "child", "parent"]
    ids = []
    for index, name in enumerate(names):
        born = dt.date(1960 + 7 * index, 1 + index, 10 + index) + dt.timedelta(days=40 * sequence)
        number = id_number(area, born, (sequence * 10 + index) % 1000)
        ids.append(number)
        session.add(
            Member(
                member_id=f"M{household_id[1:]}{index}",
                household_id=household_id,
                id_number=number,
                name=name,
                sex="F" if index % 2 else "M",
                birth_date=born,
                relation=relations[index % len(relations)],
                labour="full" if index < 2 else "none",
                health="chronic" if index == 1 else "healthy",
                in_household=index != 3,  # a fourth member has moved out
            )
        )
    session.add(
        Household(
            household_id=household_id,
            village_code=village,
            head_id_number=ids[0],
            address=f"云南省{village}号",
            phone=f"1389012{sequence:04d}",
            status="formerly_poor" if sequence % 2 else "ordinary",
            exit_year=2019 if sequence % 2 else None,
            relocated=False,
            registered_on=dt.date(2016, 3, sequence % 28 + 1),
        )
    )
    return SeededHousehold(household_id, village, names[0], ids[0], tuple(names), tuple(ids))


HOUSEHOLDS = [
    ("H000001", VILLAGE_A1, ["张伟", "李娜", "张小明", "张老汉"]),
    ("H000002", VILLAGE_A2, ["王芳", "刘强"]),
    ("H000003", VILLAGE_B1, ["赵磊", "孙丽", "赵小红"]),
    ("H000004", VILLAGE_C1, ["陈静", "周杰"]),
]


def seed_regions(session: Session) -> None:
    for code, name, level, parent, zone, key in REGIONS:
        session.add(
            Region(code=code, name=name, level=level, parent_code=parent, zone=zone, key_county=key)
        )
    session.flush()


def seed_households(session: Session, extra: int = 0) -> dict[str, SeededHousehold]:
    """The four households above, then `extra` more in village A1 (for paging)."""
    seeded = {}
    for sequence, (household_id, village, names) in enumerate(HOUSEHOLDS, start=1):
        seeded[household_id] = add_household(session, household_id, village, names, sequence)
        session.flush()
    for index in range(extra):
        household_id = f"H1{index:05d}"
        seeded[household_id] = add_household(
            session, household_id, VILLAGE_A1, [f"村民{index}"], 100 + index
        )
    session.flush()
    return seeded


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash of PASSWORD, reused: hashing costs tens of milliseconds."""
    return PasswordHasher().hash(PASSWORD)


def add_user(
    session: Session, username: str, role: str, region_code: str, *, active: bool = True
) -> User:
    user = User(
        username=username,
        password_hash=password_hash(),
        role=role,
        region_code=region_code,
        active=active,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(user)
    session.flush()
    return user


def seed_all(database_url: str, *, extra_households: int = 0) -> dict[str, SeededHousehold]:
    """Regions, households and one admin ("admin") in a fresh database at `database_url`."""
    with Session(engine_for(database_url)) as session:
        seed_regions(session)
        seeded = seed_households(session, extra=extra_households)
        add_user(session, "admin", "admin", "000000000000")
        session.commit()
    return seeded


def responsible_unit(household_id: str) -> str:
    """The responsible unit of the measure seeded for a household (unique, to find it in pages)."""
    return f"帮扶单位{household_id}"


@dataclass(frozen=True)
class SeededCase:
    case_id: int
    measure_id: int
    referral_id: int


def seed_case_with_measure(session: Session, household_id: str) -> SeededCase:
    """An open case of the household (an accident: green channel, so measures may be given at
    once) with one planned measure and an unanswered referral to dibao."""
    data = CaseCreate(household_id=household_id, source=CaseSource.CADRE_VISIT, causes=["05"])
    case, _ = cases.create(session, SYSTEM, data)
    measure = MeasureCreate(
        group=MeasureGroup.EMPLOYMENT,
        type="public_welfare_post",
        responsible_unit=responsible_unit(household_id),
        start=dt.date(2024, 8, 1),
    )
    referral = ReferralCreate(
        household_id=household_id, program=ReferralProgram.DIBAO, case_id=case.id
    )
    return SeededCase(
        case.id,
        assistance.add_measure(session, SYSTEM, case.id, measure).id,
        assistance.refer(session, SYSTEM, referral).id,
    )


def seed_screening_run(
    session: Session, lake: Path, region: str, households: list[SeededHousehold]
) -> str:
    """A finished screening run over `region` whose clues, stored in the lake as a run stores
    them, are one per household of `households`; returns the run id."""
    run_id = uuid.uuid4().hex
    clues = pl.DataFrame(
        [
            {
                "household_id": household.household_id,
                "category": "marginal",
                "rules": "R12",
                "pc_income": "5000.00",
                "line": "7260",
                "evidence": "{}",
                "village_code": household.village_code,
                "in_open_case": False,
                "to_verify": f"asset-{household.household_id}",
            }
            for household in households
        ],
        schema=CLUE_SCHEMA,
    )
    # Every household of the run also lacks income data (for the run's figures).
    missing = clues.select("household_id", "village_code")
    folder = runs.run_folder(lake, run_id)
    for name, frame in (("clues", clues), ("missing_income", missing)):
        (folder / name).mkdir(parents=True)
        frame.write_parquet(folder / name / "part-00000.parquet")
    now = dt.datetime.now(dt.UTC)
    session.add(
        ScreeningRun(
            id=run_id, as_of=dt.date(2024, 7, 15), region_code=region, engine="duckdb",
            state="done", progress=1.0, created_by="system", created_at=now, started_at=now,
            finished_at=now, households=len(households), clue_count=len(households),
            missing_income=len(households), to_verify=len(households),
            counts=count_clues(clues) | {"to_verify": len(households)},
        )
    )  # fmt: skip
    session.flush()
    return run_id


def seed_report(session: Session, reports_dir: Path, username: str, region: str) -> str:
    """A finished Excel export of `username` over `region`, its file in `reports_dir`; returns
    the report id."""
    report_id = uuid.uuid4().hex
    name = f"objects-{region}.xlsx"
    (reports_dir / report_id).mkdir(parents=True)
    (reports_dir / report_id / name).write_bytes(report_content(report_id))
    now = dt.datetime.now(dt.UTC)
    session.add(
        ReportJob(
            id=report_id, kind="objects", region_code=region, params={}, state="done",
            progress=1.0, created_by=username, created_at=now, finished_at=now, file_name=name,
            size_bytes=len(report_content(report_id)),
        )
    )  # fmt: skip
    session.flush()
    return report_id


def report_content(report_id: str) -> bytes:
    """The bytes stored as the file of seeded report `report_id` (not a real workbook)."""
    return f"report {report_id}".encode()

"""Household search and profiles, scoped to the caller's region subtree and masked by role."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from povguard.auth.principal import Principal
from povguard.core.errors import BadInput, NotFound
from povguard.households import idnumber
from povguard.households.models import Household, Member
from povguard.households.schemas import (
    MASKED,
    HouseholdPage,
    HouseholdRead,
    HouseholdSummary,
    MemberRead,
    RegionRef,
)
from povguard.regions.codes import (
    LEVEL_ORDER,
    PREFIX_LENGTH,
    ancestor,
    is_valid_code,
    level_of,
    prefix,
)

MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 100
MAX_REGION_CHOICES = 1000
FULL_ID_RE = re.compile(r"^\d{17}[\dX]$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # never in ids or names; PostgreSQL refuses NUL
MAX_ID_LENGTH = 40
RELATION_ORDER = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")

# Other features' tables are named by string only (DESIGN rule 2).
_regions = sa.table(
    "regions",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
)


def mask_phone(phone: str) -> str:
    """Every character but the last four replaced by '*'."""
    visible = phone[-4:] if len(phone) > 4 else ""
    return "*" * (len(phone) - len(visible)) + visible


def mask_name(name: str) -> str:
    """The surname kept, the given name hidden (张伟 → 张*), for roles without personal data."""
    return name if len(name) <= 1 else name[0] + "*" * (len(name) - 1)


def _in_scope(
    principal: Principal, column: InstrumentedAttribute[str] | sa.ColumnClause[Any]
) -> sa.ColumnElement[bool]:
    """SQL condition: the region code in `column` lies in the principal's subtree."""
    scope = principal.scope_prefix
    return column.startswith(scope) if scope else sa.true()


def region_prefix(
    session: Session, principal: Principal, code: str, *, field: str = "region"
) -> str:
    """The code prefix of region `code` if the registry holds it and the caller may see it.

    A malformed code is BadInput; an unknown code and one outside the caller's scope are the
    same NotFound, so that no answer tells whether a region exists outside the scope.
    """
    if not is_valid_code(code):
        raise BadInput(f"region {code!r} is not a 12-digit region code", field=field)
    if not principal.covers(code) or not _region_exists(session, code):
        raise NotFound(f"region {code} not found")
    return prefix(code)


def region_filter(
    session: Session, principal: Principal, region: str | None, *, field: str = "region"
) -> str | None:
    """The code prefix a list's optional region filter selects (None: no filter), as
    `region_prefix` checks it."""
    return region_prefix(session, principal, region, field=field) if region else None


def _region_exists(session: Session, code: str) -> bool:
    query = sa.select(_regions.c.code).where(_regions.c.code == code)
    return session.execute(query).first() is not None


def _matches(principal: Principal, q: str) -> sa.ColumnElement[bool]:
    """SQL condition for the search text: household id, member name or (full) ID number."""
    # Index-friendly forms: household ids by key range (as typed or upper-cased), members by
    # one semi-join over the members table rather than a subquery per household.
    conditions = [_key_prefix(Household.household_id, t) for t in dict.fromkeys((q, q.upper()))]
    if not any(c.isdigit() for c in q):  # names have no digits; ids and ID numbers do
        conditions.append(Household.household_id.in_(_named(q)))
    # Only roles that see ID numbers may look households up by one: a masked role must not
    # learn which household a known ID number belongs to.
    if principal.sees_personal_data and FULL_ID_RE.match(q.upper()):
        id_number = q.upper()
        conditions.append(Household.head_id_number == id_number)
        holders = sa.select(Member.household_id).where(Member.id_number == id_number)
        conditions.append(Household.household_id.in_(holders))
    return sa.or_(*conditions)


def _named(q: str) -> sa.Select[str]:
    """Households with a member whose name contains `q` (letters compared without case;
    Chinese text as it is, which spares the database a case fold of every name)."""
    name: Any = Member.name
    if q.isascii():
        name, q = sa.func.lower(name), q.lower()
    return sa.select(Member.household_id).where(name.contains(q, autoescape=True))


def _key_prefix(column: Any, prefix: str) -> sa.ColumnElement[bool]:
    """`column` starts with `prefix`, as a key range a B-tree index answers."""
    return sa.and_(column >= prefix, column < prefix + "\U0010ffff")


def _check_paging(page: int, size: int) -> None:
    if page < 1:
        raise BadInput(f"page must be 1 or more, not {page}", field="page")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadInput(f"size must be between 1 and {MAX_PAGE_SIZE}, not {size}", field="size")


@cache  # built once, like the profile query
def _summary_columns() -> tuple[Any, ...]:
    head_name = (
        sa.select(Member.name)
        .where(Member.household_id == Household.household_id, Member.relation == "head")
        .order_by(Member.in_household.desc(), Member.member_id)
        .limit(1)
        .scalar_subquery()
    )
    member_count = (
        sa.select(sa.func.count(Member.member_id))
        .where(Member.household_id == Household.household_id, Member.in_household.is_(True))
        .scalar_subquery()
    )
    return (
        Household.household_id,
        Household.village_code,
        _regions.c.name.label("village_name"),
        head_name.label("head_name"),
        Household.head_id_number,
        Household.status,
        member_count.label("members"),
    )


def search(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    region: str | None = None,
    page: int = 1,
    size: int = 20,
) -> HouseholdPage:
    """Households in scope (and in `region`) matching `q`, ordered by household id."""
    _check_paging(page, size)
    text = (q or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadInput(f"search text longer than {MAX_QUERY_LENGTH} characters", field="q")
    if CONTROL_RE.search(text):
        raise BadInput("search text contains control characters", field="q")
    conditions = [_in_scope(principal, Household.village_code)]
    wanted = region_filter(session, principal, region)
    if wanted:
        conditions.append(Household.village_code.startswith(wanted))
    if text:
        conditions.append(_matches(principal, text))
    total = session.execute(
        sa.select(sa.func.count()).select_from(Household).where(*conditions)
    ).scalar_one()
    rows = session.execute(
        sa.select(*_summary_columns())
        .select_from(Household)
        .outerjoin(_regions, _regions.c.code == Household.village_code)
        .where(*conditions)
        .order_by(Household.household_id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    items = [_summary(principal, row._mapping) for row in rows]
    return HouseholdPage(items=items, total=int(total), page=page, size=size)


def _summary(principal: Principal, row: sa.RowMapping) -> HouseholdSummary:
    head_id = row["head_id_number"]
    if head_id and not principal.sees_personal_data:
        head_id = idnumber.mask(head_id)
    return HouseholdSummary(
        household_id=row["household_id"],
        village_code=row["village_code"],
        village_name=row["village_name"],
        head_name=row["head_name"],
        head_id_number=head_id,
        status=row["status"],
        members=int(row["members"] or 0),
    )


def get(
    session: Session, principal: Principal, household_id: str, *, today: dt.date | None = None
) -> HouseholdRead:
    """One household with its members; NotFound when unknown or outside the caller's scope."""
    well_formed = len(household_id) <= MAX_ID_LENGTH and not CONTROL_RE.search(household_id)
    # One statement, plain rows rather than ORM objects: the profile is read far more often
    # than written. A row per member, each with the household and its regions' names. Run on
    # the session's connection: the ORM's execution layer has nothing to add to a Core query.
    rows: Sequence[sa.Row[Any]] = []
    if well_formed:
        parameters = {"household_id": household_id}
        rows = session.connection().execute(_profile_query(), parameters).all()
    if not rows or not principal.covers(rows[0].village_code):
        raise NotFound(f"household {household_id} not found")
    household = rows[0]
    ordered = sorted((row for row in rows if row.member_id is not None), key=_member_order)
    unmasked = principal.sees_personal_data
    today = today or dt.date.today()
    return HouseholdRead(
        household_id=household.household_id,
        village_code=household.village_code,
        regions=_region_chain(household),
        head_id_number=_id_for(household.head_id_number, unmasked),
        address=household.address,
        phone=household.phone if unmasked or not household.phone else mask_phone(household.phone),
        status=household.status,
        exit_year=household.exit_year,
        relocated=household.relocated,
        registered_on=household.registered_on,
        members=[_member(member, unmasked, today) for member in ordered],
        masked=not unmasked,
    )


@cache  # built once: composing it costs more than running it
def _profile_query() -> sa.Select[Any]:
    village = Household.__table__.c.village_code
    region_names = [
        sa.select(_regions.c.name)
        .where(_regions.c.code == _ancestor_code(village, length))
        .scalar_subquery()
        .label(f"{level.value}_name")
        for level, length in PREFIX_LENGTH.items()
    ]
    # Materialized, so that the regions are looked up once rather than once per member row.
    household = (
        sa.select(Household.__table__, *region_names)
        .where(Household.__table__.c.household_id == sa.bindparam("household_id"))
        .cte("household")
        .prefix_with("MATERIALIZED")
    )
    members = Member.__table__
    member_columns = [column for column in members.c if column.key != "household_id"]
    return sa.select(household, *member_columns).outerjoin(
        members, members.c.household_id == household.c.household_id
    )


def _ancestor_code(village: sa.ColumnElement[str], length: int) -> sa.ColumnElement[str]:
    """SQL: the code of the region whose prefix is the first `length` digits of `village`.
    The numbers are written into the statement rather than bound: fewer parameters to process
    on every execution."""
    start, count = (sa.literal_column(str(number), sa.Integer) for number in (1, length))
    padding = sa.literal_column(f"'{'0' * (12 - length)}'", sa.String)
    return sa.func.substr(village, start, count) + padding


def _member_order(member: Any) -> tuple[bool, int, str]:
    rank = RELATION_ORDER.index(member.relation) if member.relation in RELATION_ORDER else 99
    return (not member.in_household, rank, member.member_id)


def _id_for(id_number: str | None, unmasked: bool) -> str | None:
    if id_number is None or unmasked:
        return id_number
    return idnumber.mask(id_number)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years from `birth_date` to `day` (a birthday on `day` counts)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _member(member: Any, unmasked: bool, today: dt.date) -> MemberRead:
    return MemberRead(
        member_id=member.member_id,
        name=member.name,
        id_number=_id_for(member.id_number, unmasked) or "",
        sex=member.sex,
        birth_date=member.birth_date if unmasked else None,
        age=age_on(member.birth_date, today),
        relation=member.relation,
        labour=member.labour,
        health=member.health if unmasked else MASKED,
        in_household=member.in_household,
    )


def _region_chain(household: sa.Row[Any]) -> list[RegionRef]:
    """Province, city, county, township and village of the household's village code, with the
    names the profile query found in the region registry."""
    own_level = level_of(household.village_code)
    if own_level is None:
        return []
    levels = LEVEL_ORDER[: LEVEL_ORDER.index(own_level) + 1]
    names = household._mapping
    return [
        RegionRef(
            code=ancestor(household.village_code, level),
            name=names[f"{level.value}_name"],
            level=level.value,
        )
        for level in levels
    ]


def region_choices(session: Session, principal: Principal) -> list[RegionRef]:
    """Regions the search may be narrowed to: two levels below the caller's root region.

    A county officer gets its townships and their villages; an admin the provinces and cities.
    """
    if principal.scope_prefix:
        root_level = level_of(principal.region_code)
        assert root_level is not None
        index = LEVEL_ORDER.index(root_level)
        levels = [level.value for level in LEVEL_ORDER[index + 1 : index + 3]]
    else:
        levels = [LEVEL_ORDER[0].value, LEVEL_ORDER[1].value]
    rows = session.execute(
        sa.select(_regions.c.code, _regions.c.name, _regions.c.level)
        .where(_in_scope(principal, _regions.c.code), _regions.c.level.in_(levels))
        .order_by(_regions.c.code)
        .limit(MAX_REGION_CHOICES)
    ).all()
    return [RegionRef(code=code, name=name, level=level) for code, name, level in rows]

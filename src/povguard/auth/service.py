"""Users, passwords (argon2), rate-limited sign-in and signed tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from povguard.auth.errors import TooManyAttempts
from povguard.auth.models import LoginFailure, User, utcnow
from povguard.auth.principal import Principal, Role
from povguard.auth.schemas import Me, UserRead
from povguard.core.errors import BadInput, Conflict, NotFound
from povguard.regions.codes import Level, is_valid_code, level_of, prefix

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,59}$")
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5  # per username from one address
MAX_ADDRESS_FAILURES = 20  # per address, whatever usernames it tries (password spraying)
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILURE_RETENTION = dt.timedelta(days=1)
TOKEN_MAX_AGE = 12 * 3600  # seconds; a working day
# How long a server process trusts a bearer token it verified without reading the user again:
# the bound on how late it notices a deactivation, a role or region change or a new password
# made by another process (changes made in the same process are noticed at once).
VERIFIED_TOKEN_TTL = 5.0  # seconds
MAX_VERIFIED_TOKENS = 10_000
NATION = "000000000000"  # an admin's scope may be the whole country

# Roles bound to exactly one level (SPEC §1); the others may hold any region subtree.
ROLE_LEVEL = {Role.CADRE: Level.VILLAGE, Role.TOWNSHIP: Level.TOWNSHIP, Role.COUNTY: Level.COUNTY}

_hasher = PasswordHasher()
# Digest of (database, secret key, purpose, token) → (user, time.time() after which to re-check)
_verified: dict[bytes, tuple[UserRead, float]] = {}
_database_names: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()
# Verified against when the username is unknown, so that both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")

# Other features' tables are named by string only (DESIGN rule 2).
_regions = sa.table("regions", sa.column("code", sa.String), sa.column("name", sa.String))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(role.value for role in Role)
        raise BadInput(f"unknown role {value!r} (one of {roles})", field="role") from None


def region_name(session: Session, code: str) -> str | None:
    """The name of region `code`, or None when it is not in the region registry."""
    return session.execute(sa.select(_regions.c.name).where(_regions.c.code == code)).scalar()


def _check_region(session: Session, role: Role, code: str) -> None:
    if role is Role.ADMIN and code == NATION:
        return
    if not is_valid_code(code):
        raise BadInput(f"region {code!r} is not a 12-digit region code", field="region")
    wanted = ROLE_LEVEL.get(role)
    if wanted is not None and level_of(code) is not wanted:
        raise BadInput(
            f"a {role.value} user needs a {wanted.value} code, {code} is a {level_of(code)}",
            field="region",
        )
    if region_name(session, code) is None:
        raise BadInput(f"region {code} is not in the region registry", field="region")


def _check_credentials(username: str, password: str) -> None:
    if not USERNAME_RE.match(username):
        raise BadInput(
            "username must be 3–60 letters, digits, '.', '_' or '-' (starting with a letter "
            "or digit)",
            field="username",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )


def create_user(
    session: Session, *, username: str, password: str, role: str, region_code: str
) -> UserRead:
    """Create an active user bound to `role` over the subtree of `region_code`."""
    parsed_role = parse_role(role)
    _check_credentials(username, password)
    _check_region(session, parsed_role, region_code)
    if session.execute(sa.select(User.id).where(User.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=_hasher.hash(password),
        role=parsed_role.value,
        region_code=region_code,
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same name
        raise Conflict(f"user {username!r} already exists") from exc
    return UserRead.model_validate(user)


def get(session: Session, user_id: int) -> UserRead:
    """The user with `user_id`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return UserRead.model_validate(user)


def principal_for(session: Session, username: str) -> Principal:
    """The active user `username` as a principal (for commands run on a user's behalf)."""
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}")
    return UserRead.model_validate(user).principal()


def _recent_failures(
    session: Session, address: str, now: dt.datetime, username: str | None = None
) -> int:
    """Failures from `address` within FAILURE_WINDOW (for `username` only, when given)."""
    query = sa.select(sa.func.count(LoginFailure.id)).where(
        LoginFailure.address == address, LoginFailure.failed_at > now - FAILURE_WINDOW
    )
    if username is not None:
        query = query.where(LoginFailure.username == username)
    return int(session.execute(query).scalar_one())


def _check_rate_limit(session: Session, username: str, address: str, now: dt.datetime) -> None:
    retry_after = int(FAILURE_WINDOW.total_seconds())
    if _recent_failures(session, address, now, username) >= MAX_FAILURES:
        raise TooManyAttempts(
            "too many failed sign-ins; try again in 15 minutes", retry_after=retry_after
        )
    if _recent_failures(session, address, now) >= MAX_ADDRESS_FAILURES:
        raise TooManyAttempts(
            "too many failed sign-ins from this address; try again in 15 minutes",
            retry_after=retry_after,
        )


def _record_failure(session: Session, username: str, address: str, now: dt.datetime) -> None:
    session.add(LoginFailure(username=username[:60], address=address[:64], failed_at=now))
    # Keep the table small: rows older than a day no longer count for anything.
    session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < now - FAILURE_RETENTION))
    session.flush()


def _verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    address: str,
    now: dt.datetime | None = None,
) -> UserRead | None:
    """The user for these credentials, or None (the failure is recorded, so commit it).

    Raises TooManyAttempts, without looking at the password, after MAX_FAILURES failures for
    this username from this address, or MAX_ADDRESS_FAILURES failures of any usernames from this
    address, within FAILURE_WINDOW.
    """
    now = now or utcnow()
    if not USERNAME_RE.match(username):  # cannot name a user (PostgreSQL refuses NUL, too)
        _verify_password(None, password)  # the same time as any other failure
        return None
    _check_rate_limit(session, username, address, now)
    user = session.execute(sa.select(User).where(User.username == username)).scalar()
    if not _verify_password(user, password) or user is None or not user.active:
        _record_failure(session, username, address, now)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(
        sa.delete(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.address == address
        )
    )
    return UserRead.model_validate(user)


def _fingerprint(password_hash: str) -> str:
    """Changes when the password changes, so that older tokens stop working."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"povguard.{purpose}")


def issue_token(session: Session, user: UserRead, *, secret_key: str, purpose: str) -> str:
    """A signed, timed token naming `user` ("api" for bearer tokens, "session" for cookies)."""
    stored = session.get(User, user.id)
    if stored is None:
        raise NotFound(f"user {user.id} not found")
    payload = {"uid": stored.id, "pw": _fingerprint(stored.password_hash)}
    return str(_serializer(secret_key, purpose).dumps(payload))


def verify_token(
    session: Session,
    token: str,
    *,
    secret_key: str,
    purpose: str,
    max_age: int = TOKEN_MAX_AGE,
    remember: bool = False,
) -> UserRead | None:
    """The active user a valid, unexpired token of `purpose` names; None otherwise.

    With `remember`, `recently_verified` answers for the token for VERIFIED_TOKEN_TTL seconds
    without reading the user again.
    """
    now = time.time()
    try:
        payload, issued = _serializer(secret_key, purpose).loads(
            token, max_age=max_age, return_timestamp=True
        )
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        return None
    # A plain row, not an ORM object: pages check their session token on every request.
    columns = [getattr(User, name) for name in (*UserRead.model_fields, "password_hash")]
    row = session.execute(sa.select(*columns).where(User.id == payload["uid"])).first()
    if row is None or not row.active or payload.get("pw") != _fingerprint(row.password_hash):
        return None
    user = UserRead.model_validate(row._mapping)
    if remember:
        deadline = min(now + VERIFIED_TOKEN_TTL, issued.timestamp() + max_age)
        engine = session.get_bind().engine
        _remember(_verified_key(engine, token, secret_key, purpose), user, deadline)
    return user


def recently_verified(
    engine: Engine, token: str, *, secret_key: str, purpose: str
) -> UserRead | None:
    """The user of a token `verify_token(..., remember=True)` accepted on `engine`'s database
    less than VERIFIED_TOKEN_TTL seconds ago (and not yet expired), without reading the
    database (so without a session: callers check it before opening one)."""
    key = _verified_key(engine, token, secret_key, purpose)
    entry = _verified.get(key)
    if entry is None:
        return None
    user, deadline = entry
    if time.time() >= deadline:
        _verified.pop(key, None)
        return None
    return user


def _forget_verified_tokens_on_commit(session: Session) -> None:
    """Once a change of a user is committed, every token goes through `verify_token` again."""
    if not sa.event.contains(session, "after_commit", _forget_verified_tokens):
        sa.event.listen(session, "after_commit", _forget_verified_tokens)


def _forget_verified_tokens(_session: Session) -> None:
    _verified.clear()


def _verified_key(engine: Engine, token: str, secret_key: str, purpose: str) -> bytes:
    # A digest rather than the token: the process does not keep bearer tokens in memory.
    parts = (_database_name(engine), secret_key, purpose, token)
    return hashlib.sha256("\0".join(parts).encode()).digest()


def _database_name(engine: Engine) -> str:
    # Rendered once per engine: hashing or rendering a URL costs more than the rest of the key.
    name = _database_names.get(engine)
    if name is None:
        name = _database_names[engine] = engine.url.render_as_string(hide_password=True)
    return name


def _remember(key: bytes, user: UserRead, deadline: float) -> None:
    if len(_verified) >= MAX_VERIFIED_TOKENS:
        _verified.clear()  # rare (that many callers within the TTL): start over
    _verified[key] = (user, deadline)


def describe(session: Session, principal: Principal) -> Me:
    """The caller as shown in the page header and by `GET /api/v1/me`."""
    return Me(
        username=principal.username,
        role=principal.role,
        region_code=principal.region_code,
        region_name=region_name(session, principal.region_code),
        sees_personal_data=principal.sees_personal_data,
        read_only=principal.read_only,
    )


# Administration (SPEC §1 admin). These change rows only; povguard.admin checks the caller's
# role and writes the audit rows.

TEMPORARY_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_PASSWORD_LENGTH = 14


@dataclass(frozen=True)
class UserFilter:
    role: Role | None = None
    region: str | None = None  # users whose region lies in this subtree
    active: bool | None = None
    q: str | None = None  # part of the username


def snapshot(user: UserRead) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash."""
    return user.model_dump(include={"username", "role", "region_code", "active",
                                    "must_change_password"})  # fmt: skip


def list_users(
    session: Session, filters: UserFilter, *, page: int, size: int
) -> tuple[list[UserRead], int]:
    """One page of users matching `filters`, by username, and how many match in all."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.role is not None:
        conditions.append(User.role == filters.role.value)
    if filters.region:
        if not is_valid_code(filters.region):
            raise BadInput(f"region {filters.region!r} is not a 12-digit code", field="region")
        conditions.append(User.region_code.startswith(prefix(filters.region)))
    if filters.active is not None:
        conditions.append(User.active.is_(filters.active))
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
        conditions.append(User.username.ilike(pattern, escape="\\"))
    total = session.execute(sa.select(sa.func.count(User.id)).where(*conditions)).scalar_one()
    query = (
        sa.select(User).where(*conditions).order_by(User.username)
        .offset((page - 1) * size).limit(size)
    )  # fmt: skip
    return [UserRead.model_validate(user) for user in session.scalars(query)], int(total)


def _stored(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def change_user(
    session: Session,
    user_id: int,
    *,
    role: str | None = None,
    region_code: str | None = None,
    active: bool | None = None,
) -> tuple[UserRead, UserRead]:
    """Change a user's role, region or active flag; the user before and after."""
    user = _stored(session, user_id)
    before = UserRead.model_validate(user)
    new_role = parse_role(role) if role is not None else Role(user.role)
    new_region = region_code if region_code is not None else user.region_code
    if new_role.value != user.role or new_region != user.region_code:
        _check_region(session, new_role, new_region)
    user.role = new_role.value
    user.region_code = new_region
    if active is not None:
        user.active = active
    session.flush()
    _forget_verified_tokens_on_commit(session)
    return before, UserRead.model_validate(user)


def temporary_password() -> str:
    return "".join(
        secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH)
    )


def set_password(
    session: Session, user_id: int, password: str, *, must_change: bool
) -> tuple[UserRead, UserRead]:
    """Give a user a new password (older tokens stop working); the user before and after."""
    user = _stored(session, user_id)
    before = UserRead.model_validate(user)
    _check_credentials(user.username, password)
    user.password_hash = _hasher.hash(password)
    user.must_change_password = must_change
    session.flush()
    _forget_verified_tokens_on_commit(session)
    return before, UserRead.model_validate(user)


def change_own_password(session: Session, user_id: int, *, current: str, new: str) -> UserRead:
    """The signed-in user replaces its password (after checking the current one)."""
    user = _stored(session, user_id)
    if not _verify_password(user, current):
        raise BadInput("the current password is wrong", field="current_password")
    if new == current:
        raise BadInput("the new password must differ from the current one", field="new_password")
    try:
        return set_password(session, user_id, new, must_change=False)[1]
    except BadInput as exc:
        raise BadInput(str(exc), field="new_password") from exc

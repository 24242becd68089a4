"""What the auth service hands out: a user without its password hash, an issued token."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, field_validator

from povguard.auth.principal import Principal, Role


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    region_code: str
    active: bool
    must_change_password: bool = False
    created_at: dt.datetime

    @field_validator("created_at")
    @classmethod
    def _as_utc(cls, value: dt.datetime) -> dt.datetime:
        # SQLite hands timestamps back without their zone; they were written in UTC.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    def principal(self) -> Principal:
        return Principal(
            username=self.username, role=self.role, region_code=self.region_code, user_id=self.id
        )


class Me(BaseModel):
    """The signed-in caller, as `GET /api/v1/me` reports it."""

    username: str
    role: Role
    region_code: str
    region_name: str | None
    sees_personal_data: bool
    read_only: bool


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"

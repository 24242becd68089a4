"""Sign-in errors; the web adapter maps them to 401 and 429."""

from __future__ import annotations

from povguard.core.errors import PovguardError


class AuthenticationFailed(PovguardError):
    """Unknown user, wrong password, disabled account or a missing/expired token."""

    exit_code = 2


class TooManyAttempts(PovguardError):
    """Too many failed sign-ins for this username from this address; try again later."""

    exit_code = 2

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

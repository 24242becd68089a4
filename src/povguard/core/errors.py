"""Domain errors. Adapters (CLI, web) map them once to exit codes and HTTP statuses."""

from __future__ import annotations


class PovguardError(Exception):
    """Base of every error povguard reports to a user instead of a traceback."""

    exit_code = 1


class BadInput(PovguardError):
    """The caller's input (file, option, form) is wrong; the message says where and why."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(PovguardError):
    """The record does not exist, or lies outside the caller's region scope."""

    exit_code = 2


class Conflict(PovguardError):
    """A stale version or an illegal transition."""

    exit_code = 2


class Forbidden(PovguardError):
    """The caller's role may not do this (inside its scope: outside, records are NotFound)."""

    exit_code = 2

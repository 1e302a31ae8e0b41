"""The one application error type, rendered in one place (the API's handler, the CLI)."""

from __future__ import annotations


class SulhError(Exception):
    """An error a user caused and can fix: it names the field and says what is wrong."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationFailed(SulhError):
    status = 422
    code = "invalid"


class NotFound(SulhError):
    status = 404
    code = "not_found"


class PermissionDenied(SulhError):
    status = 403
    code = "forbidden"


class Conflict(SulhError):
    status = 409
    code = "conflict"


class RateLimited(SulhError):
    """Too many requests of one kind: one account's case reads, one address's sign-ins or
    proofs, one officer's second-factor codes. Answered 429, with Retry-After when the
    wait is known."""

    status = 429
    code = "rate_limited"

    def __init__(
        self, message: str = "", *, retry_after: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(
            message or f"too many requests: try again in {retry_after} seconds", field=field
        )
        self.retry_after = retry_after


class IntakeWindowClosed(SulhError):
    """An intake outside the program's opening time and deadline."""

    status = 422
    code = "deadline"

"""Domain errors. Each carries the HTTP status the API answers with and a message naming the problem."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Unauthorised(DomainError):
    status = 401
    code = "unauthorised"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The record changed under you, or is not in a state that allows this action."""

    status = 409
    code = "conflict"


class Refused(DomainError):
    """A rule of the policy or of administration refuses the action; the message says which."""

    status = 422
    code = "refused"


class TooManyAttempts(DomainError):
    """Too many failed logins; ``retry_after`` seconds until the next attempt is accepted."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TooManyAttempts):
    """Too many requests from one client; ``retry_after`` seconds until the next is accepted."""

    code = "rate_limited"

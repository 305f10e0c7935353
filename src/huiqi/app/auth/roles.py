"""Roles and the acting user. Role separation: the administrator manages users and settings but
decides nothing; the auditor reads everything and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from huiqi.app.errors import Forbidden


class Role(StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    OFFICE = "office"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"


STAFF = (Role.REVIEWER, Role.OFFICE, Role.FINANCE, Role.AUDITOR, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, or the system itself for scheduled jobs."""

    username: str
    role: Role
    org_id: int | None = None
    person_id: int | None = None
    department: str | None = None

    def require(self, *roles: Role) -> None:
        """Refuse unless the actor has one of ``roles``."""
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"role {self.role.value} may not do this (allowed: {allowed})")

    def owns(self, *, org_id: int | None, person_id: int | None = None) -> bool:
        """An applicant owns the records of its own organisation (or its own person record)."""
        if org_id is not None:
            return self.org_id == org_id
        return person_id is not None and self.person_id == person_id

    def check_can_see(self, *, org_id: int | None, person_id: int | None = None) -> None:
        """Applicants see only their own records; staff see all."""
        if self.role is Role.APPLICANT and not self.owns(org_id=org_id, person_id=person_id):
            raise Forbidden("an applicant sees only its own organisation's records")


SYSTEM = Actor("system", Role.OFFICE)

"""Roles and the acting user.

Separation of duties (三权分立): the system administrator (``admin``) manages users and settings,
the security administrator (``security_admin``) roles, second factors, password resets and
unlocks, the audit administrator (``audit_admin``) reads and verifies the audit trail. None of the
three decides anything or reads the business records (applications, offers, the registry). The
``auditor`` is the business auditor: reads everything, changes nothing. The service centre's
officer (``service_officer``, 帮办) prepares applications for the enterprises that recorded their
consent, and submits none: the enterprise confirms and signs.
"""

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
    ADMIN = "admin"  # the system administrator
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"
    SERVICE = "service_officer"  # 帮办: the service centre's officer


ADMINS = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
BUSINESS = (Role.REVIEWER, Role.OFFICE, Role.FINANCE, Role.AUDITOR)
"""Staff who work with (or audit) the business records."""
STAFF = (*BUSINESS, Role.SERVICE, *ADMINS)
PRIVILEGED = STAFF
"""Roles given only by a request of one administrator and the approval of another."""
SECOND_FACTOR = STAFF
"""Roles that log in with a password and a TOTP code; optional for applicants."""


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
        """Applicants see only their own records; business staff see all; administrators none."""
        if self.role in ADMINS:
            raise Forbidden(f"role {self.role.value}: administrators do not read business records")
        if self.role is Role.SERVICE:
            raise Forbidden("a service-centre officer reads an enterprise's records only with its "
                            "consent, through the applications it prepares")
        if self.role is Role.APPLICANT and not self.owns(org_id=org_id, person_id=person_id):
            raise Forbidden("an applicant sees only its own organisation's records")


SYSTEM = Actor("system", Role.OFFICE)

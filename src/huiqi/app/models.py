"""Every table of the platform, imported in one place for migrations and metadata."""

from huiqi.app.applications.documents import Document
from huiqi.app.applications.models import Application, Decision, Review, Step
from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth.models import LoginThrottle, PasswordHistory, Token, User, UserRequest
from huiqi.app.budget.models import Budget, LedgerEntry, Payment, PaymentBatch
from huiqi.app.db import Base
from huiqi.app.matching.models import Match, MatchRun
from huiqi.app.members.models import Consent
from huiqi.app.notices.models import Notice
from huiqi.app.parameters.models import ParameterChange
from huiqi.app.registry.models import (
    AccountChange,
    AnnualFact,
    CreditEntry,
    Organisation,
    Person,
    Recognition,
)
from huiqi.app.requests.models import ServicePackage, ServiceRequest
from huiqi.app.settings.models import MeasureConfig, Setting

__all__ = [
    "AccountChange", "AnnualFact", "Application", "AuditEntry", "Base", "Budget", "Consent", "CreditEntry",
    "Decision", "Document", "LedgerEntry", "LoginThrottle", "Match", "MatchRun", "MeasureConfig",
    "Notice", "Organisation", "ParameterChange", "PasswordHistory", "Payment", "PaymentBatch", "Person",
    "Recognition", "Review", "ServicePackage", "ServiceRequest", "Setting", "Step", "Token", "User",
    "UserRequest",
]

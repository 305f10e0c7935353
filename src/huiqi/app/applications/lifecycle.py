"""The lifecycle of an application (or offer): the one list of allowed transitions.

    draft ──submit──► in_review ──(all departments approve)──► approved ──award──► awarded ──pay──► paid
      ▲                  │                                      │  ▲                 │
      └─── returned ◄─return                                reject  └─ appealed ◄─appeal (once)
                                                                ▼        ▲
                                                             rejected ───┘
    offered ──confirm──► approved        offered ──lapse──► lapsed
    draft / returned / offered / prepared ──withdraw──► withdrawn

    帮办: a service-centre officer prepares a draft for the enterprise (with its consent) and never
    submits it; the enterprise confirms by signing the commitment, which submits it:
    draft ──prepare──► prepared ──submit (the enterprise)──► in_review
"""

from __future__ import annotations

from enum import StrEnum

from huiqi.app.statemachine import StateMachine


class State(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"
    AWARDED = "awarded"
    REJECTED = "rejected"
    APPEALED = "appealed"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    OFFERED = "offered"
    LAPSED = "lapsed"
    PREPARED = "prepared"  # by the service centre, awaiting the enterprise's confirmation


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    AWARD = "award"
    REJECT = "reject"
    APPEAL = "appeal"
    PAY = "pay"
    WITHDRAW = "withdraw"
    CONFIRM = "confirm"
    LAPSE = "lapse"
    PREPARE = "prepare"


S, A = State, Action
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    A.SUBMIT: (frozenset({S.DRAFT, S.RETURNED, S.PREPARED}), S.IN_REVIEW),
    A.APPROVE: (frozenset({S.IN_REVIEW}), S.APPROVED),
    A.RETURN: (frozenset({S.IN_REVIEW}), S.RETURNED),
    A.AWARD: (frozenset({S.APPROVED, S.APPEALED}), S.AWARDED),
    A.REJECT: (frozenset({S.APPROVED, S.APPEALED}), S.REJECTED),
    A.APPEAL: (frozenset({S.AWARDED, S.REJECTED}), S.APPEALED),
    A.PAY: (frozenset({S.AWARDED}), S.PAID),
    A.WITHDRAW: (frozenset({S.DRAFT, S.RETURNED, S.OFFERED, S.PREPARED}), S.WITHDRAWN),
    A.CONFIRM: (frozenset({S.OFFERED}), S.APPROVED),
    A.LAPSE: (frozenset({S.OFFERED}), S.LAPSED),
    A.PREPARE: (frozenset({S.DRAFT}), S.PREPARED),
}
OPEN = frozenset({S.DRAFT, S.IN_REVIEW, S.RETURNED, S.APPROVED, S.APPEALED, S.OFFERED, S.PREPARED})
TERMINAL = frozenset(State) - OPEN - {S.AWARDED, S.REJECTED}


MACHINE = StateMachine("an application", State, TRANSITIONS)
target, actions_from = MACHINE.target, MACHINE.actions_from

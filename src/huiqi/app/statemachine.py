"""A table of allowed transitions, read the same way by every workflow (applications, requests)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from huiqi.app.errors import Conflict

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


class StateMachine(Generic[S, A]):
    """``transitions[action] = (states it may start from, state it leads to)``."""

    def __init__(self, noun: str, states: type[S], transitions: Mapping[A, tuple[frozenset[S], S]]) -> None:
        self.noun, self.states, self.transitions = noun, states, dict(transitions)

    def target(self, state: str, action: A) -> S:
        """The state ``action`` leads to from ``state``, or a conflict naming what is allowed."""
        sources, to = self.transitions[action]
        if self.states(state) not in sources:
            allowed = ", ".join(sorted(s.value for s in sources))
            raise Conflict(f"state: cannot {action.value} {self.noun} that is {state} "
                           f"(only when {allowed})")
        return to

    def actions_from(self, state: str) -> list[str]:
        """What may happen next — shown to users so the workflow is never a mystery."""
        current = self.states(state)
        return [a.value for a, (sources, _) in self.transitions.items() if current in sources]

"""通政发〔2024〕8号 — 《关于加快推进北京城市副中心产业高质量发展的若干措施》 as code.

Modules follow the notice's six chapters; ``clauses.yaml`` holds each measure's verbatim text and
English rendering, ``parameters.yaml`` every number with its date and reference.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from huiqi.engine.policy import Policy
from huiqi.policy.tongzhou_2024_8 import (
    chain,
    environment,
    finance,
    innovation,
    space,
    talent,
)

HERE = Path(__file__).parent
MEASURES = [
    *chain.MEASURES, *innovation.MEASURES, *environment.MEASURES, *space.MEASURES,
    *talent.MEASURES, *finance.MEASURES,
]


@cache
def policy() -> Policy:
    """The policy, loaded once per process."""
    return Policy.load(HERE / "clauses.yaml", HERE / "parameters.yaml", MEASURES)

"""Shared fixtures: the policy, loaded once."""

from __future__ import annotations

import pytest

from huiqi.engine.policy import Policy
from huiqi.policy.tongzhou_2024_8 import policy as load_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()

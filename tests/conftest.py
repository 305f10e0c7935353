"""Shared fixtures: the policy, loaded once."""

from __future__ import annotations

import os
import tempfile

import pytest

from huiqi.engine.policy import Policy
from huiqi.policy.tongzhou_2024_8 import policy as load_policy

# compiled SQL is cached on disk between runs; the tests use a cache of their own
os.environ["HUIQI_CACHE_DIR"] = tempfile.mkdtemp(prefix="huiqi-test-cache-")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()

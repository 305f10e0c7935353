"""The package's own data files (clauses, parameters, size thresholds) read with libyaml.

PyYAML's pure-Python parser takes a third of a second for the policy's files at every start;
its C binding, when installed (the wheels include it), reads them ten times faster and builds
the same values. User files keep ``yaml.safe_load`` and its error messages.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """Parse YAML ``text`` as ``yaml.safe_load`` does."""
    return yaml.load(text, Loader=_LOADER)

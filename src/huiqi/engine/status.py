"""What a computed row's text columns hold: its status, and the detail values joined by ``SEP``.

Shared by the SQL compiler, the in-process evaluator and the explanations; imports nothing, so the
one-case path does not load ibis to read a row.
"""

# NOTHING: every condition holds, but the ceiling is 0.00 (e.g. a new chain leader without
# regional contribution yet) — eligible in principle, nothing to support this year; it is neither
# counted, nor offered, nor applied for.
ELIGIBLE, INELIGIBLE, INCOMPLETE, NOTHING = (
    "eligible", "ineligible", "incomplete", "nothing_to_support"
)
SEP = "\x1f"  # between detail values
NULL = "\x00"  # a NULL value in detail

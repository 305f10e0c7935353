"""An ibis expression graph as plain data: the measures' own definitions, ready to run in-process.

The batch path turns the compiled measure expressions into SQL; for one case the engine instead
copies the very same graph of ibis operations into a list of plain tuples — the operation's
name, its arguments (other nodes as ``Ref`` indexes) and its type — that ``interpret`` turns into
Python closures. The copy can be pickled, so a process that finds it on disk needs neither to
build the ibis expressions nor to import ibis' compiler.

Only the operations ``interpret`` implements are accepted: any other raises ``Unsupported`` here,
at compile time, so a new rule can never be evaluated differently by the two paths.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.schema as sch


class Ref(NamedTuple):
    """Another node of the graph, by its index."""

    i: int


class Node(NamedTuple):
    """One operation: its name, its arguments by name, its type (``None`` for a relation)."""

    op: str
    args: dict[str, Any]
    dtype: str | None


class Unsupported(TypeError):
    """An operation (or argument) the in-process evaluator does not implement."""


_PLAIN = (str, int, float, bool, type(None), datetime.date, Decimal)


def op_name(op: ops.Node) -> str:
    """The name an operation is known by: its class, or ``udf:<function>`` for a builtin UDF."""
    if isinstance(op, ops.ScalarUDF):
        return f"udf:{op.__func_name__}"
    return type(op).__name__


class Lowering:
    """Copies ibis graphs into one shared list of ``Node`` (shared subgraphs copied once)."""

    def __init__(self, supported: Iterable[str]) -> None:
        self.supported = frozenset(supported)
        self.nodes: list[Node] = []
        self._index: dict[ops.Node, int] = {}

    def add(self, op: ops.Node) -> int:
        """The index of ``op``'s copy (and of everything it reads)."""
        found = self._index.get(op)
        if found is not None:
            return found
        name = op_name(op)
        if name not in self.supported:
            raise Unsupported(
                f"the in-process evaluator does not implement the ibis operation {name} "
                f"({op!r:.200}); implement it in huiqi.engine.interpret or write the rule with "
                f"supported operations: {sorted(self.supported)}"
            )
        args = {k: self._arg(v) for k, v in zip(op.__argnames__, op.__args__, strict=True)}
        dtype = str(op.dtype) if isinstance(op, ops.Value) else None
        self.nodes.append(Node(name, args, dtype))
        self._index[op] = len(self.nodes) - 1
        return len(self.nodes) - 1

    def _arg(self, v: Any) -> Any:
        if isinstance(v, ops.Node):
            return Ref(self.add(v))
        if isinstance(v, dt.DataType):
            return str(v)
        if isinstance(v, sch.Schema):
            return tuple((name, str(t)) for name, t in v.items())
        if isinstance(v, Mapping):
            return {k: self._arg(x) for k, x in v.items()}
        if isinstance(v, tuple):
            return tuple(self._arg(x) for x in v)
        if isinstance(v, frozenset) and all(isinstance(x, str) for x in v):
            return tuple(sorted(v))  # column names
        if isinstance(v, _PLAIN):
            return v
        if isinstance(v, ops.Namespace):  # where an input table lives: the caller provides it
            return (v.catalog, v.database)
        raise Unsupported(f"the in-process evaluator cannot copy the argument {v!r:.200}")

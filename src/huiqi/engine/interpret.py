"""Run a lowered ibis graph over a handful of rows in-process, with SQL's semantics.

A relation becomes a function from the input tables to a list of rows (dictionaries by column
name); a value becomes a closure over one row — or, inside a join, over a tuple holding one row
(or ``None`` for a left join's missing side) per joined table. Every relation is computed once per
run (shared subgraphs are memoised per call, so concurrent runs never share state), joins on
equalities go through a hash index, and NULL keys never match, as in SQL.

Operations beyond the ones below are refused when the graph is lowered (``lower.Unsupported``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from huiqi.engine.lower import Node, Ref, Unsupported
from huiqi.engine.scalar import SCALARS, Const, Fn

Row = dict[str, Any]
Env = dict[Any, list[Row]]  # input tables by name; computed relations by node index
RelFn = Callable[[Env], list[Row]]
Reducer = Callable[[list[Row]], Any]
Scope = dict[int, int | None]  # relation node → slot in a joined tuple (None: the row itself)

WINDOWS = -1  # a scope entry allowing window functions (precomputed by the projection)
RELATIONS = ("UnboundTable", "Filter", "Project", "DropColumns", "Union", "Aggregate",
             "JoinChain", "JoinLink", "JoinReference")
REDUCTIONS = ("Sum", "Min", "Max", "CountStar")
SUPPORTED = (*RELATIONS, *REDUCTIONS, "Field", "Literal", "WindowFunction", *SCALARS)


def _window_key(i: int) -> str:
    return f"\x00w{i}"


class Program:
    """Closures for the nodes of one lowered graph, built on demand and kept."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = nodes
        self._relations: dict[int, RelFn] = {}
        self._values: dict[tuple[int, tuple[tuple[int, int | None], ...]], Fn] = {}

    # relations ---------------------------------------------------------------------------

    def relation(self, i: int) -> RelFn:
        """The function computing relation ``i`` (memoised per run in the ``env``)."""
        if i not in self._relations:
            node = self.nodes[i]
            build = getattr(self, f"_r_{node.op}", None)
            if build is None or node.dtype is not None:
                raise Unsupported(f"{node.op} is not a relation the evaluator runs")
            fn: RelFn = build(node.args)

            def memo(env: Env, i: int = i, fn: RelFn = fn) -> list[Row]:
                rows = env.get(i)
                if rows is None:
                    rows = env[i] = fn(env)
                return rows

            self._relations[i] = memo
        return self._relations[i]

    def _r_UnboundTable(self, a: dict[str, Any]) -> RelFn:
        name = a["name"]
        return lambda env: env[name]

    def _r_Filter(self, a: dict[str, Any]) -> RelFn:
        parent = self.relation(a["parent"].i)
        scope: Scope = {a["parent"].i: None}
        preds = [self.value(p.i, scope) for p in a["predicates"]]
        return lambda env: [r for r in parent(env) if all(p(r) is True for p in preds)]

    def _r_Project(self, a: dict[str, Any]) -> RelFn:
        parent, p = self.relation(a["parent"].i), a["parent"].i
        windows = [(_window_key(w), self._window(w, {p: None}))
                   for w in self._windows(a["values"].values())]
        cols = self._plain(a["values"], {p: 0}).get(0, {})
        names, pick = tuple(cols), _picker(tuple(cols.values()))
        values = [(name, self.value(ref.i, {p: None, WINDOWS: None}))
                  for name, ref in a["values"].items() if name not in cols]

        def run(env: Env) -> list[Row]:
            rows = parent(env)
            if windows:
                rows = [dict(r) for r in rows]
                for key, compute in windows:
                    for r, v in zip(rows, compute(rows), strict=True):
                        r[key] = v
            out = [dict(zip(names, pick(r), strict=True)) for r in rows]
            for o, r in zip(out, rows, strict=True):
                for n, f in values:
                    o[n] = f(r)
            return out

        return run

    def _r_DropColumns(self, a: dict[str, Any]) -> RelFn:
        parent, drop = self.relation(a["parent"].i), frozenset(a["columns_to_drop"])

        def run(env: Env) -> list[Row]:
            rows = parent(env)
            if not rows:
                return rows
            keep = tuple(k for k in rows[0] if k not in drop)  # every row has the same columns
            pick = _picker(keep)
            return [dict(zip(keep, pick(r), strict=True)) for r in rows]

        return run

    def _r_Union(self, a: dict[str, Any]) -> RelFn:
        if a["distinct"]:
            raise Unsupported("UNION DISTINCT")
        left, right = self.relation(a["left"].i), self.relation(a["right"].i)
        return lambda env: left(env) + right(env)

    def _r_Aggregate(self, a: dict[str, Any]) -> RelFn:
        parent = self.relation(a["parent"].i)
        scope: Scope = {a["parent"].i: None}
        names = tuple(a["groups"])
        keys = [self.value(ref.i, scope) for ref in a["groups"].values()]
        metrics = [(n, self.reducer(ref.i, scope)) for n, ref in a["metrics"].items()]

        def run(env: Env) -> list[Row]:
            rows = parent(env)
            parts: dict[tuple[Any, ...], list[Row]] = {} if keys else {(): rows}
            for r in rows if keys else ():
                parts.setdefault(tuple(k(r) for k in keys), []).append(r)
            return [dict(zip(names, key, strict=True)) | {n: red(rs) for n, red in metrics}
                    for key, rs in parts.items()]

        return run

    def _r_JoinChain(self, a: dict[str, Any]) -> RelFn:
        links = [self.nodes[link.i].args for link in a["rest"]]
        refs = [a["first"].i] + [link["table"].i for link in links]
        parents = [self.relation(self.nodes[r].args["parent"].i) for r in refs]
        steps = [self._join_step(link, refs[:k], refs[k]) for k, link in enumerate(links, 1)]
        scope: Scope = {r: k for k, r in enumerate(refs)}
        plain = self._plain(a["values"], scope)
        sides = [(k, tuple(cols), _picker(tuple(cols.values()))) for k, cols in plain.items()]
        values = [(n, self.value(ref.i, scope)) for n, ref in a["values"].items()
                  if not any(n in cols for cols in plain.values())]

        def run(env: Env) -> list[Row]:
            tuples: list[tuple[Row | None, ...]] = [(r,) for r in parents[0](env)]
            for step, parent in zip(steps, parents[1:], strict=True):
                tuples = step(tuples, parent(env))
            out = []
            for t in tuples:
                o: Row = {}
                for k, names, pick in sides:
                    r = t[k]
                    o.update(dict.fromkeys(names) if r is None else zip(names, pick(r), strict=True))
                for n, f in values:
                    o[n] = f(t)
                out.append(o)
            return out

        return run

    def _join_step(self, link: dict[str, Any], left: list[int], right: int) -> Callable[
        [list[tuple[Row | None, ...]], list[Row]], list[tuple[Row | None, ...]]
    ]:
        """One link of a join chain: equalities through a hash index, the rest row by row."""
        how = link["how"]
        if how not in ("inner", "left"):
            raise Unsupported(f"{how} join")
        lscope: Scope = {r: k for k, r in enumerate(left)}
        full: Scope = lscope | {right: len(left)}
        lkeys: list[Fn] = []
        rkeys: list[Fn] = []
        others: list[Fn] = []
        for p in link["predicates"]:
            node = self.nodes[p.i]
            if node.op == "Equals":
                sides = (node.args["left"].i, node.args["right"].i)
                for x, y in (sides, sides[::-1]):
                    if self._reads(x) <= set(left) and self._reads(y) == {right}:
                        lkeys.append(self.value(x, lscope))
                        rkeys.append(self.value(y, {right: None}))
                        break
                else:
                    others.append(self.value(p.i, full))
            else:
                others.append(self.value(p.i, full))

        def step(tuples: list[tuple[Row | None, ...]], rows: list[Row]
                 ) -> list[tuple[Row | None, ...]]:
            index: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
            for r in rows:
                key = tuple(k(r) for k in rkeys)
                if None not in key:
                    index[key].append(r)
            out = []
            for t in tuples:
                key = tuple(k(t) for k in lkeys)
                matched = False
                for r in () if None in key else index.get(key, ()):
                    joined = (*t, r)
                    if all(p(joined) is True for p in others):
                        out.append(joined)
                        matched = True
                if not matched and how == "left":
                    out.append((*t, None))
            return out

        return step

    def _plain(self, values: dict[str, Ref], slots: Scope) -> dict[int, dict[str, str]]:
        """The outputs that copy a field unchanged (output name → column), by the slot of the
        relation they copy from: copied a row at a time, not one closure call per column."""
        out: dict[int, dict[str, str]] = {}
        for name, ref in values.items():
            node = self.nodes[ref.i]
            if node.op == "Field" and node.args["rel"].i in slots:
                slot = slots[node.args["rel"].i] or 0
                out.setdefault(slot, {})[name] = node.args["name"]
        return out

    def _reads(self, i: int) -> set[int]:
        """The relations whose fields value ``i`` reads."""
        node = self.nodes[i]
        if node.op == "Field":
            return {node.args["rel"].i}
        return {r for ref in _refs(node.args.values()) if self.nodes[ref.i].dtype is not None
                for r in self._reads(ref.i)}

    # windows and reductions --------------------------------------------------------------

    def _windows(self, values: Iterable[Ref]) -> list[int]:
        found: list[int] = []
        todo = [ref.i for ref in values]
        while todo:
            i = todo.pop()
            node = self.nodes[i]
            if node.op == "WindowFunction":
                found.append(i)
            elif node.op != "Field":
                todo += [r.i for r in _refs(node.args.values()) if self.nodes[r.i].dtype]
        return sorted(set(found))

    def _window(self, i: int, scope: Scope) -> Callable[[list[Row]], list[Any]]:
        """A window over partitions of the whole relation (no ordering, no frame)."""
        a = self.nodes[i].args
        if a["order_by"] or a["start"] is not None or a["end"] is not None:
            raise Unsupported("window functions with an ordering or a frame")
        keys = [self.value(g.i, scope) for g in a["group_by"]]
        reduce = self.reducer(a["func"].i, scope)

        def compute(rows: list[Row]) -> list[Any]:
            ks = [tuple(k(r) for k in keys) for r in rows]
            parts: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
            for k, r in zip(ks, rows, strict=True):
                parts[k].append(r)
            done = {k: reduce(rs) for k, rs in parts.items()}
            return [done[k] for k in ks]

        return compute

    def reducer(self, i: int, scope: Scope) -> Reducer:
        """An aggregate over a group of rows; NULLs ignored, NULL when nothing is left."""
        node = self.nodes[i]
        if node.op not in REDUCTIONS:
            raise Unsupported(f"{node.op} as an aggregate")
        where = node.args["where"]
        keep = self.value(where.i, scope) if where is not None else None
        if node.op == "CountStar":
            if keep is None:
                return len
            return lambda rows: sum(1 for r in rows if keep(r) is True)
        arg = self.value(node.args["arg"].i, scope)
        picks: dict[str, Callable[[list[Any]], Any]] = {
            "Sum": lambda v: sum(int(x) for x in v), "Min": min, "Max": max}
        pick = picks[node.op]

        def reduce(rows: list[Row]) -> Any:
            vals = [v for r in rows if (keep is None or keep(r) is True)
                    and (v := arg(r)) is not None]
            return pick(vals) if vals else None

        return reduce

    # values ------------------------------------------------------------------------------

    def value(self, i: int, scope: Scope) -> Fn:
        """The closure computing value ``i`` for a row of ``scope``."""
        key = (i, tuple(sorted(scope.items())))
        if key not in self._values:
            self._values[key] = self._value(i, scope)
        return self._values[key]

    def _value(self, i: int, scope: Scope) -> Fn:
        node = self.nodes[i]
        a = node.args
        if node.op == "Field":
            rel, name = a["rel"].i, a["name"]
            if rel not in scope:
                raise Unsupported(f"field {name} of a relation out of reach")
            slot = scope[rel]
            if slot is None:
                return itemgetter(name)
            return lambda row: None if (r := row[slot]) is None else r[name]
        if node.op == "Literal":
            return Const(a["value"])
        if node.op == "WindowFunction":
            if WINDOWS not in scope:
                raise Unsupported("a window function outside a projection")
            return itemgetter(_window_key(i))
        if node.op not in SCALARS:
            raise Unsupported(f"{node.op} as a value")
        args = {k: self._arg(v, scope) for k, v in a.items()}
        types = {k: self.nodes[v.i].dtype for k, v in a.items() if isinstance(v, Ref)}
        try:
            return SCALARS[node.op](args, types)
        except TypeError as exc:
            raise Unsupported(f"{node.op}: {exc}") from None

    def _arg(self, v: Any, scope: Scope) -> Any:
        if isinstance(v, Ref):
            return self.value(v.i, scope)
        if isinstance(v, tuple):
            return tuple(self._arg(x, scope) for x in v)
        return v


def _picker(columns: tuple[str, ...]) -> Callable[[Row], tuple[Any, ...]]:
    """The given columns of a row, as a tuple."""
    if len(columns) == 1:
        one = columns[0]
        return lambda row: (row[one],)
    if not columns:
        return lambda row: ()
    return itemgetter(*columns)


def _refs(args: Iterable[Any]) -> list[Ref]:
    """Every ``Ref`` among the arguments (inside tuples and mappings too)."""
    out: list[Ref] = []
    for v in args:
        if isinstance(v, Ref):
            out.append(v)
        elif isinstance(v, tuple):
            out += _refs(v)
        elif isinstance(v, dict):
            out += _refs(v.values())
    return out

"""Your own layer as scalar equations: the one description every gradient, check and proof starts from.

A ``Layer`` states, once, what a user writes on paper for a layer:

* its **inputs** and **parameters**: tensors of any rank (a vector ``tensor("x", M)``, a matrix, a
  rank-3 tensor ``tensor("W", K, M, N)``, rank-4 convolution weights) or scalar parameters
  (``scalar("alpha")``), with shapes over named sizes (``sizes("M N K")``);
* its **outputs**, one scalar equation per output tensor, ``{y[k]: Sum(x1[i]*W[k,i,j]*x2[j], (i, M),
  (j, N)) + b[k]}``: the left side is an entry with distinct free indices, the right side uses sums
  (``Sum(body, (i, M))``: i from 1 to M, indices from 1 as in the seeds), elementwise functions
  (``exp``, ``log``, ``tanh``, ``sqrt``, ``sigmoid``, ``relu``), index arithmetic (``x[p + u - 1]``)
  and optionally named **intermediates** (``{h[k]: ...}``, defined before use);
* the **upstream gradient** of each output, G = dL/dY (``upstream={y: G}``), so the loss enters only
  through L's first-order term: dL/dtheta = sum over outputs o of G_o dy_o/dtheta (chain rule);
* the **claims**: the closed forms the user believes, one per input or parameter, in the same index
  notation (``{W[k, i, j]: G[k]*x1[i]*x2[j]}``); a claim may use outputs and intermediates;
* the concrete **check sizes** (``at={M: 3, N: 2, K: 2}``) of the exact and numeric checks.

Conventions (DESIGN.md section 4): denominator layout (dL/dW has the shape of W), indices from 1,
``relu(x) = x`` for x > 0 and 0 otherwise, with derivative 0 at x = 0 (PyTorch's convention).

>>> M, N, K = sizes("M N K")
>>> i, j, k = indices("i j k")
>>> x1, x2, W, b = tensor("x1", M), tensor("x2", N), tensor("W", K, M, N), tensor("b", K)
>>> y, G = tensor("y", K), tensor("G", K)
>>> bilinear = Layer("bilinear", inputs=(x1, x2), parameters=(W, b),
...     outputs={y[k]: Sum(x1[i] * W[k, i, j] * x2[j], (i, M), (j, N)) + b[k]}, upstream={y: G},
...     claims={W[k, i, j]: G[k] * x1[i] * x2[j], b[k]: G[k]}, at={M: 2, N: 2, K: 2})
>>> [name for name, _ in bilinear.variables()]
['x1', 'x2', 'W', 'b']

Matrix Cookbook, section 1 (index notation); seed 000 (scalar equations, chain rule entry by entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sympy import (
    And,
    Dummy,
    Expr,
    Float,
    Ge,
    Indexed,
    IndexedBase,
    Le,
    Piecewise,
    S,
    Symbol,
    exp,
    log,
    nsimplify,
    sqrt,
    sympify,
    tanh,
)
from sympy import Sum as _SympySum

from gradproof.symbolic.engine.errors import InvalidInput

__all__ = ["Layer", "Sum", "exp", "indices", "log", "padded", "relu", "scalar", "sigmoid", "sizes", "sqrt", "step",
           "tanh", "tensor"]


def sizes(names: str) -> tuple[Symbol, ...]:
    """Named sizes (positive integers), e.g. ``M, N = sizes("M N")``."""
    return tuple(Symbol(name, integer=True, positive=True) for name in names.split())


def indices(names: str) -> tuple[Symbol, ...]:
    """Index symbols (integers), e.g. ``i, j = indices("i j")``; their range comes from where they are used."""
    return tuple(Symbol(name, integer=True) for name in names.split())


def tensor(name: str, *dims) -> IndexedBase:
    """A real tensor of rank ``len(dims)`` (at least 1), each dimension a size or a size expression."""
    if not dims:
        raise InvalidInput(f"tensor {name!r}: expected at least one dimension (use scalar({name!r}) for a scalar)")
    return IndexedBase(name, shape=tuple(sympify(dim) for dim in dims), real=True)


def scalar(name: str) -> Symbol:
    """A real scalar parameter (its gradient is a scalar)."""
    return Symbol(name, real=True)


def Sum(body, *ranges):  # noqa: N802 - reads as the sigma of the equations
    """sum over each (index, size) from 1 to size, or (index, low, high): ``Sum(x[i], (i, N))``."""
    limits = []
    for entry in ranges:
        if not isinstance(entry, tuple) or len(entry) not in (2, 3):
            raise InvalidInput(f"Sum: expected ranges (index, size) or (index, low, high), got {entry!r}")
        limits.append((entry[0], S.One, entry[1]) if len(entry) == 2 else entry)
    return _SympySum(body, *limits)


def sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)); sigma' = sigma (1 - sigma)."""
    return 1 / (1 + exp(-x))


def relu(x):
    """max(x, 0) with the convention relu'(0) = 0 (PyTorch's): x if x > 0, else 0."""
    return Piecewise((x, x > 0), (0, True))


def step(x):
    """relu'(x) with the convention at 0: 1 for x > 0, else 0 (seed 002's I[s]; PyTorch's mask).

    >>> from sympy import Symbol, diff
    >>> s = Symbol("s", real=True)
    >>> diff(relu(s), s) == step(s)
    True
    """
    return Piecewise((1, x > 0), (0, True))


def padded(base: IndexedBase, *index):
    """The entry ``base[index]`` where every index lies in 1..its size, and 0 outside: zero padding.

    A convolution with padding P reads x[p + u - 1 - P]; outside the image the entry is 0. With
    numbers for the indices (the concrete checks) the condition is decided and the entry is either
    ``base[index]`` or 0; with symbols it stays a piecewise expression.

    >>> H, = sizes("H")
    >>> x = tensor("x", H)
    >>> padded(x, 0).subs(H, 3), padded(x, 2).subs(H, 3)
    (0, x[2])
    """
    if base.shape is None or len(base.shape) != len(index):
        raise InvalidInput(f"padded: {base} has shape {base.shape}; expected {len(base.shape or ())} indices, "
                           f"got {len(index)}")
    inside = And(*(condition for i, dim in zip(index, base.shape) for condition in (Ge(i, 1), Le(i, dim))))
    return Piecewise((base[index], inside), (0, True))


@dataclass(frozen=True)
class Definition:
    """One scalar equation ``target[indices] = body`` (an output or an intermediate)."""

    base: IndexedBase
    indices: tuple[Symbol, ...]
    body: Expr

    @property
    def entry(self) -> Indexed:
        return self.base[self.indices]

    def at(self, index: tuple) -> Expr:
        """The body at the entry ``index`` (symbols or integers); bound sums are renamed apart."""
        return _fresh_bound(self.body).xreplace(dict(zip(self.indices, index)))


@dataclass(frozen=True)
class Layer:
    """A layer given by scalar equations (see the module docstring for every argument).

    ``inputs`` and ``parameters`` are tensors or scalars; ``outputs`` and ``intermediates`` map an
    entry ``y[k]`` to its scalar equation; ``upstream`` maps each output tensor to G = dL/dY (same
    shape); ``claims`` maps an entry of an input or parameter (or a scalar parameter) to the claimed
    dL/d(entry); ``at`` gives every size a concrete value for the exact and numeric checks.
    """

    name: str
    inputs: tuple
    parameters: tuple = ()
    outputs: Mapping = field(default_factory=dict)
    upstream: Mapping = field(default_factory=dict)
    claims: Mapping = field(default_factory=dict)
    at: Mapping = field(default_factory=dict)
    intermediates: Mapping = field(default_factory=dict)
    title: str = ""
    reference: str = "user layer"
    conventions: str = ""
    rule_claims: bool = False
    """True for the built-in descriptions, whose claims are the rule table's closed forms: there a claim
    reading outside its tensor (a closed form of the wrong shape) is a wrong rule, refuted by the exact check;
    a user's claim reading outside (G[k + 1] at k = K) is refused as bad input."""

    def __post_init__(self):
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "title", self.title or f"The {self.name} layer")
        _validate(self)

    # --- the pieces, in order -------------------------------------------------------------------------

    def variables(self) -> list[tuple[str, object]]:
        """(name, tensor or scalar) of every input, then every parameter: the gradients to derive."""
        return [(str(_label(v)), v) for v in self.inputs + self.parameters]

    def output_definitions(self) -> list[Definition]:
        return [_definition(entry, body) for entry, body in self.outputs.items()]

    def intermediate_definitions(self) -> list[Definition]:
        return [_definition(entry, body) for entry, body in self.intermediates.items()]

    def upstream_of(self, output: IndexedBase) -> IndexedBase:
        return self.upstream[output]

    def claim_of(self, variable) -> tuple[tuple, Expr] | None:
        """(key indices, claimed body) for ``variable`` (a tensor or a scalar), or None if no claim."""
        for key, body in self.claims.items():
            if isinstance(key, Indexed) and key.base == variable:
                return tuple(key.indices), sympify(body)
            if key == variable:
                return (), sympify(body)
        return None

    def size_symbols(self) -> list[Symbol]:
        """Every size used in a shape, in order of appearance."""
        found: list[Symbol] = []
        for base in self.tensors():
            for dim in base.shape:
                for symbol in sorted(sympify(dim).free_symbols, key=str):
                    if symbol not in found:
                        found.append(symbol)
        return found

    def tensors(self) -> list[IndexedBase]:
        """Every tensor: inputs, parameters, intermediates, outputs, upstream gradients."""
        declared = [v for v in self.inputs + self.parameters if isinstance(v, IndexedBase)]
        defined = [d.base for d in self.intermediate_definitions() + self.output_definitions()]
        return declared + defined + [self.upstream[d.base] for d in self.output_definitions()]

    def expand(self, expr) -> Expr:
        """``expr`` with every intermediate and output entry replaced by its scalar equation."""
        definitions = {d.base: d for d in self.intermediate_definitions() + self.output_definitions()}
        for _ in range(len(definitions) + 1):
            replaced = sympify(expr).replace(
                lambda e: isinstance(e, Indexed) and e.base in definitions,
                lambda e: definitions[e.base].at(tuple(e.indices)))
            if replaced == expr:
                return replaced
            expr = replaced
        raise InvalidInput(f"layer {self.name}: the intermediates refer to each other in a cycle")

    def concrete_sizes(self, override: Mapping | None = None) -> dict[Symbol, int]:
        """The check sizes ``at``, with ``override`` (size name or symbol -> int) applied."""
        values = {symbol: self.at[symbol] for symbol in self.size_symbols()}
        by_name = {str(symbol): symbol for symbol in values}
        for key, value in (override or {}).items():
            symbol = by_name.get(str(key))
            if symbol is None:
                raise InvalidInput(f"layer {self.name}: unknown size {key!r}; sizes are {sorted(by_name)}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidInput(f"layer {self.name}: size {key} must be an integer >= 1, got {value!r}")
            values[symbol] = value
        return values


def _label(variable):
    return variable.label if isinstance(variable, IndexedBase) else variable


def _definition(entry, body) -> Definition:
    return Definition(entry.base, tuple(entry.indices), sympify(body))


def _fresh_bound(expr):
    """``expr`` with the variables of its sums renamed to fresh dummies (no capture on substitution)."""
    def rename(node):
        fresh = {limit[0]: Dummy(str(limit[0]), integer=True) for limit in node.limits}
        body = node.function.xreplace(fresh)
        return _SympySum(body, *[(fresh[v], low, high) for v, low, high in node.limits])

    return expr.replace(lambda e: isinstance(e, _SympySum), rename)


def _validate(layer: Layer) -> None:
    """Clear errors for a malformed description: argument, expected, actual.

    Beyond the types and shapes: each output and upstream gradient is a tensor of its own (not an input,
    a parameter or another output's); one claim per input or parameter; a tensor's claim key is an entry;
    every free index of a right side is an index of its left side; an index offset stays inside its
    tensor's range at the check sizes in an equation or a claim (zero padding goes through ``padded``); no
    floating-point constant
    (0.3333333333333333 is not 1/3: an exact comparison needs ``Rational(1, 3)``)."""
    names = [str(name) for name, _ in layer.variables()]
    for variable in layer.inputs + layer.parameters:
        if not isinstance(variable, (IndexedBase, Symbol)):
            raise InvalidInput(f"layer {layer.name}: inputs and parameters must be tensor(...) or scalar(...), "
                               f"got {variable!r} ({type(variable).__name__})")
    if len(set(names)) != len(names):
        raise InvalidInput(f"layer {layer.name}: each input and parameter needs its own name, got {names}")
    if not layer.outputs:
        raise InvalidInput(f"layer {layer.name}: outputs must map an entry such as y[k] to its equation, got none")
    for kind, mapping in (("outputs", layer.outputs), ("intermediates", layer.intermediates)):
        for entry in mapping:
            _check_entry(layer, kind, entry)
    _check_roles(layer)
    for definition in layer.output_definitions():
        upstream = layer.upstream.get(definition.base)
        if upstream is None or tuple(upstream.shape) != tuple(definition.base.shape):
            raise InvalidInput(f"layer {layer.name}: upstream must map output {definition.base} to a tensor of shape "
                               f"{definition.base.shape} (G = dL/d{definition.base}), got {upstream!r}")
    _check_claim_keys(layer, names)
    missing = [str(s) for s in layer.size_symbols() if not isinstance(layer.at.get(s), int) or layer.at[s] < 1]
    if missing:
        raise InvalidInput(f"layer {layer.name}: at must give every size an integer >= 1; missing or bad: {missing} "
                           f"(got {dict(layer.at)})")
    for kind, entry, body in _equations(layer):
        _check_body(layer, kind, entry, body)


def _check_roles(layer: Layer) -> None:
    """Outputs, intermediates and upstream gradients are tensors of their own."""
    declared = {_label(v): "an input or parameter" for v in layer.inputs + layer.parameters}
    for kind, mapping in (("intermediates", layer.intermediates), ("outputs", layer.outputs)):
        for entry in mapping:
            role = declared.get(entry.base.label)
            if role is not None:
                raise InvalidInput(f"layer {layer.name}: {kind} entry {entry}: expected a new tensor, got {entry.base}, "
                                   f"which is {role} (an equation defines a tensor of its own, e.g. y[i] = 2*x[i])")
            declared[entry.base.label] = f"one of the {kind}"
    seen: dict = {}
    for output, upstream in layer.upstream.items():
        if not isinstance(upstream, IndexedBase):
            raise InvalidInput(f"layer {layer.name}: upstream of {output}: expected a tensor(...) G = dL/d{output}, "
                               f"got {upstream!r}")
        role = declared.get(upstream.label) or seen.get(upstream.label)
        if role is not None:
            raise InvalidInput(f"layer {layer.name}: upstream of {output}: expected a new tensor G = dL/d{output}, "
                               f"got {upstream}, which is {role}")
        seen[upstream.label] = f"the upstream gradient of {output}"


def _check_claim_keys(layer: Layer, names: list[str]) -> None:
    variables = [v for _, v in layer.variables()]
    claimed: dict = {}
    for key in layer.claims:
        target = key.base if isinstance(key, Indexed) else key
        if target not in variables:
            raise InvalidInput(f"layer {layer.name}: a claim's key must be an entry of an input or parameter "
                               f"(such as {names[0]}[...]) or a scalar parameter; got {key}")
        if isinstance(key, Indexed):
            _check_entry(layer, "claims", key)
        elif isinstance(key, IndexedBase):
            rank = len(key.shape)
            raise InvalidInput(f"layer {layer.name}: claim key {key}: a tensor's claim key must be an entry such as "
                               f"{key}[{', '.join('ijkl'[:rank] if rank <= 4 else ['i'] * rank)}], got the tensor {key}")
        if target in claimed:
            raise InvalidInput(f"layer {layer.name}: two claims for {_label(target)} ({claimed[target]}, {key}); "
                               "give one claim per input or parameter")
        claimed[target] = key


def _equations(layer: Layer):
    """(kind, left side, right side) of every equation and claim."""
    for kind, mapping in (("intermediates", layer.intermediates), ("outputs", layer.outputs),
                          ("claims", layer.claims)):
        for entry, body in mapping.items():
            yield kind, entry, body


def _check_body(layer: Layer, kind: str, entry, body) -> None:
    """No float constant, no free index the left side lacks, every constant offset inside its range."""
    where = f"layer {layer.name}: {'claim for' if kind == 'claims' else kind[:-1]} {entry}"
    if isinstance(body, float):
        body = Float(body)
    body = sympify(body)
    floats = sorted(body.atoms(Float), key=float)
    if floats:
        suggested = nsimplify(floats[0], rational=True, tolerance=1e-12)
        raise InvalidInput(f"{where}: expected exact constants, got the floating-point number {float(floats[0])!r} "
                           f"(a double, not compared exactly); write Rational({suggested.p}, {suggested.q}) "
                           f"if {suggested} is meant")
    left = tuple(entry.indices) if isinstance(entry, Indexed) else ()
    sizes = set(layer.size_symbols())
    used = {symbol for e in body.atoms(Indexed) for index in e.indices for symbol in sympify(index).free_symbols}
    free = sorted((used & body.free_symbols) - sizes - set(left), key=str)
    if free:
        raise InvalidInput(f"{where}: index {', '.join(map(str, free))} is free on the right but not on the left; "
                           f"expected only the left side's indices {list(left)} (sum the others with Sum)")
    # a claim too: an entry outside its tensor (G[k + 1] at k = K) has no value; the user means zero padding
    # (write padded) or has an off-by-one, and either way a counterexample naming G[K + 1] would mislead
    if kind != "claims" or not layer.rule_claims:
        ranges = {index: (1, dim) for index, dim in zip(entry.indices, entry.base.shape)} if left else {}
        _check_ranges(layer, where, body, ranges)


def _check_ranges(layer: Layer, where: str, expr, ranges: dict) -> None:
    """Each entry's indices stay within 1..its size at the check sizes, for every value of the indices
    around it (the left side's, each sum's); a piecewise expression whose conditions are about indices
    only (``padded``) is where the user has said what happens outside, so it is not looked into."""
    if isinstance(expr, Piecewise) and not any(c.atoms(Indexed) for _, c in expr.args):
        return
    if isinstance(expr, _SympySum):
        inner = dict(ranges)
        for variable, low, high in expr.limits:
            inner[variable] = (low, high)
        _check_ranges(layer, where, expr.function, inner)
        return
    if isinstance(expr, Indexed) and expr.base.shape is not None:
        for position, (index, dim) in enumerate(zip(expr.indices, expr.base.shape)):
            span = _span(layer, sympify(index), ranges)
            size = _at(layer, dim)
            if span is not None and size is not None and (span[0] < 1 or span[1] > size):
                raise InvalidInput(
                    f"{where}: {expr} leaves 1..{dim} (index {position + 1}: {index} runs over {span[0]}..{span[1]} "
                    f"at the check sizes {_sizes_text(layer)}); expected an index inside the tensor; use "
                    f"padded({expr.base}, ...) for zero padding")
    for arg in expr.args:
        _check_ranges(layer, where, arg, ranges)


def _at(layer: Layer, expr):
    value = sympify(sympify(expr).xreplace({s: v for s, v in layer.at.items() if isinstance(v, int)}))
    return int(value) if value.is_Integer else None


SPAN_LIMIT = 20000
"""At most this many index combinations are enumerated to find an entry's index range (else it is not checked)."""


def _span(layer: Layer, index, ranges: dict):
    """(least, greatest) value of an index expression over every value of the indices it depends on (and of the
    indices their ranges depend on), enumerated at the check sizes; None when unknown or too many to enumerate."""
    needed, todo = [], list(index.free_symbols & ranges.keys())
    while todo:
        variable = todo.pop()
        if variable not in needed:
            needed.append(variable)
            todo.extend(set().union(*(sympify(b).free_symbols for b in ranges[variable])) & ranges.keys())
    order = [v for v in ranges if v in needed]  # outer first: the left side's indices, then sums inside out
    values, count = [], [0]

    def walk(n, assignment):
        if count[0] > SPAN_LIMIT:
            return
        if n == len(order):
            count[0] += 1
            value = _at(layer, index.xreplace(assignment))  # ints: _at sympifies
            values.append(value)
            return
        low, high = (_at(layer, sympify(bound).xreplace(assignment)) for bound in ranges[order[n]])
        if low is None or high is None:
            values.append(None)
            return
        for value in range(low, high + 1):
            walk(n + 1, {**assignment, order[n]: value})

    walk(0, {})
    if count[0] > SPAN_LIMIT or not values or None in values:
        return None
    return min(values), max(values)


def _sizes_text(layer: Layer) -> str:
    return ", ".join(f"{k} = {v}" for k, v in layer.at.items())


def _check_entry(layer: Layer, kind: str, entry) -> None:
    if not isinstance(entry, Indexed):
        raise InvalidInput(f"layer {layer.name}: {kind} keys must be entries such as y[k], got {entry!r}")
    ix = tuple(entry.indices)
    if len(set(ix)) != len(ix) or not all(isinstance(i, Symbol) for i in ix):
        raise InvalidInput(f"layer {layer.name}: {kind} entry {entry} must have distinct index symbols, got {ix}")
    if entry.base.shape is None or len(entry.base.shape) != len(ix):
        raise InvalidInput(f"layer {layer.name}: {kind} entry {entry} has {len(ix)} indices; "
                           f"{entry.base} has shape {entry.base.shape}")

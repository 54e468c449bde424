"""A rule in one presentation (``LayerEquations``), verified by the description engine.

The rule table states each FC rule once, as a matrix closed form, and evaluates it in every layout of the
seeds (``symbolic.layers.fc``: PyTorch's batch, seed 000's columns, seed 001's rows summed or averaged).
``verify_presentation`` turns one layout into a layer description (``description_of``: the layout's
operands as tensors over its sizes, its scalar equation as the output's equation, the upstream gradient
as a tensor G) whose one claim is the generic entry of the closed form in that layout, and lets the
description engine (``symbolic.layers.gradients``) decide it, exact at the sizes and, where the index
algebra applies, for every size. The layout's upstream gradient is the claim's: seed 001's averaged loss
has dL/dY = D / N, so the claim's entries of D are G N (an identity in G, which holds for every G, holds
at G = D / N); a loss (upstream 1) claims G_L times its closed form, G_L = dL/dL = 1.

``RuleCheck`` and the ``GeneralProof`` returned carry the evidence the proof documents display, in the
layout's own entry symbols: the chain rule, the upstream gradient substituted, the differentiated
equation, its sifted generic entry (``engine.indexed.collapse_deltas``) and the closed form's entry.

Seeds 000-002; Matrix Cookbook section 1 (index notation).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sympy import Derivative, Indexed, IndexedBase, Matrix, S, Symbol, solve, sympify
from sympy import Sum as SympySum
from sympy.matrices.exceptions import ShapeError

from gradproof.symbolic.engine import derive
from gradproof.symbolic.engine.derive import explicit
from gradproof.symbolic.engine.equations import ConcreteSystem, LayerEquations, sizes_text
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.general import CHAIN_RULE, DIFFERENTIATE, UPSTREAM, GeneralProof
from gradproof.symbolic.engine.indexed import LINEARITY, SIFTING, collapse_deltas, matrix_entry
from gradproof.symbolic.engine.verdict import Mismatch
from gradproof.symbolic.layers.description import Layer, scalar, tensor
from gradproof.symbolic.layers.gradients import concrete_gradients, general_verdict, verify_claims

__all__ = ["RuleCheck", "description_of", "verify_presentation", "verify_rule"]

J = Symbol("L")
P, Q = Symbol("p", integer=True), Symbol("q", integer=True)
OUT = (Symbol("i", integer=True), Symbol("j", integer=True))


def _dims(equations: LayerEquations, operand) -> list:
    return [equations.sizes[role] for role in (operand.rows, operand.cols) if role is not None]


@dataclass(frozen=True)
class _Translation:
    """The description built from a layout and the way back to the layout's symbols."""

    layer: Layer
    equations: LayerEquations
    variable: str
    upstream: IndexedBase
    tensors: dict

    def plain(self, expr):
        """``expr`` in the layout's symbols: each description tensor's entry as the layout's entry, and each
        entry of G as the layout's upstream gradient dL/dy at that entry."""
        functions = self.equations.entry_functions()
        by_name = {str(value.label): key for key, value in self.tensors.items() if isinstance(value, IndexedBase)}
        upstream = str(self.upstream.label)

        def entry(e):
            if str(e.base.label) == upstream:
                ix = tuple(e.indices) if self.equations.output.rank else ()
                return self.equations.upstream(functions, *ix)
            return functions[by_name[str(e.base.label)]](*e.indices)

        expr = sympify(expr).replace(
            lambda e: isinstance(e, Indexed) and (str(e.base.label) in by_name or str(e.base.label) == upstream), entry)
        scalars = {value: functions[key]() for key, value in self.tensors.items() if isinstance(value, Symbol)}
        return expr.xreplace(scalars)


def description_of(equations: LayerEquations, wrt: str, closed_form, at: dict | None = None) -> _Translation:
    """The layout ``equations`` as a ``Layer`` whose one claim is the generic entry (p, q) of ``closed_form``
    (a matrix expression in the layout's MatrixSymbols) for the operand ``wrt``; ``at`` maps roles to sizes."""
    tensors = {}
    for operand in equations.operands:
        dims = _dims(equations, operand)
        tensors[operand.key] = tensor(operand.entry, *dims) if dims else scalar(operand.entry)
    output = equations.output
    out_dims = _dims(equations, output) or [1]
    Y = tensor(output.entry + "_{out}" if output.entry in {o.entry for o in equations.operands} else output.entry,
               *out_dims)
    G = tensor(f"G_{{{output.entry}}}", *out_dims)
    ops = {key: _entry_of(value) for key, value in tensors.items()}
    ops.update({f"size:{role}": size for role, size in equations.sizes.items()})
    for key, derived in equations.derived_entries.items():
        ops[key] = (lambda d: (lambda *ix: d(ops, *ix)))(derived)
    index = OUT[: output.rank]
    body = equations.equation(ops, *index)
    key_indices = (P, Q)[: equations.operand(wrt).rank]
    claim = _claim(equations, closed_form, key_indices, tensors, G)
    target = tensors[wrt]
    key = target[key_indices] if key_indices else target
    sizes = {equations.sizes[role]: value for role, value in (at or {}).items()}
    layer = Layer(f"{equations.name}.{wrt}", inputs=tuple(tensors[k] for k in _differentiable(equations)),
                  parameters=tuple(v for k, v in tensors.items() if k not in _differentiable(equations)),
                  outputs={Y[index or (Symbol("o", integer=True),)]: body}, upstream={Y: G}, claims={key: claim},
                  at=sizes or {size: 2 for size in equations.sizes.values()}, title=equations.title,
                  reference=equations.seed_ref, rule_claims=True)
    return _Translation(layer, equations, wrt, G, tensors)


def _differentiable(equations) -> list:
    return [key for key in equations.variables]


def _entry_of(value):
    if isinstance(value, Symbol):
        return lambda *ix: value
    if len(value.shape) == 1:
        return lambda i, *unused: value[i]
    return lambda i, j: value[i, j]


def _claim(equations: LayerEquations, closed_form, key_indices, tensors, G):
    """The closed form's entry (p, q) in the description's tensors, the upstream entries written in G."""
    row = key_indices[0] if key_indices else 1
    column = key_indices[1] if len(key_indices) > 1 else 1
    try:
        entry = matrix_entry(closed_form, row, column, equations.entries_by_name())
    except ShapeError as error:
        raise InvalidInput(f"{equations.name}: the closed form's operands do not conform: {error}") from error
    functions = equations.entry_functions()
    i, j = OUT
    index = OUT[: equations.output.rank]
    upstream = sympify(equations.upstream(functions, *index))
    grad = [o for o in equations.operands if o.key == "grad_output"]
    if grad:
        d = functions["grad_output"](*index)
        g_entry = G[index]
        (solved,) = solve(upstream - g_entry, d) or [None]
        if solved is None:
            raise InvalidInput(f"{equations.name}: the upstream gradient {upstream} does not determine {d}")
        entry = entry.replace(lambda e: isinstance(e, Indexed) and e.base == d.base,
                              lambda e: solved.xreplace(dict(zip(index, e.indices))))
    elif equations.output.rank == 0:
        entry = G[1] * entry / upstream
    else:
        raise InvalidInput(f"{equations.name}: an upstream gradient needs an operand keyed 'grad_output'")
    by_name = {str(IndexedBase(o.entry)): tensors[o.key] for o in equations.operands if o.rank}
    scalars = {Symbol(o.entry): tensors[o.key] for o in equations.operands if not o.rank}
    entry = entry.replace(lambda e: isinstance(e, Indexed) and str(e.base) in by_name,
                          lambda e: by_name[str(e.base)][e.indices])
    return entry.xreplace(scalars)


@dataclass(frozen=True)
class RuleCheck:
    """The description engine's verdict at concrete sizes, in the layout's symbols: ``derived`` (from the
    scalar equations by the chain rule), ``claimed`` (the closed form's entries), ``concrete`` True, False
    (``mismatch`` is the counterexample) or None (not decided, ``detail`` says why)."""

    rule: object
    system: ConcreteSystem
    variable: str
    derived: Matrix
    closed_form: object
    claimed: Matrix | None
    mismatch: Mismatch | None
    concrete: bool | None = True
    detail: str = ""

    @property
    def holds(self) -> bool | None:
        return self.concrete


@dataclass(frozen=True)
class _Subject:
    """What a general proof of a rule in one layout is about (``GeneralProof.equations`` reads it)."""

    rule: object
    equations: LayerEquations

    def __str__(self):
        return f"{self.rule.name} in {self.equations.name}"


def verify_rule(rule, equations: LayerEquations, sizes: dict | None = None):
    """(RuleCheck, GeneralProof): a rule-table rule in one layout (``symbolic.layers.fc``), its closed form
    written in that layout (``engine.derive.closed_form_in``), at ``sizes`` (role -> int; default 2 each).

    >>> from gradproof.symbolic.layers import fc
    >>> from gradproof.symbolic.layers.table import rule_named
    >>> check, proof = verify_rule(rule_named("linear.bias"), fc.LINEAR_SEED001_MEAN, {"batch": 3, "in": 2, "out": 2})
    >>> check.holds, proof.holds
    (True, True)
    """
    sizes = sizes if sizes is not None else {role: 2 for role in equations.sizes}
    return verify_presentation(rule, equations, derive.presentation_variable(rule, equations),
                               lambda symbols: derive.closed_form_in(rule, equations, symbols), sizes)


def verify_presentation(rule, equations: LayerEquations, wrt: str, closed, sizes: dict):
    """(RuleCheck, GeneralProof): the rule's closed form in this layout, decided by the description engine.

    ``closed(symbols)`` is the closed form in the layout's MatrixSymbols (``equations.matrix_symbols``);
    ``sizes`` maps the layout's roles to integers. A closed form whose shape is not the operand's, or whose
    operands do not conform, does not hold: the mismatch names both shapes."""
    system = equations.instantiate(sizes)
    shape = system.explicit[wrt].shape
    at_sizes = _conforming(closed, system.symbols)
    closed_form = _conforming(closed, equations.matrix_symbols())
    if at_sizes is None or tuple(at_sizes.shape) != tuple(shape) or closed_form is None:
        found = "not defined (its operands do not conform)" if at_sizes is None else tuple(at_sizes.shape)
        mismatch = Mismatch(None, None, None, (shape, found))
        reason = f"refuted by a concrete counterexample: sizes {sizes_text(sizes)}, {mismatch.describe()}"
        proof = GeneralProof(_Subject(rule, equations), False, reason, wrt=wrt)
        if closed_form is not None:  # the derivation's steps still shown, the verdict the shapes' refutation
            translation = description_of(equations, wrt, closed_form, sizes)
            proof = _displayed(rule, translation, closed_form,
                               general_verdict(translation.layer, wrt_name(translation), translation.tensors[wrt]))
            proof = dataclasses.replace(proof, holds=False, reason=reason)
        check = RuleCheck(rule, system, wrt, _derived(translation, shape) if closed_form is not None
                          else Matrix.zeros(*shape), closed_form, None, mismatch, False, mismatch.describe())
        return check, proof
    translation = description_of(equations, wrt, closed_form, sizes)
    layer = translation.layer
    gradients = concrete_gradients(layer)
    (verdict,) = verify_claims(layer, gradients)
    derived = _derived(translation, shape, gradients)
    mismatch = _in_layout(verdict.mismatch, translation, shape) if verdict.concrete is not True else None
    check = RuleCheck(rule, system, wrt, derived, at_sizes, explicit(at_sizes, system), mismatch, verdict.concrete,
                      verdict.detail)
    proof = _displayed(rule, translation, closed_form, verdict.general)
    if check.holds is False:
        proof = dataclasses.replace(proof, reason=f"refuted by a concrete counterexample: sizes {sizes_text(sizes)}, "
                                                  f"{mismatch.describe()}")
    return check, proof


def wrt_name(translation: _Translation) -> str:
    """The description's name of the differentiated operand (its entry name)."""
    value = translation.tensors[translation.variable]
    return str(value.label) if isinstance(value, IndexedBase) else str(value)


def _derived(translation: _Translation, shape, gradients=None) -> Matrix:
    """The description engine's derived gradient at the sizes, in the layout's symbols and shape."""
    gradients = gradients or concrete_gradients(translation.layer)
    at = dict(translation.layer.at)
    return Matrix(*shape, [translation.plain(value).subs(at) for value in gradients.derived[wrt_name(translation)]])


def _in_layout(mismatch: Mismatch | None, translation: _Translation, shape) -> Mismatch | None:
    """The description engine's counterexample in the layout's symbols, its entry as a matrix position."""
    if mismatch is None or mismatch.index is None:
        return mismatch
    index = tuple(mismatch.index) + (1,) * (2 - len(mismatch.index)) if len(shape) == 2 else tuple(mismatch.index)
    at = dict(translation.layer.at)
    return dataclasses.replace(mismatch, index=index, left=translation.plain(mismatch.left).subs(at),
                               right=translation.plain(mismatch.right).subs(at))


def _conforming(closed, symbols):
    """The closed form on ``symbols``, or None if its operands do not conform."""
    try:
        return sympify(closed(symbols)).doit()
    except ShapeError:
        return None


def _displayed(rule, translation: _Translation, closed_form, proof: GeneralProof) -> GeneralProof:
    """The description engine's proof with its steps in the layout's symbols, as fc.pdf displays them:
    chain rule, upstream gradient, differentiated equation, sifted generic entry; right: the closed form's
    entry. The verdict (holds, reason, normal forms) is the description engine's."""
    equations = translation.equations
    functions = equations.entry_functions()
    p = (P, Q)[: equations.operand(translation.variable).rank]
    generic = {Symbol(f"p_{n + 1}", integer=True): index for n, index in enumerate(p)}
    rank = equations.output.rank
    outer = {Symbol(f"q_{n + 1}", integer=True): OUT[n] for n in range(rank)}
    entry = functions[translation.variable](*p)
    out_entry = functions[equations.output.key](*OUT[:rank])
    limits = [(index, 1, size) for index, size in reversed(equations.output_indices())]
    ranges = {index: (1, equations.sizes[role]) for index, role in
              zip(p, [r for r in (equations.operand(translation.variable).rows,
                                  equations.operand(translation.variable).cols) if r is not None])}
    renamed = {**generic, **outer}
    steps = dict((why, expr) for expr, why in proof.left_steps) if proof.left_steps else {}
    differentiated = steps.get(DIFFERENTIATE)
    if differentiated is None:
        return dataclasses.replace(proof, subject=_Subject(rule, equations), right=closed_form, wrt=translation.variable)
    differentiated = translation.plain(_unsum_one(differentiated).xreplace(renamed))
    upstream = equations.upstream(functions, *OUT[:rank])
    row = p[0] if p else 1
    column = p[1] if len(p) > 1 else 1
    closed_entry = matrix_entry(closed_form, row, column, equations.entries_by_name())
    return dataclasses.replace(
        proof, subject=_Subject(rule, equations), right=closed_form, rows=tuple(p[:1]), cols=tuple(p[1:]),
        ranges=ranges, wrt=translation.variable, left_entry=Derivative(J, entry),
        left_steps=((_sum(Derivative(J, out_entry) * Derivative(out_entry, entry), limits), CHAIN_RULE),
                    (_sum(upstream * Derivative(out_entry, entry), limits), UPSTREAM),
                    (differentiated, DIFFERENTIATE),
                    (collapse_deltas(differentiated, ranges), f"{LINEARITY}; {SIFTING}")),
        right_entry=closed_entry, right_steps=((collapse_deltas(closed_entry, ranges), LINEARITY),))


def _unsum_one(expr):
    """A sum over the one entry of a loss's output is its term (q_1 = 1); a sum of 0 (what SymPy's diff
    leaves of a sum whose terms do not contain the variable) is 0."""
    expr = expr.replace(lambda e: isinstance(e, SympySum) and e.function == 0, lambda e: S.Zero)
    return expr.replace(lambda e: isinstance(e, SympySum) and all(low == high for _, low, high in e.limits),
                        lambda e: e.function.xreplace({v: low for v, low, _ in e.limits}))


def _sum(body, limits):
    return SympySum(body, *limits) if limits else body

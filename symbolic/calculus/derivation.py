"""Gradient, vec-Jacobian and Hessian of an expression, derived by differentials, step by step.

``gradient(f, X)``: df by the named rules (``calculus.differential``), each term c tr(L) brought
to tr(G_t^T dX) (``calculus.readoff``), G = sum G_t tidied (``calculus.tidy``), grad f = G in
denominator layout (the shape of X; seed 003: dL = tr(G^T dY)). ``jacobian(F, X)``: d vec F =
J d vec X. ``hessian(f, X)``: the second differential d^2 f = tr(d(grad f)^T dX) =
(d vec X)^T H d vec X, so H is the vec-Jacobian of grad f (Magnus & Neudecker, ch. 10).

Each returns a ``Derivation``: the result as a SymPy matrix expression, the steps (rule, before,
after), the result in the input language (``text``), and ``_repr_latex_`` for Jupyter. Nothing
here is checked: ``calculus.checks`` checks a derivation before anyone prints it.

>>> from sympy import MatrixSymbol, Symbol, Trace, log, Determinant
>>> n = Symbol("n", integer=True, positive=True)
>>> X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
>>> gradient(Trace(X.T * A * X), X).text  # Matrix Cookbook (108): B X + B^T X
'A*X + A.T*X'
>>> gradient(log(Determinant(X)), X).text
'inv(X.T)'
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Add, Identity, MatMul, MatrixSymbol, Trace, Transpose

from gradproof.symbolic.calculus.differential import Step, differential, differential_symbol
from gradproof.symbolic.calculus.markers import Differential, ScalarDifferential
from gradproof.symbolic.calculus.readoff import gradient_terms, sum_gradients, vec_jacobian
from gradproof.symbolic.calculus.tidy import FACTOR, tidy
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.language.printer import to_latex, to_text

ONE_BY_ONE = "a 1 x 1 matrix is its trace"
DISTRIBUTE = "linearity: df as a sum of terms c tr(L)"
SUM = "sum of the terms: df = tr(G^T dX)"
ZERO_TERM = ("a zero term dropped: tr(0) = 0 (the differential of a function constant away from 0, such as sign, "
             "where no entry of its argument is 0)")
READ_OFF = "read off: df = tr(G^T dX) for every dX gives the gradient G (denominator layout)"
TIDY = "canonical form: like terms merged, transposes distributed"
VEC_READ_OFF = "read off: d vec F = J d vec X for every dX gives the vec-Jacobian J"
SECOND = "second differential: d^2 f = tr(d(grad f)^T dX) = (d vec X)^T H d vec X, H the vec-Jacobian of grad f"
KINDS = {"gradient": "gradient", "jacobian": "vec-Jacobian", "hessian": "Hessian"}


@dataclass(frozen=True)
class Derivation:
    """A derived gradient, vec-Jacobian or Hessian of ``expression`` with respect to ``wrt``, with its steps."""

    kind: str
    expression: object
    wrt: MatrixSymbol
    result: object
    steps: tuple[Step, ...]
    gradient: object = None
    """For a Hessian: the gradient it differentiates (the first derivative)."""

    @property
    def text(self) -> str:
        """The result in the input language (for ``gradproof verify --claim``)."""
        return to_text(self.result)

    def symbol(self) -> str:
        """How the result is named: grad_X f, d vec F / d vec X^T, or the Hessian H."""
        return {"gradient": f"grad_{self.wrt.name} f", "jacobian": f"d vec F / d vec({self.wrt.name})^T",
                "hessian": f"H = d^2 f / d vec({self.wrt.name}) d vec({self.wrt.name})^T"}[self.kind]

    def chains(self) -> list[tuple[object, list[Step]]]:
        """The steps as chains of equalities (start, steps): one, or two for a Hessian (grad f, then d vec grad f).

        A chain shows lhs = rhs_1 = rhs_2 = ..., so each displayed step's ``before`` is the previous ``after``:
        a step that rewrites a sub-expression of the previous line is shown inside its context (the whole line
        with the sub-expression replaced), and a step whose ``before`` is neither starts a new chain. The read-off
        steps (tr(G^T dX) gives G; J d vec X gives J) are not equalities and are not in a chain (``read_off``)."""
        return [(start, steps) for _, start, steps in self._parts()]

    def _parts(self) -> list[tuple[int, object, list[Step]]]:
        """(part, start, steps) of each chain: part 0 before the second differential, 1 after (``chains``)."""
        chains: list = []
        start, current, previous, part = None, [], None, 0
        for step in self.steps:
            if step.rule == SECOND:
                chains.append((part, start, current))
                start, current, previous, part = None, [], None, 1
                continue
            if step.rule in (READ_OFF, VEC_READ_OFF):
                continue
            if previous is not None and step.before != previous:
                if previous.has(step.before):
                    step = Step(step.rule, previous, previous.xreplace({step.before: step.after}))
                else:
                    if current:
                        chains.append((part, start, current))
                    start, current = None, []
            if start is None:
                start = step.before
            current.append(step)
            previous = step.after
        chains.append((part, start, current))
        return [(part, start, steps) for part, start, steps in chains if steps or start is not None]

    def read_off(self, part: int | None = None) -> list[Step]:
        """The read-off steps: df = tr(G^T dX) for every dX gives G (``READ_OFF``), d vec F = J d vec X gives J;
        ``part`` 0 or 1: only those before or after the second differential."""
        found, current = [], 0
        for step in self.steps:
            current += step.rule == SECOND
            if step.rule in (READ_OFF, VEC_READ_OFF) and part in (None, current):
                found.append(step)
        return found

    def lines(self) -> list[str]:
        """One line per step: the expression after the step, then the rule in brackets; a Hessian's second
        chain (the vec-Jacobian of the gradient) is introduced by the second differential; a read-off step,
        not an equality, reads "gives" after its chain."""
        out = []
        parts = self._parts()
        for part in sorted({part for part, _, _ in parts}):
            if part:
                out.append(f"  {SECOND}:")
            for _, start, steps in (entry for entry in parts if entry[0] == part):
                out.append(f"  {to_text(start)}")
                out.extend(f"  = {to_text(step.after)}    [{step.rule}]" for step in steps)
            out.extend(f"  {to_text(step.before)} for every d{self.wrt.name} gives {to_text(step.after)}    "
                       f"[{step.rule}]" for step in self.read_off(part))
        return out

    def latex(self) -> str:
        return to_latex(self.result)

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"


def _scalar(expression):
    """A scalar, or a 1 x 1 matrix as its trace; InvalidInput (offering the Jacobian) for other matrices."""
    if not getattr(expression, "is_Matrix", False):
        return expression, []
    if expression.shape == (1, 1):  # d(f) = d(tr f), the line the differential chain continues from
        return Trace(expression), [Step(ONE_BY_ONE, Differential(expression), ScalarDifferential(Trace(expression)))]
    raise InvalidInput(f"the expression {to_text(expression)} is a {expression.rows}x{expression.cols} matrix, "
                       "not a scalar: a gradient needs a scalar; its derivative is the vec-Jacobian "
                       "(gradproof grad without --hessian prints it for a matrix-valued expression)")


def _require_operand(expression, wrt):
    if not isinstance(wrt, MatrixSymbol):
        raise InvalidInput(f"wrt: expected a MatrixSymbol (a declared operand), got {wrt!r}")
    if not expression.has(wrt):
        raise InvalidInput(f"the expression {to_text(expression)} does not depend on {wrt.name}; its derivative is 0")


def gradient(expression, wrt: MatrixSymbol) -> Derivation:
    """grad_wrt f for a scalar ``expression`` f, by differentials (see the module)."""
    _require_operand(expression, wrt)
    scalar, steps = _scalar(expression)
    df, rules = differential(scalar, wrt)
    steps += rules
    dwrt = differential_symbol(wrt)
    terms = gradient_terms(df, dwrt)
    kept = Add(*(term for term in Add.make_args(df) if term.has(dwrt)))
    if kept != df:  # gradient_terms dropped the zero terms (linear_terms): shown as a step of its own
        steps.append(Step(ZERO_TERM, df, kept))
        df = kept
    forms = [coefficient * Trace(linear) for coefficient, linear, _, _ in terms]
    if len(forms) > 1 and Add(*forms) != df:
        steps.append(Step(DISTRIBUTE, df, Add(*forms)))
    parts = []
    for k, (coefficient, linear, term, used) in enumerate(terms):
        before = Add(*forms)
        forms[k] = Trace(MatMul(Transpose(term), dwrt))
        if used:
            steps.append(Step("; ".join(used), before, Add(*forms)))
        parts.append(term)
    raw = sum_gradients(parts, dwrt)
    if len(parts) > 1:
        steps.append(Step(SUM, Add(*forms), Trace(MatMul(Transpose(raw), dwrt))))
    result = tidy(raw, wrt)
    if result != raw:  # G rewritten inside tr(G^T dX): the whole line, so that the chain stays an equality
        steps.append(Step(FACTOR if result != raw.doit() else TIDY, Trace(MatMul(Transpose(raw), dwrt)),
                          Trace(MatMul(Transpose(result), dwrt))))
    steps.append(Step(READ_OFF, Trace(MatMul(Transpose(result), dwrt)), result))
    return Derivation("gradient", expression, wrt, result, tuple(steps))


def jacobian(expression, wrt: MatrixSymbol) -> Derivation:
    """J = d vec F / d vec(wrt)^T for a matrix ``expression`` F (column stacking; Cookbook (520))."""
    _require_operand(expression, wrt)
    if not getattr(expression, "is_Matrix", False):
        raise InvalidInput(f"the expression {to_text(expression)} is a scalar: its derivative is the gradient")
    dF, steps = differential(expression, wrt)
    dwrt = differential_symbol(wrt)
    used: list = []
    raw = vec_jacobian(dF, dwrt, used)
    result = tidy(raw, wrt)
    steps = [Step(step.rule, Vec(step.before), Vec(step.after)) for step in steps]  # one chain: vec dF = ... = J vec dX
    steps = [*steps, Step("; ".join(dict.fromkeys(used)) or VEC_READ_OFF, Vec(dF), MatMul(result, Vec(dwrt))),
             Step(VEC_READ_OFF, MatMul(result, Vec(dwrt)), result)]
    return Derivation("jacobian", expression, wrt, result, tuple(steps))


def hessian(expression, wrt: MatrixSymbol) -> Derivation:
    """H = d^2 f / d vec X d vec X^T of a scalar f: the vec-Jacobian of grad f (second differential)."""
    first = gradient(expression, wrt)
    second = jacobian(first.result, wrt) if first.result.has(wrt) else None
    size = wrt.rows * wrt.cols
    result = second.result if second is not None else 0 * Identity(size)
    steps = [*first.steps, Step(SECOND, first.result, result), *(second.steps if second else ())]
    return Derivation("hessian", expression, wrt, result, tuple(steps), first.result)

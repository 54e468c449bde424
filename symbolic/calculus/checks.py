"""Every derived answer is checked before it is shown: exactly at concrete sizes and by finite differences.

Gradient: the engine ``gradproof verify`` uses (``symbolic.concrete.check_gradient``: the entrywise
derivative of the explicit matrices, decided exactly, or at rational points with its stated bound)
on the claim "grad f = the derived result", read back from its printed text (so what is printed is
what was checked); then the numeric side's error model (``numeric.gradcheck.check_array``) at a
random point, with f lambdified to NumPy. vec-Jacobian and Hessian: every entry of vec F (or f)
written out, differentiated by SymPy and compared with the derived matrix by the engine's one
comparator (``engine.verdict.first_mismatch``, differences decided by ``cancel``); then finite
differences of a random projection u^T vec F (or u^T vec grad f). Three verdicts: holds, does not
hold (with the entry and both values), not decided (with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import (
    Abs,
    DiracDelta,
    Dummy,
    HadamardPower,
    HadamardProduct,
    Heaviside,
    ImmutableMatrix,
    Integer,
    Lambda,
    Matrix,
    MatrixSymbol,
    OneMatrix,
    S,
    Symbol,
    Trace,
    diff,
    sign,
    sqrt,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradproof.numeric.gradcheck import check_array
from gradproof.symbolic.calculus.numeric_form import numpy_function
from gradproof.symbolic.claims import GradientClaim, check_gradient
from gradproof.symbolic.engine.identities import explicit_symbols
from gradproof.symbolic.engine.operands import Operand
from gradproof.symbolic.engine.verdict import cancels_to_zero, first_mismatch
from gradproof.symbolic.language import parse
from gradproof.symbolic.language.functions import function_name
from gradproof.symbolic.language.limits import check_limits

HOLDS, FAILS, UNDECIDED = "holds", "does not hold", "not decided"
MAX_EXPLICIT_ENTRIES = 16
"""Largest number of entries of the operand a Jacobian or Hessian is checked at, entry by entry."""


@dataclass(frozen=True)
class Check:
    """One check of a derivation: its name, verdict (holds / does not hold / not decided) and evidence."""

    name: str
    verdict: str
    detail: str

    @property
    def passed(self) -> bool:
        return self.verdict == HOLDS

    def line(self) -> str:
        return f"{self.name}: {self.verdict.upper() if self.verdict != HOLDS else 'holds'}: {self.detail}"

    def as_dict(self) -> dict:
        return {"check": self.name, "verdict": self.verdict, "detail": self.detail}


def _concrete(expr, dims: dict, sizes: dict):
    return expr.xreplace({dims[name]: Integer(value) for name, value in sizes.items() if name in dims})


def _operand(symbol: MatrixSymbol) -> Operand:
    return Operand.matrix(symbol.name, *(str(d) if isinstance(d, Symbol) else int(d) for d in symbol.shape))


def check_derivation(derivation, operands: dict, dims: dict, scalars: dict, sizes: dict, *, seed: int = 0):
    """The checks of ``derivation`` at ``sizes`` (every dimension named), in order: exact, then numeric."""
    concrete = {name: _concrete(symbol, dims, sizes) for name, symbol in operands.items()}
    expression = _concrete(derivation.expression, dims, sizes)
    result = _concrete(derivation.result, dims, sizes)
    check_limits([expression, result], sizes)
    wrt = concrete[derivation.wrt.name]
    if derivation.kind == "gradient":
        return (_exact_gradient(derivation, operands, dims, scalars, sizes, seed),
                _numeric(expression, result, wrt, concrete, scalars, seed, "gradient"))
    explicit = _exact_matrix(derivation.kind, expression, result, wrt, concrete, sizes)
    if derivation.kind == "jacobian":
        return explicit, _numeric(expression, result, wrt, concrete, scalars, seed, "jacobian")
    gradient_result = _concrete(derivation.gradient, dims, sizes)
    return explicit, _numeric(gradient_result, result, wrt, concrete, scalars, seed, "hessian")


def _exact_gradient(derivation, operands, dims, scalars, sizes, seed) -> Check:
    """``check_gradient`` (the engine of ``verify``) on the claim grad f = derivation.text."""
    text = derivation.text

    def objective(o, d, s):
        return for_engine(_concrete(derivation.expression, dims, d))

    def claimed(o, d, s):
        return for_engine(parse(text, o, d, s, where="the derived gradient"))

    claim = GradientClaim("derived", tuple(_operand(o) for o in operands.values()), objective,
                          derivation.wrt.name, claimed, scalars=tuple(scalars))
    verdict = check_gradient(claim, dict(sizes), seed=seed)
    name = f"exact at sizes {_sizes_text(sizes)}"
    if verdict.holds:
        return Check(name, HOLDS, verdict.evidence.describe())
    return Check(name, FAILS, verdict.counterexample.describe())


def _real_form(function):
    """abs and sign of a real u as sqrt(u^2) and u/sqrt(u^2) (equal for real u != 0), which SymPy
    differentiates exactly over entries it does not know to be real."""
    if function is Abs:
        return lambda u: sqrt(u**2)
    return lambda u: u / sqrt(u**2)


def for_engine(expr):
    """``expr`` as the exact checker evaluates it: with an entrywise function inside (its SymPy path),
    matrices of ones are written out, and abs/sign take their real forms (``_real_form``)."""
    expr = expr.replace(lambda e: isinstance(e, HadamardPower), _hadamard_power)
    if not expr.has(ElementwiseApplyFunction, Abs, sign):
        return expr
    expr = expr.replace(lambda e: isinstance(e, ElementwiseApplyFunction) and function_name(e) in ("abs", "sign"),
                        lambda e: ElementwiseApplyFunction(_REAL_LAMBDAS[function_name(e)], e.expr))
    expr = expr.replace(Abs, _real_form(Abs)).replace(sign, _real_form(sign))
    return expr.replace(lambda e: isinstance(e, OneMatrix) and e.shape[0].is_Integer and e.shape[1].is_Integer,
                        lambda e: ImmutableMatrix.ones(*e.shape))


def _hadamard_power(expr):
    """M^(o k) = M o ... o M for k = 1, 2, ...; other exponents as the entrywise function u -> u^p."""
    base, p = expr.args
    if p.is_Integer and 0 < p <= 8:
        return HadamardProduct(*([base] * int(p))) if p > 1 else base
    return ElementwiseApplyFunction(Lambda(_U, _U**p), base)


_U = Dummy("u")
_REAL_LAMBDAS = {"abs": Lambda(_U, sqrt(_U**2)), "sign": Lambda(_U, _U / sqrt(_U**2))}


def _sizes_text(sizes) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "as declared"


def _vec(matrix: Matrix) -> list:
    """Column stacking: vec(M)[i + rows*j] = M[i, j]."""
    return [matrix[i, j] for j in range(matrix.cols) for i in range(matrix.rows)]


def _explicit(expr, values) -> Matrix:
    value = expr.xreplace(values).doit()
    # a trace doit leaves unevaluated (tr(1 * explicit matrix), from sum(...)): its explicit trace, so that the
    # entries are plain expressions SymPy can differentiate (twice, for a Hessian)
    value = value.replace(lambda e: isinstance(e, Trace), lambda e: e.arg.as_explicit().trace())
    return Matrix(value) if getattr(value, "is_Matrix", False) else Matrix([[value]])


def _exact_matrix(kind, expression, result, wrt, concrete, sizes) -> Check:
    """Every entry of vec F (or f) written out and differentiated; compared with the derived matrix exactly."""
    name = f"exact at sizes {_sizes_text(sizes)}"
    if int(wrt.rows) * int(wrt.cols) > MAX_EXPLICIT_ENTRIES:
        return Check(name, UNDECIDED, f"{wrt.name} has more than {MAX_EXPLICIT_ENTRIES} entries; give smaller --sizes")
    values = {symbol: explicit_symbols(symbol) for symbol in concrete.values()}
    outputs, claimed = _vec(_explicit(expression, values)), _explicit(result, values)
    kinked = any(f.has(Abs, sign, Heaviside, DiracDelta) for f in outputs)
    if kinked:  # real entries: d|x|/dx = sign(x), d sign(x)/dx = 2 DiracDelta(x) (SymPy, for real x only)
        real = {e: Symbol(e.name, real=True) for m in values.values() for e in m}
        values = {symbol: m.xreplace(real) for symbol, m in values.items()}
        outputs, claimed = [f.xreplace(real) for f in outputs], claimed.xreplace(real)
    variables = _vec(values[wrt])
    if kind == "jacobian":
        derived = Matrix([[diff(f, v) for v in variables] for f in outputs])
    else:
        derived = Matrix([[diff(outputs[0], u, v) for v in variables] for u in variables])
    method = "every entry written out, SymPy diff, differences decided by cancel"
    if kinked and derived.has(DiracDelta):  # 0 where its argument is not 0: the derivation's stated validity
        derived = derived.replace(lambda e: isinstance(e, DiracDelta), lambda e: S.Zero)
        method += "; DiracDelta(u) = 0 where u is not 0, the region where the result is stated to hold"
    mismatch = first_mismatch(derived, claimed, cancels_to_zero)
    return Check(name, HOLDS, f"exact ({method})") if mismatch is None else Check(name, FAILS, mismatch.describe())


def _random_matrix(shape, rng, family: int):
    """Family 0: standard normal entries; 1: uniform in (0.1, 0.9) (inside the domains of log, sqrt, arcsin);
    2: the same plus (rows + 1) I when square (diagonally dominant with a positive diagonal: det > 0)."""
    if family == 0:
        return rng.standard_normal(shape)
    values = rng.uniform(0.1, 0.9, shape)
    if family == 2 and shape[0] == shape[1]:
        values += (shape[0] + 1) * np.eye(shape[0])
    return values


def _random_values(concrete, scalars, rng, family: int = 0):
    values = {symbol: _random_matrix(tuple(int(d) for d in symbol.shape), rng, family) for symbol in concrete.values()}
    values.update({symbol: float(_random_matrix((1,), rng, family)[0]) for symbol in scalars.values()})
    return values


def _numeric(expression, result, wrt, concrete, scalars, seed, kind) -> Check:
    """Finite differences on the error model of ``numeric.gradcheck`` (central, float64) at a random point."""
    arguments = [*concrete.values(), *scalars.values()]
    value_of, derived_of = numpy_function(arguments, expression), numpy_function(arguments, result)
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in wrt.shape)
    for attempt in range(21):
        values = _random_values(concrete, scalars, rng, attempt % 3)
        ordered = [values[a] for a in arguments]
        position = arguments.index(wrt)
        projection = rng.standard_normal(int(np.prod(_shape_of(expression)))) if kind != "gradient" else None

        def scalar(array, ordered=ordered, position=position, projection=projection):
            args = list(ordered)
            args[position] = array
            value = np.asarray(value_of(*args), dtype=float)
            return float(value.reshape(-1)[0]) if projection is None else float(projection @ value.reshape(-1, order="F"))

        with np.errstate(all="ignore"):
            if not np.isfinite(scalar(values[wrt])):
                continue
            derived = np.asarray(derived_of(*ordered), dtype=float)
        analytic = derived.reshape(shape) if projection is None else (derived.T @ projection).reshape(shape, order="F")
        label = "d f/d" + wrt.name if projection is None else f"u^T vec F, d/d{wrt.name}"
        projected = "" if projection is None else f" of a random projection u^T vec({'F' if kind == 'jacobian' else 'grad f'})"
        report = check_array(label, scalar, values[wrt], analytic, wrt=wrt.name)
        cells = report.row()
        worst = tuple(i + 1 for i in report.worst_index)
        if report.error_of_scale is None or report.resolution is None:
            detail = (f"{cells[1]}, float64, {cells[2]} evaluations, max abs error {cells[3]}, max rel error {cells[4]}, "
                      f"worst entry {worst}: {cells[6]}")
        else:  # error and resolution in one unit, max|g| (numeric.gradcheck.CheckReport.error_of_scale)
            detail = (f"{cells[1]}, float64, {cells[2]} evaluations, max error {report.error_of_scale:.1e} x max|g| "
                      f"(largest entry-relative error {report.max_rel_error:.1e}), worst entry {worst}: "
                      f"{report.status(' x max|g|')}")
        status = HOLDS if report.passed else UNDECIDED if report.undecided_only else FAILS  # blind: not a failure
        return Check(f"finite differences{projected}", status, detail)
    return Check("finite differences", UNDECIDED, "the expression is not finite at any of 21 random points (normal "
                 "entries, entries in (0.1, 0.9), and those plus a multiple of I)")


def _shape_of(expr):
    return tuple(int(d) for d in expr.shape) if getattr(expr, "is_Matrix", False) else (1,)

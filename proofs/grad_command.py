"""``gradproof grad``: derive a gradient, vec-Jacobian or Hessian by differentials, check it, then show it.

The expression is read by the language's one safe parser (``symbolic.language.parse``) over the
operands declared with ``--shape`` and the scalars declared with ``--scalar``, as ``verify`` reads
it. A scalar expression gives its gradient (``--hessian``: its Hessian), a matrix-valued one its
vec-Jacobian (``symbolic.calculus``). Every answer is checked before it is shown
(``symbolic.calculus.checks``: exactly at concrete sizes, and by finite differences); one that
fails, or is not decided, is never printed as the answer: the failure is printed and the exit
status is 1. Outside the language or without a rule: exit 2, naming the part and what is supported.

Python: ``grad("log(det(X))", {"X": ("n", "n")}, "X")`` returns a ``CheckedDerivation`` (the
derivation, its checks, ``ok``), whose ``_repr_latex_`` shows the result in Jupyter.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from sympy import Dummy, Symbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from gradproof.proofs.document import Chain, Document, Equation, Math, Section, Text
from gradproof.symbolic.calculus import gradient, hessian, jacobian
from gradproof.symbolic.calculus.checks import check_derivation
from gradproof.symbolic.calculus.differential import differential_symbol
from gradproof.symbolic.calculus.rules import MATRIX_RULES
from gradproof.symbolic.engine.errors import InvalidInput, NotSupported
from gradproof.symbolic.engine.identities import Operand, matrix_symbols
from gradproof.symbolic.engine.operands import dimension_names
from gradproof.symbolic.language import FUNCTIONS, parse
from gradproof.symbolic.language.functions import KINKED, function_name
from gradproof.symbolic.language.printer import to_latex, to_text

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_SIZES = (3, 2, 4, 5)
"""Without --sizes, the dimensions get these sizes in order of appearance (distinct, so that a
transposed answer cannot pass); Jacobians and Hessians, checked entry by entry, start at 2."""
SUPPORTED = (f"functions: {', '.join(FUNCTIONS)}; operators: + - * @ / ** .T; rules for: "
             + ", ".join(sorted(t.__name__ for t in MATRIX_RULES)) + ", Trace, Determinant, log det, scalar functions")


@dataclass(frozen=True)
class CheckedDerivation:
    """A derivation and the checks it passed (or failed); ``ok`` only when every check holds."""

    derivation: object
    checks: tuple
    sizes: dict
    conditions: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    def as_dict(self) -> dict:
        derivation = self.derivation
        return {
            "kind": derivation.kind, "expression": to_text(derivation.expression), "wrt": derivation.wrt.name,
            "result": derivation.text if self.ok else None, "latex": derivation.latex() if self.ok else None,
            "valid_where": list(self.conditions),
            "steps": displayed_steps(derivation),
            "checks": [check.as_dict() for check in self.checks], "sizes": self.sizes,
            "verdict": "checked" if self.ok else "refused: a check did not hold",
        }

    def _repr_latex_(self) -> str:
        if not self.ok:
            return r"$\text{refused: a check did not hold}$"
        return self.derivation._repr_latex_()


def displayed_steps(derivation) -> list[dict]:
    """The steps as displayed (``Derivation.chains``): within a chain each step's ``before`` is the previous
    ``after`` ("relation": "="), a sub-expression rewrite shown in its context; a read-off step ("relation":
    "gives") is not an equality. "chain" numbers the chains."""
    steps = []
    for number, (_, chain) in enumerate(derivation.chains()):
        steps += [{"chain": number + 1, "rule": s.rule, "before": to_text(s.before), "after": to_text(s.after),
                   "relation": "="} for s in chain]
    steps += [{"chain": None, "rule": s.rule, "before": to_text(s.before), "after": to_text(s.after),
               "relation": "gives"} for s in derivation.read_off()]
    return steps


DOMAIN_NOTES = {
    "sqrt": "every entry of {arg} is > 0 (sqrt is real and differentiable only there)",
    "log": "every entry of {arg} is > 0 (log is real only there)",
}
"""Entrywise functions defined (as real functions, with a derivative) only on part of the line."""


def conditions_of(expression) -> tuple[str, ...]:
    """Where a function with a kink (abs, sign, relu) makes the result valid only away from 0, and where sqrt
    or log needs a positive argument."""
    found = []
    for node in expression.atoms(ElementwiseApplyFunction):
        if function_name(node) in KINKED:
            found.append(f"no entry of {to_text(node.expr)} is 0 ({function_name(node)} has no derivative at 0)")
        elif function_name(node) in DOMAIN_NOTES:
            found.append(DOMAIN_NOTES[function_name(node)].format(arg=to_text(node.expr)))
    for function in ("Abs", "sign", "relu", "indicator"):
        for node in expression.find(lambda e, f=function: type(e).__name__ == f and not e.is_Matrix
                                    and not any(isinstance(s, Dummy) for s in e.free_symbols)):
            found.append(f"{to_text(node.args[0])} != 0 ({to_text(node)} has no derivative at 0)")
    return tuple(dict.fromkeys(found))


CONSTANT_AWAY_FROM_0 = ("sign", "indicator")
"""Entrywise functions whose derivative is 0 wherever it exists (every argument entry nonzero)."""


def _only_inside_constant_functions(expression, wrt) -> tuple[list[str], bool]:
    """(the ``CONSTANT_AWAY_FROM_0`` functions applied to something with ``wrt``, whether every appearance of
    ``wrt`` is inside one of them: sum(sign(x)), whose differential is 0)."""
    found, hidden = [], expression
    for node in expression.atoms(ElementwiseApplyFunction):
        if function_name(node) in CONSTANT_AWAY_FROM_0 and node.has(wrt):
            found.append(function_name(node))
            hidden = hidden.xreplace({node: node.expr * 0})
    return sorted(set(found)), bool(found) and not hidden.has(wrt)


def _refuse_kinks_at_zero(expression):
    """abs, sign or relu of something identically 0: no derivative there (exit 2)."""
    for node in expression.atoms(ElementwiseApplyFunction):
        if function_name(node) in KINKED and getattr(node.expr, "is_ZeroMatrix", False):
            raise NotSupported(f"{to_text(node)}: {function_name(node)} is not differentiable at 0")


def _shapes_to_operands(shapes: dict) -> tuple[Operand, ...]:
    return tuple(Operand.matrix(name, *dims) for name, dims in shapes.items())


def default_sizes(operands, kind: str) -> dict:
    start = 0 if kind == "gradient" else 1
    sizes = (2, 3, 4, 5) if start else DEFAULT_SIZES
    return {name: sizes[i % len(sizes)] for i, name in enumerate(dimension_names(operands))}


def grad(expression: str, shapes: dict, wrt: str, *, scalars=(), sizes: dict | None = None,
         hessian_of: bool = False, seed: int = 0) -> CheckedDerivation:
    """Derive and check: the gradient of a scalar ``expression`` (the Hessian with ``hessian_of``), or
    the vec-Jacobian of a matrix one. ``shapes`` maps operand names to (rows, cols) (dimension names
    or integers). Raises InvalidInput (bad input) or NotSupported (no rule)."""
    return derive_checked(_shapes_to_operands(shapes), tuple(scalars), expression, wrt, sizes, hessian_of, seed)


def derive_checked(operands, scalar_names, text: str, wrt: str, sizes, hessian_of: bool, seed: int = 0):
    dims = {name: Symbol(name, integer=True, positive=True) for name in dimension_names(operands)}
    matrices = matrix_symbols(operands, dims)
    scalars = {name: Symbol(name) for name in scalar_names}
    if wrt not in matrices:
        raise InvalidInput(f"--wrt {wrt!r}: expected a declared operand ({', '.join(matrices) or 'none declared'})")
    expression = parse(text, matrices, dims, scalars, where="the expression")
    _refuse_kinks_at_zero(expression)
    is_matrix = getattr(expression, "is_Matrix", False) and expression.shape != (1, 1)
    if hessian_of and is_matrix:
        raise InvalidInput(f"--hessian: the expression {text!r} is a {expression.rows}x{expression.cols} matrix, "
                           "not a scalar; its first derivative is the vec-Jacobian (drop --hessian)")
    kind = "hessian" if hessian_of else "jacobian" if is_matrix else "gradient"
    derive = {"gradient": gradient, "jacobian": jacobian, "hessian": hessian}[kind]
    constant, only = _only_inside_constant_functions(expression, matrices[wrt])
    if only:  # a zero derivative: its finite-difference check would compare 0 with 0 at no resolution
        raise NotSupported(
            f"{text}: {matrices[wrt]} appears only inside {', '.join(constant)}, which is constant away from 0: "
            f"the {kind} is 0 where no entry of the argument is 0 (and does not exist at 0); gradproof grad "
            "derives and checks nonzero differentials only, so it does not display this one")
    derivation = derive(expression, matrices[wrt])
    sizes = dict(sizes) if sizes else default_sizes(operands, kind)
    used = {name: m for name, m in matrices.items() if expression.has(m)}  # the checks cost grows with entries
    used_dims = {name: d for name, d in dims.items() if any(d in m.shape for m in used.values())}
    checks = check_derivation(derivation, used, used_dims, {k: v for k, v in scalars.items() if expression.has(v)},
                              {k: v for k, v in sizes.items() if k in used_dims}, seed=seed)
    return CheckedDerivation(derivation, tuple(checks), sizes, conditions_of(expression))


def _print_text(checked: CheckedDerivation) -> None:
    derivation = checked.derivation
    if not checked.ok:
        print(f"REFUSED: the derived {derivation.kind} of {to_text(derivation.expression)} did not pass its checks, "
              "so it is not shown as the answer:", file=sys.stderr)
        for check in checked.checks:
            print("  " + check.line(), file=sys.stderr)
        return
    print(f"{derivation.symbol()} = {derivation.text}")
    for condition in checked.conditions:
        print(f"valid where {condition}")
    print(f"\nderivation ({len(derivation.steps)} steps, differentials; denominator layout, vec stacks columns):")
    print("\n".join(derivation.lines()))
    print("\nchecks:")
    for check in checked.checks:
        print("  " + check.line())


class _Tex:
    """A formula for document.py, printed in the Cookbook's notation (``to_latex``)."""

    def __init__(self, value):
        self.value = value

    def _latex(self, printer):
        return to_latex(self.value)


def derivation_document(checked: CheckedDerivation) -> Document:
    """The derivation as a LaTeX proof: statement, the chain of differentials (rule per line), checks."""
    derivation = checked.derivation
    wrt = derivation.wrt
    statement = Text.of("Let ", Math(_Tex(wrt)), f" be a matrix of shape {wrt.rows} x {wrt.cols} with independent "
                        "entries and f = ",
                        Math(_Tex(derivation.expression)), f". Its {derivation.kind} is derived by differentials "
                        "(denominator layout; vec stacks columns); each line names its rule.")
    chains = tuple(Chain(_Tex(start), tuple((_Tex(step.after), step.rule) for step in steps))
                   for start, steps in derivation.chains())
    chains += tuple(Text.of("For every ", Math(_Tex(differential_symbol(wrt))), ", the line ", Math(_Tex(step.before)),
                            " gives ", Math(_Tex(step.after)), f" ({step.rule}).") for step in derivation.read_off())
    result = Equation(_Tex(Symbol(f"\\nabla_{{{derivation.wrt.name}}} f") if derivation.kind == "gradient"
                           else Symbol("J" if derivation.kind == "jacobian" else "H")), _Tex(derivation.result),
                      "checked")
    checks = tuple(Text.of(check.line()) for check in checked.checks)
    conditions = tuple(Text.of(f"Valid where {c}.") for c in checked.conditions)
    return Document(f"A {derivation.kind} derived by differentials", (
        Section("Statement", (statement, result, *conditions)),
        Section("Derivation", chains),
        Section("Checks (run before the result was shown)", checks),
    ))


def run(args, write_document) -> int:
    """The command: parse, derive, check, print (text or --json); write the proof with --out."""
    from gradproof.proofs import verify

    if args.pdf and not args.out:
        raise InvalidInput("--pdf needs --out DIR, where grad.tex and grad.pdf are written; got no --out")
    if not args.wrt:
        raise InvalidInput("grad needs --wrt NAME, the operand to differentiate by; got no --wrt")
    operands = verify.parse_shapes(args.shape)
    scalars = verify.parse_scalars(args.scalar, operands)
    verify.check_sizes(operands, args.sizes, required=False)
    try:
        checked = derive_checked(operands, scalars, args.expression, args.wrt, args.sizes, args.hessian)
    except NotSupported as error:
        print(f"gradproof: not supported: {error}\nsupported: {SUPPORTED}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(checked.as_dict(), indent=2))
    else:
        _print_text(checked)
    if args.out and checked.ok:
        for path in write_document(derivation_document(checked), args.out, "grad", args.pdf):
            print(f"wrote {path}")
    return EXIT_OK if checked.ok else EXIT_FAILED


__all__ = ["CheckedDerivation", "derivation_document", "derive_checked", "displayed_steps", "grad", "run"]

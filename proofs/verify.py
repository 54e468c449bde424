"""``gradproof verify``: a user's gradient or identity claim, parsed from SymPy syntax.

Names: each operand is declared with ``--shape NAME=ROWS,COLS`` (dimension names or integers),
each scalar parameter with ``--scalar NAME``; anything else in an expression is bad input
(``InvalidInput``, exit 2).
Available functions: tr (trace), det, inv, log, exp, vec, vec_r, kron, eye(n); ``.T`` transposes.
Expressions are parsed by SymPy (``parse_expr``, which evaluates Python): verify claims you wrote.
"""

from __future__ import annotations

from tokenize import TokenError

from sympy import Determinant, Identity, Inverse, KroneckerProduct, MatrixSymbol, Symbol, SympifyError, Trace, exp, log
from sympy.core.function import AppliedUndef
from sympy.parsing.sympy_parser import parse_expr

from gradproof.proofs.document import Document, Equation, Math, Section, Text
from gradproof.symbolic.claims import GradientClaim, check_gradient, finite_difference_check, symbols_for
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.general import prove_general
from gradproof.symbolic.engine.identities import IdentityClaim, Operand, build, check, sweep
from gradproof.symbolic.engine.kron import Vec, VecRowMajor

FUNCTIONS = {
    "tr": Trace, "trace": Trace, "det": Determinant, "inv": Inverse, "log": log, "exp": exp,
    "vec": Vec, "vec_r": VecRowMajor, "kron": KroneckerProduct, "eye": Identity,
}


def parse_shapes(items: list[str]) -> tuple[Operand, ...]:
    operands = []
    for item in items:
        name, _, shape = item.partition("=")
        dims = shape.split(",")
        if not name.isidentifier() or len(dims) != 2 or not all(d.strip() for d in dims):
            raise InvalidInput(f"--shape {item!r}: expected NAME=ROWS,COLS such as W=m,n or x=n,1")
        operands.append(Operand.matrix(name, dims[0].strip(), dims[1].strip()))
    return tuple(operands)


def parse_expression(text: str, operands: dict, dims: dict, scalars: dict):
    """The expression with declared names only; an unknown symbol or function is InvalidInput.

    ``parse_expr`` evaluates the text as Python, so the errors of evaluating a malformed
    expression (SyntaxError, TokenError, SympifyError; ShapeError and the other ValueErrors SymPy
    raises while building, e.g. non-conforming products; TypeError and AttributeError from
    applying an operation to the wrong kind of object, such as ``tr(2)`` or ``W.foo``) are the
    user's input errors here, and only here.
    """
    names = {**FUNCTIONS, **{str(k): v for k, v in dims.items()}, **scalars, **operands}
    try:
        expr = parse_expr(text, local_dict=names)
    except (SyntaxError, TokenError, SympifyError) as error:
        raise InvalidInput(f"cannot parse {text!r}: {error}") from error
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidInput(f"{text!r}: {error}") from error
    known = {str(v) for v in dims.values()} | set(scalars) | set(operands)
    unknown = sorted({s.name for s in expr.free_symbols if isinstance(s, Symbol) and not isinstance(s, MatrixSymbol)
                      and s.name not in known} | {f.func.__name__ for f in expr.atoms(AppliedUndef)})
    if unknown:
        raise InvalidInput(f"unknown symbol {unknown[0]!r} in {text!r}: declare it with --shape or --scalar")
    return expr


def gradient_claim(objective: str, claimed: str, operands, wrt: str, scalars) -> GradientClaim:
    if wrt not in {o.name for o in operands}:
        raise InvalidInput(f"--wrt {wrt!r} is not a declared operand; declared: {[o.name for o in operands]}")

    def parsed(text):
        return lambda o, d, s: parse_expression(text, o, d, s)

    return GradientClaim("claim", operands, parsed(objective), wrt, parsed(claimed), scalars=tuple(scalars))


def identity_claim(lhs: str, rhs: str, operands) -> IdentityClaim:
    def parsed(text):
        return lambda o, d: parse_expression(text, o, d, {})

    return IdentityClaim("claim", "user claim", operands, parsed(lhs), parsed(rhs))


def finite_difference_text(fd_report) -> str:
    """The finite-difference comparison as one line, or why there is none."""
    if fd_report is None:
        return "not decided: the objective is not finite at any of the random points tried"
    return "  ".join(fd_report.row()[1:])


def general_text(general) -> str:
    """The general-size verdict in words: holds, does not hold, or why it was not decided."""
    if general.holds is None:
        return general.reason
    return "holds for every size" if general.holds else "does not hold (the normal forms differ)"


def gradient_document(verdict, fd_report, general) -> Document:
    claim = verdict.claim
    operands, dims, scalars = symbols_for(claim, None)
    blocks = [
        Text.of("Objective and claimed gradient (denominator layout), with symbolic sizes:"),
        Equation(Symbol("f"), claim.objective(operands, dims, scalars), "objective"),
        Equation(Symbol(rf"\frac{{\partial f}}{{\partial {claim.wrt}}}"), claim.claimed(operands, dims, scalars), "claim"),
        Text.of(f"At sizes {verdict.sizes}, every entry of the objective is written out and differentiated:"),
        Equation(Symbol("derived"), verdict.derived, "SymPy, entry by entry"),
        Equation(Symbol("claimed"), verdict.claimed, "the claim evaluated"),
    ]
    if verdict.holds:
        blocks.append(Text.of("Verdict: the claim HOLDS at these sizes (every difference cancels to 0)."))
    else:
        c = verdict.counterexample
        blocks.append(Text.of(f"Verdict: the claim DOES NOT HOLD. Entry {c.index}: derived ", Math(c.derived),
                              ", claimed ", Math(c.claimed), "."))
        if c.point:
            blocks.append(Text.of("At a rational point they are ", Math(c.derived_value), " and ", Math(c.claimed_value), "."))
    blocks.append(Text.of("Finite differences at a random point: " + finite_difference_text(fd_report)))
    if general.holds is None:
        blocks.append(Text.of("General sizes: " + general.reason))
    else:
        blocks += [Text.of("General sizes, generic entry of the derivative and of the claim, in normal form:"),
                   Equation(general.left_normal, general.right_normal,
                            "equal: holds for every size" if general.holds else "DIFFERENT")]
    return Document("gradproof: a gradient claim", (Section("The claim", tuple(blocks)),))


def identity_document(claim, results) -> Document:
    _, _, lhs, rhs = build(claim)
    general = prove_general(claim)
    refuted = next((r for r in results if not r.holds), None)
    blocks = [Equation(lhs, rhs, "claim")]
    if refuted is None:
        blocks.append(Text.of(f"Holds at every size checked: {[r.sizes for r in results]}."))
    else:
        d = refuted.mismatch
        blocks.append(Text.of(f"DOES NOT HOLD at sizes {refuted.sizes}, entry {d.index}: left ", Math(d.left),
                              ", right ", Math(d.right), "."))
    blocks.append(Text.of("General sizes: " + general_text(general) + "."))
    return Document("gradproof: an identity claim", (Section("The claim", tuple(blocks)),))


def run_identity(claim, sizes):
    return [check(claim, sizes)] if sizes else list(sweep(claim, 3).results)


def run_gradient(claim, sizes):
    verdict = check_gradient(claim, sizes)
    return verdict, finite_difference_check(claim, sizes), prove_general(claim)

"""Gradient claims: is the claimed gradient of a scalar objective right? (issue 6; denominator layout)

A claim names its operands with shapes over dimensions (``Operand.matrix``), a scalar-valued
objective (traces, quadratic forms, norms, log det, inverses, element-wise functions), the operand
to differentiate by, and the claimed gradient, all as SymPy expressions of MatrixSymbols. The
verdict is exact for concrete sizes: every entry of the objective is written out, SymPy
differentiates it, and ``cancel`` decides whether derived - claimed is 0 (exact for rational
functions, such as the entries of an inverse). A refutation names the size, the entry, both
expressions and their exact values at a rational point where they differ. A finite-difference
check at a random point runs alongside, and a general-size verdict is given by the engine's one
prover (``engine.general.prove_general``) where the structured index algebra applies (products,
transposes, traces, powers, Kronecker products, vec, and scalar functions of traces); elsewhere
it is "not decided", with the reason.

Three verdicts: the general-size prover answers "holds" (with its argument) or "not decided" (with
the reason); "does not hold" needs a counterexample, which only the exact check at concrete sizes
gives: ``prove_claim`` and ``check_equations`` combine the two (``engine.general.refute``).

The general-size argument for a gradient, with the rules it names:

* the objective's value in index notation (``engine.structured``: entries of products, powers,
  transposes, traces; sums, products, quotients and functions of traces);
* ``ENTRY_DERIVATIVE``: d x_kl / d x_ij = delta_ik delta_jl (entries are independent variables);
* ``SCALAR_CHAIN_RULE``: d f(s) / d x_ij = f'(s) ds / d x_ij for a function f of a scalar s
  (exp' = exp, log'(s) = 1/s), with the product and quotient rules for products and quotients of
  scalars (Matrix Cookbook, section 2.8.1, the chain rule; section 2.5 lists the trace derivatives
  so proved, e.g. d tr(X^2)/dX = 2 X^T);
* the normal form (``engine.indexed``): linearity, sifting, interchange and renaming of sums.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sympy import Derivative, Indexed, Symbol, diff

from gradproof.symbolic.concrete import (
    Counterexample,
    GradientVerdict,
    build_claim,
    check_gradient,
    finite_difference_check,
    symbols_for,
)
from gradproof.symbolic.engine.equations import LayerEquations
from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.general import GeneralProof, generic_indices, prove_general, refute
from gradproof.symbolic.engine.indexed import NORMAL_FORM, normal_form
from gradproof.symbolic.engine.operands import Operand, dimension_names, require_matrix_operands
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.engine.structured import entry, entry_bases, structure

ENTRY_DERIVATIVE = "derivative of an entry: d x_kl / d x_ij = delta_ik delta_jl"
SCALAR_CHAIN_RULE = "chain rule for functions of scalars, with the product and quotient rules"


@dataclass(frozen=True)
class GradientClaim:
    """d objective / d wrt = claimed, for every size of the declared dimensions."""

    key: str
    operands: tuple[Operand, ...]
    objective: Callable
    wrt: str
    claimed: Callable
    scalars: tuple[str, ...] = ()
    seed_ref: str = "user claim"

    def __post_init__(self):
        require_matrix_operands(self.operands, f"claim {self.key}")

    def dimensions(self) -> tuple[str, ...]:
        return dimension_names(self.operands)

    def general_statement(self) -> GeneralProof:
        """Generic entry (i, j) of d objective / d wrt, against the claim's, in index notation.

        The objective's entry is differentiated by the generic entry of ``wrt``; raises
        ``OutsideIndexAlgebra`` where the index algebra has no rule (e.g. a determinant).
        """
        operands, _, objective, claimed = build_claim(self, None)
        target = operands[self.wrt]
        if structure(objective) != ((), ()):
            raise OutsideIndexAlgebra("the objective is not a scalar in index notation")
        slots = structure(target)
        rows, cols, ranges = generic_indices(slots)
        used: set = set()
        bases = entry_bases([operand.name for operand in self.operands], taken=self.scalars)
        value = entry(objective, (), (), used, bases)
        variable = entry(target, rows, cols, used, bases)
        if not isinstance(variable, Indexed):
            raise OutsideIndexAlgebra(f"{self.wrt} is not a matrix of entries")
        derived = diff(value, variable)
        steps = ((derived, f"{ENTRY_DERIVATIVE}; {SCALAR_CHAIN_RULE}"), (normal_form(derived, ranges), NORMAL_FORM))
        return GeneralProof(self, left=objective, right=claimed, rows=rows, cols=cols, slots=slots, ranges=ranges,
                            left_entry=Derivative(value, variable), left_steps=steps,
                            right_entry=entry(claimed, rows, cols, used, bases),
                            rules=tuple(sorted(used | {ENTRY_DERIVATIVE, SCALAR_CHAIN_RULE})), wrt=self.wrt)


def prove_claim(claim: GradientClaim, verdict: GradientVerdict | None = None) -> GeneralProof:
    """The general-size verdict of ``claim``, combined with an exact check at concrete sizes.

    ``prove_general`` answers True (proved) or None (not decided); if ``verdict`` (from
    ``check_gradient``) refutes the claim, the general verdict is False with that counterexample.
    """
    proof = prove_general(claim)
    return refute(proof, None if verdict is None or verdict.holds else verdict.counterexample)


def layer_equations(name: str, sizes: dict, operands, output, equation, upstream=None, matrix_form=None):
    """A user's layer as scalar equations (``engine.equations.LayerEquations``), for ``check_equations``,
    which turns it into a layer description (``symbolic.layers.presentations.description_of``) and decides
    the claim with the description engine, as for every built-in layer.

    The matrix-claim route for a layer of vectors and matrices; for tensors of any rank, several inputs
    and outputs and a generated NumPy layer, describe it with ``gradproof.symbolic.layers.description``.

    - ``sizes`` maps size roles to printed names, e.g. ``{"in": "M", "out": "N"}``.
    - ``operands`` are ``engine.operands.Operand(key, name, entry, rows, cols)``: ``key`` is the role used
      in ``equation`` and in ``check_equations(..., wrt=key)``, ``name``/``entry`` print the matrix and
      its entries, ``rows``/``cols`` are size roles (``None`` for 1; both ``None`` for a scalar).
    - ``output`` is the output's ``Operand``; ``equation(ops, *index)`` returns one output entry, where
      ``ops[key](*index)`` is an operand's entry (indices from 1) and ``ops["size:ROLE"]`` a size symbol.
    - ``upstream(ops, *index)`` is dL/dy at that entry; by default the operand keyed ``"grad_output"``.

    Example, y_i = sum_k w_ik x_k^2, whose input gradient is 2 x ∘ (W^T g)::

        k = Symbol("k", integer=True)
        layer = layer_equations(
            "square_then_linear", {"in": "M", "out": "N"},
            (Operand("x", "x", "x", "in"), Operand("weight", "W", "w", "out", "in"),
             Operand("grad_output", "G", "g", "out")),
            Operand("y", "y", "y", "out"),
            lambda ops, i: Sum(ops["weight"](i, k) * ops["x"](k) ** 2, (k, 1, ops["size:in"])))
        concrete, general = check_equations(
            layer, "x", lambda o: 2 * HadamardProduct(o["x"], o["weight"].T * o["grad_output"]),
            {"in": 3, "out": 2})
    """
    symbols = {role: Symbol(label, integer=True, positive=True) for role, label in sizes.items()}
    keys = [operand.key for operand in operands]
    return LayerEquations(
        name=name, title=name, seed_ref="user claim", sizes=symbols, operands=tuple(operands), output=output,
        equation=equation,
        upstream=upstream or (lambda ops, *index: ops["grad_output"](*index)),
        canonical=dict, variables={key: (key, False) for key in keys if key != "grad_output"},
        matrix_form=matrix_form,
    )


def check_equations(equations, wrt: str, closed_form, sizes: dict):
    """Is dJ/d(wrt) = closed_form(operands)? Derived from the scalar equations by the chain rule.

    The layer is turned into a layer description whose claim is the closed form's generic entry and
    decided by the description engine (``symbolic.layers.presentations.verify_presentation``), the engine
    of ``gradproof.symbolic.layers.description``. Returns ``(concrete, general)``: the exact comparison at
    ``sizes`` (``concrete.holds``; ``concrete.mismatch`` the first differing entry when it fails) and the
    index-notation proof for symbolic sizes: ``general.holds`` is True (proved), None (not decided, with the
    reason) or False (only when ``concrete`` refutes the claim: "refuted by a concrete counterexample" at
    ``sizes``).
    """
    from gradproof.symbolic.layers.presentations import verify_presentation

    rule = GradientRule(name=f"{equations.name}.{wrt}", target="user", wrt=wrt, summary="user claim",
                        seed_ref="user claim", closed_form=closed_form, numeric_rule=None, numeric_operands=(),
                        presentations=(equations,))
    return verify_presentation(rule, equations, wrt, lambda symbols: closed_form(equations.canonical(symbols)),
                               sizes)


__all__ = [
    "Counterexample", "GradientClaim", "GradientVerdict", "check_equations", "check_gradient",
    "finite_difference_check", "layer_equations", "prove_claim", "symbols_for",
]

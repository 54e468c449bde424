"""Seed 004's vector form of the fully-connected layer, eqs. (8), (9), and its Jacobians.

s = W z + b = (I_1 ⊗ W) z + (1_1 ⊗ I) b                 (8)
            = (z^T ⊗ I) vec(W) + (1_1 ⊗ I) b             (9)

From (9) the Jacobian d s / d vec(W)^T = z^T ⊗ I, and the chain rule gives
d xi / d vec(W)^T = (d xi/d s)^T (z^T ⊗ I), which must equal vec(d xi/d s z^T)^T, seed 002 (1):
the right side is built from the FC rule already in the rule table (linear.weight in seed 000's
presentation), not restated. Batch form (seed 001's layout, Y = X W): d vec(Y) / d vec(W) = I ⊗ X.
Jacobians are in numerator layout here, as the seeds write them: row r is output entry r.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sympy import Identity, KroneckerProduct, MatAdd, Matrix, MatrixSymbol, diff

from gradproof.symbolic.engine.derive import closed_form_in, explicit
from gradproof.symbolic.engine.general import GeneralProof, generic_indices, prove_general
from gradproof.symbolic.engine.identities import IdentityClaim, Operand
from gradproof.symbolic.engine.kron import Vec
from gradproof.symbolic.engine.structured import entry, structure
from gradproof.symbolic.engine.verdict import Mismatch, first_mismatch
from gradproof.symbolic.layers import fc
from gradproof.symbolic.layers.table import rule_named
from gradproof.symbolic.seeds.kron_identities import kron_unevaluated, ones, product_unevaluated


def _fc_forward(o, d):
    return o["W"] * o["z"] + o["b"]


def _fc_weight_gradient(o, d):
    """vec(d xi/d s z^T)^T from the rule table's linear.weight, seed 000 presentation."""
    operands = {"x": o["z"], "weight": o["W"], "bias": o["b"], "grad_output": o["g"]}
    return Vec(closed_form_in(rule_named("linear.weight"), fc.LINEAR_SEED000, operands)).T


def _bias_term(o, d):
    """(1_1 ⊗ I) b, seed 004 (8), (9), kept as written."""
    return product_unevaluated(kron_unevaluated(ones(1, 1), Identity(d["N"])), o["b"])


_FC_OPERANDS = (Operand.matrix("W", "N", "M"), Operand.matrix("z", "M", "1"), Operand.matrix("b", "N", "1"))

VECTOR_FORM_IDENTITIES: tuple[IdentityClaim, ...] = (
    IdentityClaim(
        key="fc_vector_form_8",
        seed_ref="seed 004 (8), from (6)",
        operands=_FC_OPERANDS,
        lhs=_fc_forward,
        rhs=lambda o, d: MatAdd(
            product_unevaluated(kron_unevaluated(Identity(1), o["W"]), o["z"]), _bias_term(o, d)
        ),
    ),
    IdentityClaim(
        key="fc_vector_form_9",
        seed_ref="seed 004 (9), from (7)",
        operands=_FC_OPERANDS,
        lhs=_fc_forward,
        rhs=lambda o, d: MatAdd(KroneckerProduct(o["z"].T, Identity(d["N"])) * Vec(o["W"]), _bias_term(o, d)),
    ),
    IdentityClaim(
        key="fc_weight_gradient_vector_form",
        seed_ref="the Kronecker step of seed 002 (1) through seed 004 (9)",
        operands=(*_FC_OPERANDS, Operand.matrix("g", "N", "1")),
        lhs=lambda o, d: o["g"].T * KroneckerProduct(o["z"].T, Identity(d["N"])),
        rhs=_fc_weight_gradient,
        note="g is the derivative of xi with respect to s; the right side is the Linear layer's weight gradient g z^T.",
    ),
)


@dataclass(frozen=True)
class JacobianClaim:
    """d vec(output) / d vec(variable)^T, derived from a presentation's scalar equations."""

    key: str
    seed_ref: str
    equations: object
    variable: str
    claimed: Callable  # (presentation MatrixSymbols, dims) -> matrix expression

    def general_statement(self) -> GeneralProof:
        """Generic entry (output slots, variable slots): d y_(i) / d v_(j) against the claim's entry.

        A row of vec(Y) is the structured index (column, row) of Y, and likewise for the variable.
        """
        equations = self.equations
        symbols = equations.matrix_symbols()
        claimed = self.claimed(symbols, dict(equations.sizes))
        out_rows, out_cols = structure(MatrixSymbol("Y", *equations.shape(equations.output)))
        var_rows, var_cols = structure(symbols[self.variable])
        rows, cols, ranges = generic_indices((out_cols + out_rows, var_cols + var_rows))
        functions = equations.entry_functions()
        # vec: the leading slots are the column index, the trailing ones the row index
        output_entry = equations.equation(functions, *(rows[len(out_cols):] + rows[: len(out_cols)]))
        variable_entry = functions[self.variable](*(cols[len(var_cols):] + cols[: len(var_cols)]))
        used: set = set()
        return GeneralProof(self, left=None, right=claimed, rows=rows, cols=cols, slots=(out_cols + out_rows,
                            var_cols + var_rows), ranges=ranges, left_entry=diff(output_entry, variable_entry),
                            right_entry=entry(claimed, rows, cols, used), rules=tuple(sorted(used)), wrt=self.variable)


JACOBIANS: tuple[JacobianClaim, ...] = (
    JacobianClaim(
        key="fc_jacobian_weight",
        seed_ref="seed 004 (9): d s / d vec(W)^T",
        equations=fc.LINEAR_SEED000,
        variable="weight",
        claimed=lambda s, d: KroneckerProduct(s["x"].T, Identity(d["out"])),
    ),
    JacobianClaim(
        key="batch_jacobian_weight",
        seed_ref="seed 001 layout, Y = X W: d vec(Y) / d vec(W)",
        equations=fc.LINEAR_SEED001_SUM,
        variable="weight",
        claimed=lambda s, d: KroneckerProduct(Identity(d["out"]), s["x"]),
    ),
)


@dataclass(frozen=True)
class JacobianResult:
    """The Jacobian derived entry by entry at concrete sizes, the claim's value, and their mismatch."""

    claim: JacobianClaim
    sizes: dict
    derived: Matrix
    claimed: Matrix
    mismatch: Mismatch | None

    @property
    def holds(self) -> bool:
        return self.mismatch is None


def check_jacobian(claim: JacobianClaim, sizes: dict) -> JacobianResult:
    """Differentiate every entry of vec(output) by every entry of vec(variable); compare exactly."""
    system = claim.equations.instantiate(claim.equations.sizes_from(sizes))
    outputs = Vec(system.outputs).doit()
    variable = Vec(system.explicit[claim.variable]).doit()
    derived = Matrix(len(outputs), len(variable), lambda r, c: diff(outputs[r], variable[c]))
    claimed = explicit(claim.claimed(system.symbols, system.sizes), system)
    return JacobianResult(claim, system.sizes, derived, claimed, first_mismatch(derived, claimed))


prove_jacobian_general = prove_general
"""Kept for callers of the old name: a Jacobian claim is proved by the engine's one prover."""

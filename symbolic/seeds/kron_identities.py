"""The Kronecker/vec identities of seed 004 and the Matrix Cookbook, stated once each.

Each entry is an ``IdentityClaim``: the CLI, the tests and the proof document loop over
``KRON_IDENTITIES``. References name the Matrix Cookbook's sections on the Kronecker product and
on the vec operator.
"""

from __future__ import annotations

from sympy import Basic, Determinant, Identity, KroneckerProduct, MatMul, OneMatrix, Trace, Transpose

from gradproof.symbolic.engine.identities import IdentityClaim, Operand
from gradproof.symbolic.engine.kron import Adjugate, Vec, VecRowMajor


def kron_unevaluated(*factors):
    """A Kronecker product kept as written (SymPy would fold 1 ⊗ I into I), as the seeds print it."""
    return Basic.__new__(KroneckerProduct, *factors)


def ones(rows, cols):
    return OneMatrix(rows, cols)


def transpose_unevaluated(matrix):
    """(M)^T kept as written: SymPy rewrites (A ⊗ B)^T into A^T ⊗ B^T on construction, which
    would make the transpose identity below true by SymPy's own rewriting instead of by proof."""
    return Basic.__new__(Transpose, matrix)


def product_unevaluated(*factors):
    """A matrix product kept as written (the * operator drops factors such as 1 ⊗ I)."""
    return MatMul(*factors)


KRON_IDENTITIES: tuple[IdentityClaim, ...] = (
    IdentityClaim(
        key="vec_AB_left",
        seed_ref="seed 004 (6)",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "n", "p")),
        lhs=lambda o, d: Vec(o["A"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(Identity(d["p"]), o["A"]) * Vec(o["B"]),
    ),
    IdentityClaim(
        key="vec_AB_right",
        seed_ref="seed 004 (7)",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "n", "p")),
        lhs=lambda o, d: Vec(o["A"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["B"].T, Identity(d["m"])) * Vec(o["A"]),
    ),
    IdentityClaim(
        key="vec_AXB",
        seed_ref="Matrix Cookbook, the vec operator section",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("X", "n", "p"), Operand.matrix("B", "p", "q")),
        lhs=lambda o, d: Vec(o["A"] * o["X"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["B"].T, o["A"]) * Vec(o["X"]),
    ),
    IdentityClaim(
        key="vec_r_AXB",
        seed_ref="row-major counterpart (NumPy's ravel) of the vec(AXB) identity",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("X", "n", "p"), Operand.matrix("B", "p", "q")),
        lhs=lambda o, d: VecRowMajor(o["A"] * o["X"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["A"], o["B"].T) * VecRowMajor(o["X"]),
    ),
    IdentityClaim(
        key="kron_mixed_product",
        seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "p", "q"), Operand.matrix("C", "n", "r"), Operand.matrix("D", "q", "s")),
        lhs=lambda o, d: KroneckerProduct(o["A"], o["B"]) * KroneckerProduct(o["C"], o["D"]),
        rhs=lambda o, d: KroneckerProduct(o["A"] * o["C"], o["B"] * o["D"]),
    ),
    IdentityClaim(
        key="kron_transpose",
        seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "p", "q")),
        lhs=lambda o, d: transpose_unevaluated(KroneckerProduct(o["A"], o["B"])),
        rhs=lambda o, d: KroneckerProduct(o["A"].T, o["B"].T),
    ),
    IdentityClaim(
        key="kron_trace",
        seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "n", "n"), Operand.matrix("B", "m", "m")),
        lhs=lambda o, d: Trace(KroneckerProduct(o["A"], o["B"])),
        rhs=lambda o, d: Trace(o["A"]) * Trace(o["B"]),
    ),
    IdentityClaim(
        key="trace_vec",
        seed_ref="Matrix Cookbook, the vec operator section",
        operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "m", "n")),
        lhs=lambda o, d: Trace(o["A"].T * o["B"]),
        rhs=lambda o, d: Vec(o["A"]).T * Vec(o["B"]),
    ),
    IdentityClaim(
        key="kron_inverse",
        seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "n", "n"), Operand.matrix("B", "m", "m")),
        lhs=lambda o, d: KroneckerProduct(o["A"], o["B"]) * KroneckerProduct(Adjugate(o["A"]), Adjugate(o["B"])),
        rhs=lambda o, d: Determinant(o["A"]) * Determinant(o["B"]) * Identity(d["n"] * d["m"]),
        general=False,
        note=(
            "With the inverse written by Cramer's rule as the adjugate over the determinant, the product of the "
            "Kronecker product with the Kronecker product of the inverses is the identity exactly when this "
            "polynomial identity holds; so for invertible A and B the inverse of the Kronecker product is the "
            "Kronecker product of the inverses."
        ),
    ),
    IdentityClaim(
        key="kron_det",
        seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "n", "n"), Operand.matrix("B", "m", "m")),
        lhs=lambda o, d: Determinant(KroneckerProduct(o["A"], o["B"])),
        rhs=lambda o, d: Determinant(o["A"]) ** d["m"] * Determinant(o["B"]) ** d["n"],
        general=False,
        note=(
            "Symbolic entries where the Kronecker product has at most 8 rows; above that the symbolic determinant "
            "has too many terms (a 16 x 16 one has about 10^11), and the check runs in exact integer arithmetic "
            "at random points, a probabilistic identity test (Schwartz-Zippel)."
        ),
        symbolic_up_to=lambda sizes: sizes["n"] * sizes["m"] <= 8,
    ),
)


FALSE_CLAIM = IdentityClaim(
    key="vec_AB_wrong_side",
    seed_ref="a false variant of seed 004 (6): the identity on the wrong side",
    operands=(Operand.matrix("A", "m", "n"), Operand.matrix("B", "n", "p")),
    lhs=lambda o, d: Vec(o["A"] * o["B"]),
    rhs=lambda o, d: KroneckerProduct(o["A"], Identity(d["p"])) * Vec(o["B"]),
    note="Stated to show a refusal: gradproof must answer that it does not hold, with a counterexample.",
)

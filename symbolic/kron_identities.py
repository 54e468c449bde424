"""The Kronecker/vec identities of seed 004 and the Matrix Cookbook, stated once each.

Each entry is an ``IdentityClaim``: the CLI, the tests and the proof document loop over
``KRON_IDENTITIES``. Cookbook numbers refer to the 2012 edition (section 10.2, Kronecker and vec).
"""

from __future__ import annotations

from sympy import Basic, Determinant, Identity, KroneckerProduct, OneMatrix, Trace

from symbolic.identities import IdentityClaim, Operand
from symbolic.kron import Adjugate, Vec, VecRowMajor


def kron_unevaluated(*factors):
    """A Kronecker product kept as written (SymPy would fold 1 ⊗ I into I), as the seeds print it."""
    return Basic.__new__(KroneckerProduct, *factors)


def ones(rows, cols):
    return OneMatrix(rows, cols)


KRON_IDENTITIES: tuple[IdentityClaim, ...] = (
    IdentityClaim(
        key="vec_AB_left",
        seed_ref="seed 004 (6)",
        operands=(Operand("A", "m", "n"), Operand("B", "n", "p")),
        lhs=lambda o, d: Vec(o["A"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(Identity(d["p"]), o["A"]) * Vec(o["B"]),
    ),
    IdentityClaim(
        key="vec_AB_right",
        seed_ref="seed 004 (7)",
        operands=(Operand("A", "m", "n"), Operand("B", "n", "p")),
        lhs=lambda o, d: Vec(o["A"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["B"].T, Identity(d["m"])) * Vec(o["A"]),
    ),
    IdentityClaim(
        key="vec_AXB",
        seed_ref="Matrix Cookbook (520)",
        operands=(Operand("A", "m", "n"), Operand("X", "n", "p"), Operand("B", "p", "q")),
        lhs=lambda o, d: Vec(o["A"] * o["X"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["B"].T, o["A"]) * Vec(o["X"]),
    ),
    IdentityClaim(
        key="vec_r_AXB",
        seed_ref="row-major counterpart of Matrix Cookbook (520), NumPy's ravel",
        operands=(Operand("A", "m", "n"), Operand("X", "n", "p"), Operand("B", "p", "q")),
        lhs=lambda o, d: VecRowMajor(o["A"] * o["X"] * o["B"]),
        rhs=lambda o, d: KroneckerProduct(o["A"], o["B"].T) * VecRowMajor(o["X"]),
    ),
    IdentityClaim(
        key="kron_mixed_product",
        seed_ref="Matrix Cookbook (511)",
        operands=(Operand("A", "m", "n"), Operand("B", "p", "q"), Operand("C", "n", "r"), Operand("D", "q", "s")),
        lhs=lambda o, d: KroneckerProduct(o["A"], o["B"]) * KroneckerProduct(o["C"], o["D"]),
        rhs=lambda o, d: KroneckerProduct(o["A"] * o["C"], o["B"] * o["D"]),
    ),
    IdentityClaim(
        key="kron_transpose",
        seed_ref="Matrix Cookbook (507)",
        operands=(Operand("A", "m", "n"), Operand("B", "p", "q")),
        lhs=lambda o, d: KroneckerProduct(o["A"], o["B"]).T,
        rhs=lambda o, d: KroneckerProduct(o["A"].T, o["B"].T),
    ),
    IdentityClaim(
        key="kron_trace",
        seed_ref="Matrix Cookbook (515)",
        operands=(Operand("A", "n", "n"), Operand("B", "m", "m")),
        lhs=lambda o, d: Trace(KroneckerProduct(o["A"], o["B"])),
        rhs=lambda o, d: Trace(o["A"]) * Trace(o["B"]),
    ),
    IdentityClaim(
        key="trace_vec",
        seed_ref="Matrix Cookbook (521)",
        operands=(Operand("A", "m", "n"), Operand("B", "m", "n")),
        lhs=lambda o, d: Trace(o["A"].T * o["B"]),
        rhs=lambda o, d: Vec(o["A"]).T * Vec(o["B"]),
    ),
    IdentityClaim(
        key="kron_inverse",
        seed_ref="Matrix Cookbook (508)",
        operands=(Operand("A", "n", "n"), Operand("B", "m", "m")),
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
        seed_ref="Matrix Cookbook (509)",
        operands=(Operand("A", "n", "n"), Operand("B", "m", "m")),
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

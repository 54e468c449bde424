"""The Kronecker/vec identities of seed 004 and the Matrix Cookbook, stated once each.

Each entry is an ``IdentityClaim``: the CLI, the tests and the proof document loop over
``KRON_IDENTITIES``. References name the Matrix Cookbook's sections on the Kronecker product and
on the vec operator.

The inverse and the determinant of a Kronecker product have no entry rule in index notation; they
are proved for general sizes by chains of named rules (``IdentityClaim.by_rules``), each step made
by applying its rule to the step before (A is n x n, B is m x m; Matrix Cookbook, section 10.2.2):

* ``MIXED_PRODUCT``: (A ⊗ B)(C ⊗ D) = AC ⊗ BD, itself proved in index notation above
  (``kron_mixed_product``); read backwards, A ⊗ B = (A ⊗ I_m)(I_n ⊗ B);
* ``ADJUGATE``: X adj(X) = det(X) I (Laplace expansion of the determinant; Cramer's rule);
* ``BILINEAR``: (aX) ⊗ (bY) = ab (X ⊗ Y) for scalars a, b;
* ``IDENTITY_KRON``: I_n ⊗ I_m = I_nm, its entries δ_{i1 j1} δ_{i2 j2} are those of I_nm at
  positions ((i1 - 1) m + i2, (j1 - 1) m + j2);
* ``DET_PRODUCT``: det(XY) = det(X) det(Y) for square X, Y of one size (Cookbook, section 1.2);
* ``PERFECT_SHUFFLE``: X ⊗ I_k and I_k ⊗ X have the same entries with the two index slots swapped,
  (X ⊗ I_k)_{(i1,i2),(j1,j2)} = x_{i1 j1} δ_{i2 j2} = (I_k ⊗ X)_{(i2,i1),(j2,j1)} (checked in index
  notation when the rule is applied): one permutation of both rows and columns, which leaves the
  determinant unchanged;
* ``BLOCK_DIAGONAL``: I_k ⊗ X is block diagonal with k blocks X, so det(I_k ⊗ X) = det(X)^k.

Hence (A ⊗ B)(adj A ⊗ adj B) = det(A) det(B) I_nm, so (A ⊗ B)^{-1} = A^{-1} ⊗ B^{-1} for
invertible A and B (as (A ⊗ B)(A^{-1} ⊗ B^{-1}) = AA^{-1} ⊗ BB^{-1} = I_n ⊗ I_m = I_nm), and
det(A ⊗ B) = det(A ⊗ I_m) det(I_n ⊗ B) = det(A)^m det(B)^n.
"""

from __future__ import annotations

from sympy import Basic, Determinant, Identity, KroneckerProduct, MatMul, Mul, OneMatrix, Symbol, Trace, Transpose

from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
from gradproof.symbolic.engine.identities import IdentityClaim, Operand
from gradproof.symbolic.engine.indexed import equivalent, normal_form
from gradproof.symbolic.engine.kron import Adjugate, Vec, VecRowMajor
from gradproof.symbolic.engine.structured import entry

MIXED_PRODUCT = "mixed-product property of the Kronecker product"
ADJUGATE = "adjugate: X adj(X) = det(X) I (Laplace expansion)"
BILINEAR = "bilinearity of the Kronecker product (scalar factors)"
IDENTITY_KRON = "Kronecker product of identities is the identity"
DET_PRODUCT = "determinant of a product"
PERFECT_SHUFFLE = "perfect shuffle: one permutation of rows and columns keeps the determinant"
BLOCK_DIAGONAL = "determinant of a block-diagonal matrix"


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


def _kron_factors(expr, count=2):
    if not isinstance(expr, KroneckerProduct) or len(expr.args) != count:
        raise OutsideIndexAlgebra(f"expected a Kronecker product of {count} factors, got {expr}")
    return expr.args


def mixed_product(expr):
    """(A ⊗ B)(C ⊗ D) -> AC ⊗ BD, for conforming factors (A C and B D defined)."""
    if not isinstance(expr, MatMul) or len(expr.args) != 2:
        raise OutsideIndexAlgebra(f"the mixed-product rule needs a product of two Kronecker products, got {expr}")
    (a, b), (c, d) = _kron_factors(expr.args[0]), _kron_factors(expr.args[1])
    if (a.cols - c.rows) != 0 or (b.cols - d.rows) != 0:
        raise OutsideIndexAlgebra(f"the factors of {expr} do not conform for the mixed-product rule")
    return kron_unevaluated(a * c, b * d)


def adjugate_product(expr):
    """X adj(X) -> det(X) I, in each factor of a Kronecker product."""
    def rewrite(factor):
        if isinstance(factor, MatMul) and len(factor.args) == 2 and factor.args[1] == Adjugate(factor.args[0]):
            return Determinant(factor.args[0]) * Identity(factor.args[0].rows)
        raise OutsideIndexAlgebra(f"{factor} is not X adj(X)")
    return kron_unevaluated(*[rewrite(factor) for factor in expr.args])


def scalars_out(expr):
    """(aX) ⊗ (bY) -> ab (X ⊗ Y): the scalar factors of each Kronecker factor, pulled out."""
    scalars, matrices = [], []
    for factor in _kron_factors(expr):
        parts = factor.args if isinstance(factor, MatMul) else (factor,)
        scalars += [p for p in parts if not getattr(p, "is_Matrix", False)]
        kept = [p for p in parts if getattr(p, "is_Matrix", False)]
        matrices.append(kept[0] if len(kept) == 1 else MatMul(*kept))
    return product_unevaluated(Mul(*scalars), kron_unevaluated(*matrices))


def identities_merge(expr):
    """c (I_n ⊗ I_m) -> c I_nm."""
    scalar, kron = expr.args
    left, right = _kron_factors(kron)
    if not (isinstance(left, Identity) and isinstance(right, Identity)):
        raise OutsideIndexAlgebra(f"{kron} is not a Kronecker product of identities")
    return scalar * Identity(left.rows * right.rows)


def split_kron(expr):
    """det(A ⊗ B) -> det((A ⊗ I_m)(I_n ⊗ B)), checked by the mixed-product rule read forwards."""
    a, b = _kron_factors(expr.arg)
    split = product_unevaluated(kron_unevaluated(a, Identity(b.rows)), kron_unevaluated(Identity(a.rows), b))
    if mixed_product(split) != kron_unevaluated(a, b):
        raise OutsideIndexAlgebra(f"the mixed-product rule does not give back {expr.arg}")
    return Basic.__new__(Determinant, split)


def determinant_of_product(expr):
    """det(XY) -> det(X) det(Y), X and Y square of one size."""
    x, y = expr.arg.args
    if (x.rows - x.cols) != 0 or (y.rows - y.cols) != 0:
        raise OutsideIndexAlgebra(f"det(XY) = det(X) det(Y) needs square factors, got {expr.arg}")
    return Determinant(x) * Determinant(y)


def _shuffle_is_exact(x, size) -> bool:
    """(X ⊗ I_k)_{(i1,i2),(j1,j2)} = (I_k ⊗ X)_{(i2,i1),(j2,j1)}, compared in normal form."""
    i1, i2, j1, j2 = (Symbol(name, integer=True) for name in ("i_1", "i_2", "j_1", "j_2"))
    left = entry(kron_unevaluated(x, Identity(size)), (i1, i2), (j1, j2), set())
    right = entry(kron_unevaluated(Identity(size), x), (i2, i1), (j2, j1), set())
    return equivalent(normal_form(left, {}), normal_form(right, {}))


def shuffle(expr):
    """det(X ⊗ I_k) -> det(I_k ⊗ X) in a product of determinants, after checking the entries."""
    def rewrite(factor):
        if isinstance(factor, Determinant) and isinstance(factor.arg, KroneckerProduct):
            x, identity = _kron_factors(factor.arg)
            if isinstance(identity, Identity) and not isinstance(x, Identity) and _shuffle_is_exact(x, identity.rows):
                return Basic.__new__(Determinant, kron_unevaluated(identity, x))
        return factor
    return Mul(*[rewrite(factor) for factor in Mul.make_args(expr)])


def block_diagonal(expr):
    """det(I_k ⊗ X) -> det(X)^k in a product of determinants."""
    def rewrite(factor):
        identity, x = _kron_factors(factor.arg)
        if not isinstance(identity, Identity):
            raise OutsideIndexAlgebra(f"{factor.arg} is not I_k ⊗ X")
        return Determinant(x) ** identity.rows
    return Mul(*[rewrite(factor) for factor in Mul.make_args(expr)])


def _chain(start, rules):
    """The steps (expression, rule name) from ``start``, each rule applied to the step before."""
    steps, current = [], start
    for name, rule in rules:
        current = rule(current)
        steps.append((current, name))
    return tuple(steps)


def inverse_by_rules(lhs, rhs, operands, dims):
    """(A ⊗ B)(adj A ⊗ adj B) = (A adj A) ⊗ (B adj B) = (det A I_n) ⊗ (det B I_m) = det A det B I_nm."""
    return _chain(lhs, ((MIXED_PRODUCT, mixed_product), (ADJUGATE, adjugate_product), (BILINEAR, scalars_out),
                        (IDENTITY_KRON, identities_merge)))


def determinant_by_rules(lhs, rhs, operands, dims):
    """det(A ⊗ B) = det((A ⊗ I_m)(I_n ⊗ B)) = det(A ⊗ I_m) det(I_n ⊗ B) = det(A)^m det(B)^n."""
    return _chain(lhs, ((MIXED_PRODUCT, split_kron), (DET_PRODUCT, determinant_of_product),
                        (PERFECT_SHUFFLE, shuffle), (BLOCK_DIAGONAL, block_diagonal)))


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
        by_rules=inverse_by_rules,
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
        by_rules=determinant_by_rules,
        note=(
            "Symbolic entries where the Kronecker product has at most 8 rows; above that the symbolic determinant "
            "has too many terms (a 16 × 16 one has 16! = 20,922,789,888,000, about 2.1e13, before any cancel), and the "
            "check runs in exact integer arithmetic "
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

"""The proof document of the ``kron`` target: seed 004's Kronecker/vec identities, the Matrix
Cookbook's, the row-major counterpart, a refuted false claim, and the vector form of the FC layer.

Every identity is a numbered Theorem (the mixed-product property a Lemma, used by the inverse and the
determinant): its operands' shapes, the identity, and ONE derivation with a column of justifications,
from the generic entry of the left side to the same entry of the right side (index notation), or a
chain of named rules (inverse, determinant); then the concrete-size verdict in one sentence and a
worked example whose entries are a_{11}, b_{12}, ... or small integers. Every formula is a SymPy object
from ``symbolic`` (the claim, the engine's generic entries and normal forms, exact evaluations); the
classes here only print (``_latex``), and ``_shown`` renames at render time (a determinant as det, the
FC layer's sizes as the notation sheet's D_in, D_out).
"""

from __future__ import annotations

import re

from sympy import (
    Basic,
    Determinant,
    Expr,
    Identity,
    ImmutableMatrix,
    Integer,
    KroneckerProduct,
    MatAdd,
    MatMul,
    Matrix,
    MatrixExpr,
    MatrixSymbol,
    Mul,
    Pow,
    Sum,
    Symbol,
    Transpose,
    Tuple,
    expand,
    latex,
)

from gradproof.proofs.conv_proof import InOrder
from gradproof.proofs.document import (
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    Source,
    Text,
    Theorem,
    Title,
    Verbatim,
    ref,
    refs,
)
from gradproof.proofs.fc_display import DISPLAY_SIZES
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.explicit import evaluate
from gradproof.symbolic.engine.general import NAMED_RULES, prove_general, refute
from gradproof.symbolic.engine.identities import RANDOM_INTEGERS, SYMBOLIC, build, entry_position
from gradproof.symbolic.engine.structured import (
    FUNCTION_OF_SCALAR,
    MATRIX_POWER,
    SCALAR_ALGEBRA,
    SCALAR_MULTIPLE,
    entry,
    entry_bases,
    position,
)
from gradproof.symbolic.seeds.kron_identities import ADJUGATE, KRON_IDENTITIES, MIXED_PRODUCT, kron_unevaluated
from gradproof.symbolic.seeds.vector_form import JACOBIANS, VECTOR_FORM_IDENTITIES

DEFAULT_MAX_SIZE = 4
LEMMA_SIZES = {Symbol("s", integer=True, positive=True): Symbol("u", integer=True, positive=True)}
"""The lemma's D is q × s in the Cookbook's letters; s is the stride on the notation sheet, so it prints as u."""
LEMMA_KEY = "kron_mixed_product"

_TITLES = {
    "vec_AB_left": "Vec of a product, first form",
    "vec_AB_right": "Vec of a product, second form",
    "vec_AXB": "Vec of a triple product",
    "vec_r_AXB": "Row-major vec of a triple product",
    "kron_mixed_product": "Mixed product",
    "kron_transpose": "Transpose of a Kronecker product",
    "kron_trace": "Trace of a Kronecker product",
    "trace_vec": "Trace of a product as an inner product of vecs",
    "kron_inverse": "Kronecker product of the adjugates",
    "kron_det": "Determinant of a Kronecker product",
    "vec_AB_wrong_side": "A false variant of the vec of a product",
    "fc_vector_form_8": "The FC layer in vector form, first form",
    "fc_vector_form_9": "The FC layer in vector form, second form",
    "fc_weight_gradient_vector_form": "The Kronecker identity behind the FC weight gradient",
}


def _title(key: str) -> str:
    """The readable title of an identity ('vec_AXB' -> 'Vec of a triple product'); unknown keys keep their
    operands' capitals ('my_AB' -> 'My AB')."""
    if key in _TITLES:
        return _TITLES[key]
    words = key.replace("_", " ")
    return words[0].upper() + words[1:]


# --- display-only classes: they print a checked object, they compute nothing -------------------------------

class EntryOf(Basic):
    """Entry (row, col) of a matrix expression, printed [M]_{row, col} ([M]_{row} for a column)."""

    def _latex(self, printer):
        matrix, row, col = self.args
        inner = printer._print(matrix)
        where = printer._print(row) if getattr(matrix, "shape", (0, 0))[1] == 1 else \
            f"{printer._print(row)},\\, {printer._print(col)}"
        return rf"\left[{inner}\right]_{{{where}}}"


class InSpace(Basic):
    """A is m × n, printed A ∈ R^{m × n}."""

    def _latex(self, printer):
        symbol, rows, cols = (printer._print(arg) for arg in self.args)
        return rf"{symbol} \in \mathbb{{R}}^{{{rows} \times {cols}}}"


class Det(Expr):
    """det(X), printed with \\det (SymPy prints |X|, which reads as a norm next to Kronecker products)."""

    is_commutative = True

    def _latex(self, printer):
        return rf"\det\left({printer._print(self.args[0])}\right)"


class Between(Basic):
    """1 <= i <= n, printed as one chain of inequalities."""

    def _latex(self, printer):
        low, index, high = (printer._print(arg) for arg in self.args)
        return rf"{low} \le {index} \le {high}"


class Equals(Basic):
    """left = right inline (sympy.Eq would evaluate an equation of explicit matrices to a boolean)."""

    def _latex(self, printer):
        return " = ".join(printer._print(arg) for arg in self.args)


def _vector_form_sizes() -> dict:
    """The vector-form claims keep seed 000's N × M (seed 004 writes n_{m+1} × n_m); the notation sheet calls
    them D_out × D_in (N is the batch)."""
    return {Symbol("N", integer=True, positive=True): DISPLAY_SIZES["out"],
            Symbol("M", integer=True, positive=True): DISPLAY_SIZES["in"]}


class SizedIdentity(Identity):
    """The identity matrix printed with its size, I_n (the size matters: det(I_n ⊗ B) = det(B)^n)."""

    def _latex(self, printer):
        return rf"I_{{{printer._print(self.rows)}}}"


def _shown(value, renaming=None):
    """``value`` with each determinant printed as det, each identity as I_n and the sizes renamed (display
    only). The tree is rebuilt without evaluation, so (1 ⊗ I) b stays as the seed writes it."""
    renaming = renaming or {}

    def rebuild(expr):
        if expr in renaming:
            return renaming[expr]
        if not isinstance(expr, Basic) or not expr.args:
            return expr
        args = tuple(rebuild(arg) for arg in expr.args)
        if isinstance(expr, Determinant):
            return Det(args[0])
        if isinstance(expr, Identity) and not isinstance(expr, SizedIdentity):
            return SizedIdentity(args[0])
        if args == expr.args:
            return expr
        if isinstance(expr, (KroneckerProduct, Transpose, MatMul, MatAdd)):
            return Basic.__new__(type(expr), *args)
        return expr.func(*args)

    return rebuild(value)


# --- entries as a reader writes them: a_{11} b_{12}, not A[1,1]*B[1,2] --------------------------------------

def readable_entries(claim, sizes) -> dict:
    """Each operand at concrete ``sizes`` as a matrix of symbols a_{ij} (its entry base, as in the general
    proofs: A -> a, W -> w; a vector's entries z_1, z_2, ...)."""
    operands, _, _, _ = build(claim, sizes)
    bases = entry_bases(list(operands))
    values = {}
    for name, symbol in operands.items():
        rows, cols = int(symbol.rows), int(symbol.cols)
        base = bases[name]

        def named(i, j, base=base, rows=rows, cols=cols):
            if cols == 1:
                return Symbol(f"{base}_{{{i + 1}}}")
            if rows == 1:
                return Symbol(f"{base}_{{{j + 1}}}")
            return Symbol(f"{base}_{{{i + 1}{j + 1}}}" if max(rows, cols) < 10 else f"{base}_{{{i + 1},{j + 1}}}")

        values[name] = ImmutableMatrix(rows, cols, [named(i, j) for i in range(rows) for j in range(cols)])
    return values


def _evaluated(side, operands, values) -> Matrix:
    """A side evaluated exactly (symengine) with the operands replaced by ``values``."""
    import symengine as se

    explicit = {operands[name]: se.DenseMatrix(value.rows, value.cols, list(value)) for name, value in values.items()}
    result = evaluate(side, explicit)
    matrix = Matrix(result.tolist()) if hasattr(result, "tolist") else Matrix([[result]])
    return matrix.applyfunc(expand)  # a sum of products of entries, each product once


# --- the general-size proof as one derivation -----------------------------------------------------------

def _trivial(expr) -> bool:
    """True for an entry its normal form only renames: no Kronecker delta and at most one sum."""
    from sympy import KroneckerDelta

    return not expr.has(KroneckerDelta) and len(expr.atoms(Sum)) <= 1


_RULE_NOUNS = {
    "entry of a matrix product": "product",
    "entry of a Kronecker product": "Kronecker product",
    "entry of vec": "vec",
    "entry of vec_r": "row-major vec",
    "identity entries are Kronecker deltas": "identity",
    "entry of a transpose": "transpose",
    "definition of the trace": "trace",
    MATRIX_POWER: "matrix power",
    SCALAR_MULTIPLE: "scalar multiple",
    SCALAR_ALGEBRA: "products of scalars",
    FUNCTION_OF_SCALAR: "function of a scalar",
}
NORMAL_FORM_SHORT = "linearity, sifting, interchange of sums"
"""``indexed.NORMAL_FORM`` in a justification column's width; the method paragraph says it in full."""


def _side_rules(side, proof, bases) -> str:
    """The entry rules that write ``side``'s generic entry (engine.structured names them), as a short
    justification: "entries of a Kronecker product, product, vec"."""
    used: set = set()
    entry(side, proof.rows, proof.cols, used, bases)
    nouns = [_RULE_NOUNS.get(rule, rule) for rule in sorted(used, key=lambda rule: list(_RULE_NOUNS).index(rule)
                                                              if rule in _RULE_NOUNS else len(_RULE_NOUNS))]
    return ("entries of a " if nouns and nouns[0][0] not in "aeiou" else "entries of ") + ", ".join(nouns)


def index_derivation(claim, proof, renaming=None) -> tuple:
    """(ranges text, Derivation): entry of the left side = its generic entry = ... = entry of the right side.

    Rows: the left side's generic entry (its entry rules), its normal form (linearity, sifting,
    interchange of finite sums) where that is more than a renaming, the right side's generic entry (the same
    rules read backwards) and the entry of the right side (its entry rules). Every row carries the source
    "general-size proof", valid only if the normal forms agree.
    """
    source = Source("check", f"general-size proof of {_title(claim.key)}: the normal forms of both sides agree",
                    proof.holds is True)
    bases = entry_bases([operand.name for operand in claim.operands])
    row, col = entry_position(proof)
    scalar = not getattr(proof.left, "is_Matrix", False)
    lhs = proof.left if scalar else EntryOf(proof.left, row, col)
    rhs = proof.right if scalar else EntryOf(proof.right, row, col)
    rows = [(proof.left_entry, _side_rules(proof.left, proof, bases))]
    if not _trivial(proof.left_entry):
        rows.append((proof.left_normal, NORMAL_FORM_SHORT))
    if proof.right_entry != rows[-1][0]:
        rows.append((proof.right_entry, "renaming of summation indices" if _trivial(proof.right_entry)
                     else f"({NORMAL_FORM_SHORT}) read backwards"))
    rows.append((rhs, _side_rules(proof.right, proof, bases)))
    ranges = [(index, (1, size)) for index, size in zip(proof.rows + proof.cols, proof.slots[0] + proof.slots[1])]
    text = _ranges_text(proof, ranges, renaming)
    return text, Derivation(_shown(lhs, renaming), tuple((_shown(r, renaming), why, source) for r, why in rows))


def _ranges_text(proof, ranges, renaming) -> Text:
    """"For every generic entry, 1 <= i_1 <= m, ...:"; where a row or a column is a pair of indices (a Kronecker
    product's, a vec's), also where that entry sits. A plain vector's entry i_1 needs no such remark."""
    where = Source("definition", "entry rules of vec and the Kronecker product (structured indices)")
    if not ranges:
        return Text.of("Both sides are scalars; in index notation:")
    parts = ["For every generic entry, "]
    for number, (index, (low, high)) in enumerate(ranges):
        parts += [", " if number else "", Math(_shown(Between(Integer(low), index, high), renaming), where)]
    row, col = position(proof.rows, proof.slots[0]), position(proof.cols, proof.slots[1])
    if len(proof.rows) > 1 or len(proof.cols) > 1:
        parts += [" (a pair of indices names one row or one column; this entry is at position ",
                  Math(_shown(Tuple(row, col) if col != 1 else row, renaming), where), ")"]
    return Text.of(*parts, ":")


_NAMED_IDENTITY = re.compile(r"vec\(([A-Z]+)\)")
"""An identity named by its left side in a seed reference: "the vec(AXB) identity" is the claim ``vec_AXB``."""


def _block_title(claim) -> str:
    """The title of an identity's numbered block, as ``ref`` names it. An identity named in it by its left side
    ("the vec(AXB) identity") prints that side as a formula, the claim's own (a ``Title`` whose plain reading
    is the title)."""
    plain = f"{_title(claim.key)} ({claim.seed_ref})"
    match = _NAMED_IDENTITY.search(plain)
    named = match and next((c for c in KRON_IDENTITIES if c.key == f"vec_{match.group(1)}"), None)
    if named is None:
        return plain
    _, _, lhs, _ = build(named)
    side = Math(lhs, Source("definition", f"the left side of the identity {named.key} ({named.seed_ref})"))
    return Title.of(plain[:match.start()], side, plain[match.end():], text=plain)


def _lemma_ref() -> str:
    """"Lemma 3" at render time: the mixed-product lemma, numbered from the block order."""
    from gradproof.symbolic.seeds.kron_identities import KRON_IDENTITIES as claims

    return ref("lemma", _block_title(next(claim for claim in claims if claim.key == LEMMA_KEY)))


def _named_rules_derivation(proof, renaming=None) -> Derivation:
    source = Source("check", "general-size proof by named rules, each step made by applying its rule",
                    proof.holds is True)

    def why(rule):
        if rule == MIXED_PRODUCT:
            return f"{_lemma_ref()} (mixed product)"
        if rule == ADJUGATE:  # the rule's formula set as a formula
            from gradproof.symbolic.engine.kron import Adjugate

            k = Symbol("k", integer=True, positive=True)
            x = MatrixSymbol("X", k, k)
            formula = Equals(MatMul(x, Adjugate(x)), MatMul(Det(x), SizedIdentity(k)))
            source = Source("definition", "the adjugate (Laplace expansion)")
            return Text.of("adjugate: ", Math(formula, source), " for ", Math(InSpace(x, k, k), source))
        return rule

    return Derivation(_shown(proof.left_entry, renaming),
                      tuple((_shown(step, renaming), why(rule), source) for step, rule in proof.left_steps))


# --- statements and verdicts -------------------------------------------------------------------------------

def _shapes_text(claim, operands, renaming, extra: str = "") -> Text:
    where = Source("definition", f"the operands of {_title(claim.key)}")
    parts = ["Let "]
    for number, (name, symbol) in enumerate(operands.items()):
        if number:
            parts.append(" and " if number == len(operands) - 1 else ", ")
        parts.append(Math(_shown(InSpace(symbol, symbol.rows, symbol.cols), renaming), where))
    return Text.of(*parts, extra or ".", " Then")


def _sizes_math(sizes, renaming=None, source=None) -> list:
    """"m = 1, n = 2, p = 2" as formulas (a reader's sizes, set as mathematics), with commas between."""
    source = source or Source("definition", "sizes of the concrete check")
    parts: list = []
    for number, (name, value) in enumerate(sizes.items()):
        equation = Equals(_shown(Symbol(name, integer=True, positive=True), renaming), Integer(value))
        parts += [", " if number else "", Math(equation, source)]
    return parts


def _is_scalar(claim) -> bool:
    """True when the claim's sides are numbers (a trace, a determinant): they agree as numbers, not entry by
    entry."""
    _, _, lhs, _ = build(claim)
    return not getattr(lhs, "is_Matrix", False)


def _sweep_sentence(claim, sweep, renaming) -> Text:
    """The concrete-size verdict in one sentence."""
    where = Source("definition", "sizes of the concrete check")
    dims = [Math(_shown(Symbol(name, integer=True, positive=True), renaming), where) for name in claim.dimensions()]
    listed = []
    for number, dim in enumerate(dims):
        listed += [", " if number else "", dim]
    how = f"{sweep.count(SYMBOLIC)} of them with a distinct symbol in every entry, both sides expanded exactly"
    if sweep.count(RANDOM_INTEGERS):
        how += (f", {sweep.count(RANDOM_INTEGERS)} in exact integer arithmetic at random points, a probabilistic "
                "identity test (Schwartz-Zippel)")
    agree = "the two sides are equal" if _is_scalar(claim) else "the two sides agree entry by entry"
    if sweep.holds:
        why_random = (" Random points are used where a symbolic determinant would be too large: that of a 16 × 16 "
                      "matrix has 16! terms, about 21 million million." if sweep.count(RANDOM_INTEGERS) else "")
        return Text.of("Concrete sizes: with each of ", *listed, f" from 1 to {DEFAULT_MAX_SIZE} "
                       f"({len(sweep.results)} size combinations, {how}) {agree}.{why_random}")
    return _counterexample_text(sweep.counterexample, claim)


def _counterexample_text(result, claim) -> Text:
    """"The claim is false: at m = 1, n = 2, p = 2, entry 1 of the left side is ... and of the right side ...",
    every size, position and value a formula."""
    d = result.mismatch
    shown = _readable(claim, result.sizes)
    position_parts: list = []
    if d.index:
        index = tuple(Integer(i) for i in d.index)
        _, _, lhs, _ = build(claim, result.sizes)
        if getattr(lhs, "is_Matrix", False) and lhs.shape[1] == 1:
            index = index[:1]  # an entry of a column vector has one index
        where = Math(index[0] if len(index) == 1 else Tuple(*index), _CE)
        position_parts = ["entry ", where, " of "]
    return Text.of("The claim is false: at ", *_sizes_math(result.sizes, source=_CE), ", ", *position_parts,
                   "the left side is ", Math(shown(d.left), _CE), " and " + ("that of " if d.index else ""),
                   "the right side is ", Math(shown(d.right), _CE), ".")


_CE = Source("check", "smallest counterexample of the concrete-size sweep")
_SHEET = Source("definition", "notation sheet: a Linear layer's sizes")


def _readable(claim, sizes):
    """A function turning the concrete check's entry names (A[1,2]) into a reader's (a_{12})."""
    operands, _, _, _ = build(claim, sizes)
    values = readable_entries(claim, sizes)
    names = {}
    for name, symbol in operands.items():
        for i in range(int(symbol.rows)):
            for j in range(int(symbol.cols)):
                names[Symbol(f"{name}[{i + 1},{j + 1}]")] = values[name][i, j]

    def rename(value):
        return value.xreplace(names) if hasattr(value, "xreplace") else value

    return rename


def _example_blocks(claim, renaming=None) -> list:
    """Both sides at every dimension 2 with entries a_{11}, ..., when they are short columns: one display
    left side = evaluated column = right side."""
    sizes = {name: 2 for name in claim.dimensions()}
    operands, _, lhs, rhs = build(claim, sizes)
    if not getattr(lhs, "is_Matrix", False) or lhs.shape[1] != 1 or lhs.shape[0] > 8:
        return []
    values = readable_entries(claim, sizes)
    left, right = _evaluated(lhs, operands, values), _evaluated(rhs, operands, values)
    same = left == right
    source = Source("check", "exact evaluation of both sides at every dimension 2", same)
    where = Source("definition", "the example's operands")
    shown_operands = []
    for number, (name, value) in enumerate(values.items()):
        generic = Symbol(str(value[0, 0]).replace("11", "ij").replace("_{1}", "_{i}"))
        shown_operands += [", " if number else "", Math(generic, where), " of ", Math(operands[name], where)]
    rows = [(left, "both sides evaluated exactly" if same else "the left side evaluated exactly", source)]
    rows.append((_shown(rhs, renaming), "" if same else "DIFFERS from the right side", source))
    if not same:
        rows.insert(1, (right, "the right side evaluated exactly", source))
    return [Text.of("Example with every dimension 2 and the entries ", *shown_operands, ":"),
            Derivation(_shown(lhs, renaming), tuple(rows))]


# --- theorems -------------------------------------------------------------------------------------------

def identity_theorem(result, kind: str = "theorem", renaming=None) -> Theorem:
    """One identity from the run's ``IdentityResult``: shapes and identity; one derivation; the verdicts."""
    claim = result.claim
    proof = result.general and refute(result.general, result.sweep.counterexample)
    operands, _, lhs, rhs = build(claim)
    holds = bool(proof and proof.holds is True and result.sweep.holds)
    statement = Equation(_shown(lhs, renaming), _shown(rhs, renaming), "",
                         Source("check", f"{_title(claim.key)}: general-size proof and concrete sweep", holds))
    body = []
    if proof is None:
        body.append(Text.of("General sizes: not proved here; only the concrete sizes below are checked. ", claim.note))
    elif proof.method == NAMED_RULES:
        body += [Text.of("General sizes, by named rules, each step made by applying its rule to the line before:"),
                 _named_rules_derivation(proof, renaming)]
    elif proof.left_entry is not None:
        ranges, derivation = index_derivation(claim, proof, renaming)
        body += [ranges, derivation]
    verdict, sweep_text = _general_verdict(proof, _is_scalar(claim)), _sweep_sentence(claim, result.sweep, renaming)
    body.append(Text.of(*verdict.parts, " ", *sweep_text.parts))  # one paragraph: general, then concrete
    body += _example_blocks(claim, renaming)
    body += _extra_blocks(claim, proof)
    title = _block_title(claim)
    used = {name: symbol for name, symbol in operands.items() if lhs.has(symbol) or rhs.has(symbol)}
    return Theorem(kind, title, (_shapes_text(claim, used, renaming, _hypothesis(claim)), statement), tuple(body))


def _hypothesis(claim) -> str:
    return {"kron_inverse": " (adj is the adjugate, the transposed matrix of cofactors; unlike the inverse, it "
                            "exists for singular A and B too).",
            "kron_det": " (square, of different sizes in general).",
            "fc_weight_gradient_vector_form": " (any column; " + ref("corollary", CHAIN_RULE_TITLE)
                                              + " applies it to the gradient of the loss)."}.get(claim.key, "")


def _general_verdict(proof, scalar: bool = False) -> Text:
    if proof is None:
        return Text.of("")
    if proof.holds is True:
        how = ("The last line is the right side" if proof.method == NAMED_RULES
               else "The first line is the left side and the last line the right side" if scalar
               else "The first and the last line are the same entry of the two sides")
        return Text.of(f"{how}: the identity holds for every size.")
    return Text.of("General sizes: ", proof.reason, ".")


def _extra_blocks(claim, proof) -> list:
    if claim.key == "kron_det":
        return _det_example()
    return []


INVERSE_CHECK_SIZES = ((1, 2), (2, 1), (2, 2), (3, 1))
"""(n, m) at which each line of the inverse corollary is evaluated with symbolic entries and compared with
the identity matrix (rational functions, simplified exactly)."""

INVERSE_RULE = "definition of the inverse"
IDENTITIES_RULE = "a Kronecker product of identities is the identity"
INVERSE_TITLE = "Inverse of a Kronecker product"


def _mixed_product_kept(expr):
    """(A ⊗ B)(C ⊗ D) -> (AC) ⊗ (BD) with the products kept as written (SymPy folds A A^{-1} into I at once).
    The engine's rule (``kron_identities.mixed_product``, which checks that the factors conform) must give the
    same matrix once the products are carried out."""
    from gradproof.symbolic.engine.errors import OutsideIndexAlgebra
    from gradproof.symbolic.seeds.kron_identities import mixed_product, product_unevaluated

    folded = mixed_product(expr)
    (a, b), (c, d) = expr.args[0].args, expr.args[1].args
    kept = kron_unevaluated(product_unevaluated(a, c), product_unevaluated(b, d))
    if kron_unevaluated(a * c, b * d) != folded:
        raise OutsideIndexAlgebra(f"the mixed-product rule does not give {kept}")
    return kept


def _inverses_cancel(expr):
    """(X X^{-1}) ⊗ (Y Y^{-1}) -> I ⊗ I, each factor checked to be a matrix times its own inverse."""
    from sympy import Inverse

    from gradproof.symbolic.engine.errors import OutsideIndexAlgebra

    def cancel(factor):
        if isinstance(factor, MatMul) and len(factor.args) == 2 and factor.args[1] == Inverse(factor.args[0]):
            return Identity(factor.args[0].rows)
        raise OutsideIndexAlgebra(f"{factor} is not a matrix times its inverse")
    return kron_unevaluated(*[cancel(factor) for factor in expr.args])


def _identities_merge(expr):
    """I_n ⊗ I_m -> I_nm (entries δ_{i1 j1} δ_{i2 j2}, those of I_nm at the paired positions)."""
    from gradproof.symbolic.engine.errors import OutsideIndexAlgebra

    if not (isinstance(expr, KroneckerProduct) and all(isinstance(f, Identity) for f in expr.args)):
        raise OutsideIndexAlgebra(f"{expr} is not a Kronecker product of identities")
    return Identity(Mul(*[factor.rows for factor in expr.args]))


def _inverse_by_rules(lhs, rhs, operands, dims):
    """(A ⊗ B)(A^{-1} ⊗ B^{-1}) = (AA^{-1}) ⊗ (BB^{-1}) = I_n ⊗ I_m = I_nm, each step its rule applied."""
    from gradproof.symbolic.seeds.kron_identities import MIXED_PRODUCT

    steps, current = [], lhs
    for name, rule in ((MIXED_PRODUCT, _mixed_product_kept), (INVERSE_RULE, _inverses_cancel),
                       (IDENTITIES_RULE, _identities_merge)):
        current = rule(current)
        steps.append((current, name))
    return tuple(steps)


def inverse_claim():
    """(A ⊗ B)(A^{-1} ⊗ B^{-1}) = I_nm, A n × n and B m × m, proved for general n, m by named rules."""
    from sympy import Inverse

    from gradproof.symbolic.engine.identities import IdentityClaim, Operand
    from gradproof.symbolic.seeds.kron_identities import product_unevaluated

    return IdentityClaim(
        key="kron_inverse_direct", seed_ref="Matrix Cookbook, the Kronecker product section",
        operands=(Operand.matrix("A", "n", "n"), Operand.matrix("B", "m", "m")),
        lhs=lambda o, d: product_unevaluated(kron_unevaluated(o["A"], o["B"]),
                                             kron_unevaluated(Inverse(o["A"]), Inverse(o["B"]))),
        rhs=lambda o, d: Identity(d["n"] * d["m"]), by_rules=_inverse_by_rules)


def inverse_steps(n, m) -> tuple:
    """(A, B, (A ⊗ B)(A^{-1} ⊗ B^{-1}), its steps to I_{nm}), A n × n and B m × m (n, m symbols or integers);
    each step made by applying its rule to the line before."""
    claim = inverse_claim()
    operands, dims, lhs, rhs = build(claim, None if isinstance(n, Symbol) else {"n": n, "m": m})
    return operands["A"], operands["B"], lhs, _inverse_by_rules(lhs, rhs, operands, dims)


def _equals_identity(expression, a, b, n, m) -> bool:
    """``expression`` at concrete n, m with symbolic entries, simplified exactly, is the identity matrix."""
    from sympy import eye, simplify, symbols

    values = {a: ImmutableMatrix(n, n, symbols(f"a1:{n * n + 1}")), b: ImmutableMatrix(m, m, symbols(f"b1:{m * m + 1}"))}
    explicit = Matrix(expression.xreplace(values).doit())
    return (explicit - eye(n * m)).applyfunc(simplify) == Matrix.zeros(n * m, n * m)


def inverse_pairs_math() -> Math:
    """(n, m) in {(1, 2), ...}: the sizes at which ``inverse_corollary`` evaluates each line."""
    return Math(Verbatim(r"(n, m) \in \{" + ", ".join(f"({n_}, {m_})" for n_, m_ in INVERSE_CHECK_SIZES) + r"\}"),
                Source("definition", "sizes of the concrete check of the inverse"))


def inverse_corollary() -> Theorem:
    """Corollary: (A ⊗ B)^{-1} = A^{-1} ⊗ B^{-1} for invertible A (n × n) and B (m × m), straight from the
    mixed-product lemma: (A ⊗ B)(A^{-1} ⊗ B^{-1}) = AA^{-1} ⊗ BB^{-1} = I_n ⊗ I_m = I_nm. General sizes: the
    rules applied at symbolic n, m reach I_nm (``prove_general``); concrete sizes: each line, evaluated with
    symbolic entries at ``INVERSE_CHECK_SIZES``, simplifies exactly to the identity matrix."""
    from sympy import Inverse

    from gradproof.symbolic.seeds.kron_identities import MIXED_PRODUCT

    proof = prove_general(inverse_claim())
    checked = True
    for n_, m_ in INVERSE_CHECK_SIZES:
        a_, b_, start_, steps_ = inverse_steps(n_, m_)
        checked = checked and all(_equals_identity(line, a_, b_, n_, m_)
                                  for line in [start_] + [step for step, _ in steps_])
    n, m = Symbol("n", integer=True, positive=True), Symbol("m", integer=True, positive=True)
    a, b, start, steps = inverse_steps(n, m)
    pairs = inverse_pairs_math()
    holds = bool(proof.holds is True and checked)
    source = Source("check", "the rules applied at symbolic n, m, and each line evaluated exactly at the listed "
                             "(n, m)", holds)
    where = Source("definition", "the operands of the inverse corollary")
    from sympy import KroneckerDelta

    i1, i2, j1, j2 = (Symbol(name, integer=True) for name in ("i_1", "i_2", "j_1", "j_2"))
    deltas = Math(KroneckerDelta(i1, j1) * KroneckerDelta(i2, j2), where)
    why = {MIXED_PRODUCT: f"{_lemma_ref()} (mixed product)", INVERSE_RULE: "definition of the inverse",
           IDENTITIES_RULE: Text.of(ref("definition", "Kronecker product"), ": entries ", deltas, ", those of ",
                                    Math(_shown(Identity(n * m)), where))}
    statement = (Text.of("Let ", Math(_shown(InSpace(a, n, n)), where), " and ", Math(_shown(InSpace(b, m, m)), where),
                         " be invertible (the sizes ", Math(n, where), " and ", Math(m, where), " may differ). Then ",
                         Math(_shown(kron_unevaluated(a, b)), where), ", of size ", Math(Verbatim("mn \\times mn"), where),
                         ", is invertible and"),
                 Equation(_shown(Inverse(kron_unevaluated(a, b))), _shown(KroneckerProduct(Inverse(a), Inverse(b))), "",
                          source))
    body = (Derivation(_shown(start), tuple((_shown(step), why[rule], source) for step, rule in steps)),
            Text.of("So ", Math(_shown(KroneckerProduct(Inverse(a), Inverse(b))), where), " is a right inverse of the "
                    "square matrix ", Math(_shown(kron_unevaluated(a, b)), where), ", hence its inverse. "
                    + ("Each rule was applied at symbolic sizes " if holds else "The check of these lines FAILED; "),
                    *([Math(n, where), " and ", Math(m, where), ", and each line was also evaluated with a distinct "
                       "symbol in every entry at "] if holds else ["they were evaluated at "]), pairs,
                    " and simplified exactly to the identity matrix." if holds else "."))
    return Theorem("corollary", INVERSE_TITLE, statement, body)


def _det_example() -> list:
    """A small-integer instance of det(A ⊗ B) = det(A)^m det(B)^n, computed exactly."""
    a, b = ImmutableMatrix([[1, 2], [3, 4]]), ImmutableMatrix([[2, 1], [1, 1]])
    value = Matrix.vstack(*[Matrix.hstack(*[a[i, j] * b for j in range(2)]) for i in range(2)]).det()
    det_a, det_b = a.det(), b.det()
    predicted = det_a ** 2 * det_b ** 2
    source = Source("check", "exact integer determinant of the 4 × 4 Kronecker product", value == predicted)
    n_m = Math(Verbatim("n = m = 2"), Source("definition", "sizes of the determinant example"))
    return [Text.of("Example in small integers, ", n_m, ":"),
            Derivation(Det(kron_unevaluated(a, b)),
                       ((Integer(value), "the 4 × 4 determinant, computed exactly", source),
                        (Mul(Pow(det_a, 2, evaluate=False), Pow(det_b, 2, evaluate=False), evaluate=False),
                         Text.of("this theorem, with ", Math(Verbatim(rf"\det(A) = {det_a},\ \det(B) = {det_b}"),
                                                              source)), source)))]


def _false_claim_example(result) -> Theorem:
    """The false claim as an Example with no proof environment: the claim, the counterexample that refutes it
    (sizes, entry and both values as formulas), both sides in small integers, and why no general argument
    applies."""
    claim = result.claim
    proof = result.general and refute(result.general, result.sweep.counterexample)
    operands, _, lhs, rhs = build(claim)
    refused = not result.sweep.holds
    statement = Equation(_shown(lhs), _shown(rhs), "",
                         Source("check", "refutation of the false claim: a counterexample", refused))
    true_form = next(c for c in KRON_IDENTITIES if c.key == "vec_AB_left")
    blocks = [Text.of("Exchanging the factors of the Kronecker product in ", ref("theorem", _block_title(true_form)),
                      " gives a claim that looks as plausible. Claim, for ",
                      *_shapes_text(claim, operands, None).parts[1:-2], ":"),
              statement]
    if refused:
        blocks.append(_counterexample_text(result.sweep.counterexample, claim))
    else:
        blocks.append(Text.of("No counterexample was found at the concrete sizes, so the check did NOT refute "
                              "this false claim."))
    sizes = result.sweep.counterexample.sizes if refused else {name: 2 for name in claim.dimensions()}
    blocks += _integer_instance(claim, sizes)
    if proof is not None and proof.holds is not True:
        blocks.append(Text.of("Nor can any general-size proof exist. " + (
            "No entry-by-entry argument even applies: the product on the right pairs its inner indices in different "
            "orders (the Kronecker product's columns, the vec's rows)." if proof.left_entry is None else
            "The normal forms of the two sides' generic entries differ.")))
    return Theorem("example", f"{_title(claim.key)}, refuted", tuple(blocks))


def _integer_instance(claim, sizes) -> list:
    """Both sides at ``sizes`` with the entries 1, 2, 3, ... (operand by operand, row by row)."""
    operands, _, lhs, rhs = build(claim, sizes)
    values, start = {}, 1
    for name, symbol in operands.items():
        count = int(symbol.rows) * int(symbol.cols)
        values[name] = ImmutableMatrix(int(symbol.rows), int(symbol.cols), list(range(start, start + count)))
        start += count
    left, right = _evaluated(lhs, operands, values), _evaluated(rhs, operands, values)
    source = Source("check", "exact integer evaluation of both sides", left != right)
    explicit = {operands[name]: value for name, value in values.items()}
    return [Text.of("The same sizes in small integers, the entries of the operands numbered 1, 2, 3, ... row by row:"),
            Derivation(_shown(lhs, explicit), ((left, "left side, evaluated", source),)),
            Derivation(_shown(rhs, explicit), ((right, "right side, evaluated: a different vector", source),))]


# --- the Jacobians of the FC layer --------------------------------------------------------------------

class JacobianOf(MatrixExpr):
    """∂ vec(Y) / ∂ vec(W)^T (numerator layout, as seed 004 writes it); a matrix, so EntryOf prints its entries."""

    shape = property(lambda self: (self.args[0].rows * self.args[0].cols, self.args[1].rows * self.args[1].cols))

    def _latex(self, printer):
        output, variable = (printer._print(arg) for arg in self.args)
        return rf"\frac{{\partial \operatorname{{vec}}({output})}}{{\partial \operatorname{{vec}}({variable})^{{T}}}}"


def _jacobian_theorem(claim, small, general, sizes) -> Theorem:
    """d vec(Y) / d vec(W)^T = the claimed Kronecker product: one derivation from the Jacobian's generic entry
    (differentiate the scalar equation, sift) to the same entry of the Kronecker product."""
    from gradproof.proofs.fc_display import sizes_math

    equations = claim.equations
    renaming = {symbol: DISPLAY_SIZES[role] for role, symbol in equations.sizes.items()}
    symbols = equations.matrix_symbols()
    claimed = claim.claimed(symbols, dict(equations.sizes))
    output = MatrixSymbol(equations.output.name, *equations.shape(equations.output))
    if claim.key == SEED004_JACOBIAN:  # seed 004 (9) names seed 000's x and y as z and s, as Theorems 15-17 do
        renaming.update(_seed004_letters(symbols["x"], output, renaming))
    variable = symbols[claim.variable]
    jacobian = JacobianOf(output, variable)
    holds = bool(small.holds and general.holds)
    source = Source("check", f"{claim.seed_ref}: derived from the scalar equations, general and concrete", holds)
    proof_source = Source("check", f"{claim.seed_ref}: general sizes", general.holds is True)
    where = Source("definition", f"the operands of {equations.title}")
    shapes = ["Let "]
    declared = ("x", "weight", "bias") if claim.key == SEED004_JACOBIAN else ("x", "weight")  # s = W z + b uses b
    for number, symbol in enumerate(symbols[key] for key in declared):
        joint = (" and " if number == len(declared) - 1 else ", ") if number else ""
        shapes += [joint, Math(_shown(InSpace(symbol, symbol.rows, symbol.cols), renaming), where)]
    row, col = entry_position(general)
    bound = [variable for summation in general.left_entry.atoms(Sum) for variable in summation.variables]
    renaming = {**renaming, **{variable: Symbol(f"t_{number + 1}", integer=True)  # the seed's m is also a size
                               for number, variable in enumerate(bound)}}
    rows = [(general.left_entry, "differentiate the scalar equation", proof_source)]
    if general.left_normal != general.left_entry:
        rows.append((general.left_normal, "sifting property of the Kronecker delta", proof_source))
    rows.append((EntryOf(claimed, row, col), "entries of a Kronecker product, identity", proof_source))
    ranges = [(index, (1, size)) for index, size in zip(general.rows + general.cols,
                                                        general.slots[0] + general.slots[1])]
    body = (
        _ranges_text(general, ranges, renaming),
        Derivation(_shown(EntryOf(jacobian, row, col), renaming),
                         tuple((_shown(rhs, renaming), why, src) for rhs, why, src in rows)),
        Text.of("The first and the last line are the same entry of the two sides: the Jacobian holds for every size."
                if general.holds else "General sizes: " + general.reason + "."),
        Text.of("Concrete sizes: at ", *sizes_math(equations, sizes), ", SymPy's derivative of every output entry by "
                "every weight entry " + ("equals the Kronecker product entry by entry." if small.holds
                                         else "DIFFERS from the claim.")),
    )
    statement = Equation(_shown(jacobian, renaming), _shown(claimed, renaming), "", source)
    title = jacobian_title(claim)
    # a Jacobian of the layer's output involves no loss: the layout's "summed loss" is not part of this statement
    layout = re.sub(r", (summed|averaged) loss", "", equations.title[0].lower() + equations.title[1:])
    letters: list = []
    if claim.key == SEED004_JACOBIAN:
        seed004 = Source("seed", "seed 004 (8), (9)")
        letters = [", written with seed 004's letters: ", Math(Equals(MatrixSymbol("s", 1, 1), InOrder(
            MatrixSymbol("W", 1, 1) * MatrixSymbol("z", 1, 1), MatrixSymbol("b", 1, 1))), seed004)]
    else:
        letters = [", so that ", Math(Equals(output, MatMul(symbols["x"], symbols["weight"])),
                                      Source("seed", "seed 001: Y = XW"))]
    described: list = [layout]
    if "(in, out)" in layout:  # the layer's title names the weight's sizes by role; print them as the sheet's sizes
        before, after = layout.split("(in, out)", 1)
        described = [before.replace("of shape ", "of size "),
                     Math(Verbatim(latex(DISPLAY_SIZES["in"]) + r" \times " + latex(DISPLAY_SIZES["out"])), _SHEET), after]
    convention = Text.of(
        "This is a Jacobian in numerator layout: its rows are the entries of the output, its columns those of the "
        "weight (seed 002 and seed 004 write it as the derivative by a transposed vec). The notation sheet's "
        "denominator layout is for gradients of the scalar loss." if claim.key == SEED004_JACOBIAN else
        "A Jacobian in numerator layout, as in " + ref("theorem", jacobian_title(JACOBIANS[0])) + ".")
    return Theorem("theorem", title, (Text.of(*shapes, ", from the scalar equations of ", *described, *letters,
                                              ". Then"),
                                      statement, convention), body)


SEED004_JACOBIAN = "fc_jacobian_weight"


def jacobian_title(claim) -> str:
    """"Jacobian of the Linear layer with respect to its weight (seed 004 (9))"; the batch form names its layout
    in words (a title is prose: no formula in it)."""
    if claim.key == SEED004_JACOBIAN:
        return f"Jacobian of the Linear layer with respect to its weight ({claim.seed_ref.split(':')[0]})"
    return "Jacobian of the Linear layer with respect to its weight, samples as rows (seed 001)"


def _seed004_letters(x, y, renaming) -> dict:
    """Display renaming x -> z, y -> s (seed 004 (9) writes s = W z + b for seed 000's y = W x + b)."""
    return {x: MatrixSymbol("z", *(_shown(size, renaming) for size in x.shape)),
            y: MatrixSymbol("s", *(_shown(size, renaming) for size in y.shape)),
            Symbol("x"): Symbol("z")}


# --- seed 002 (1): the chain rule through the Jacobian ------------------------------------------------

class Partial(Basic):
    """∂ top / ∂ bottom, printed as a fraction (a display of the derivative the check computes)."""

    def _latex(self, printer):
        top, bottom = (printer._print(arg) for arg in self.args)
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


class SlashPartial(Partial):
    """∂ top / ∂ bottom on one line, for prose and the justification column."""

    def _latex(self, printer):
        top, bottom = (printer._print(arg) for arg in self.args)
        return rf"\partial {top} / \partial {bottom}"


class TransposedVec(Basic):
    """vec(W)^T without SymPy's parentheses around vec(W)."""

    def _latex(self, printer):
        return rf"\operatorname{{vec}}({printer._print(self.args[0])})^{{T}}"


class Juxtaposed(Basic):
    """A product of displayed factors, printed side by side (a row vector times a Jacobian)."""

    def _latex(self, printer):
        return " ".join(printer._print(arg) for arg in self.args)


def chain_rule_checks(d_in: int, d_out: int, planted=None) -> tuple:
    """The three equalities of the chain-rule line at concrete sizes, for ξ = f(s), s = W z + b, f an unspecified
    differentiable function of D_out variables (SymPy differentiates through it: its partial derivatives stay
    symbolic). Returns (chain rule, Jacobian, Kronecker identity) as booleans:

    (1) [∂ξ/∂vec(W)_k]_k = g^T J, g_j = ∂f/∂s_j at s, J = ∂s/∂vec(W)^T computed entry by entry;
    (2) g^T J = g^T (z^T ⊗ I_Dout);
    (3) g^T (z^T ⊗ I_Dout) = vec(g z^T)^T.
    Each is an exact comparison (differences simplified to zero). ``planted(z, identity)`` replaces the Kronecker
    product z^T ⊗ I of (2) and (3) (a test plants a wrong one)."""
    from sympy import Function, eye, kronecker_product, simplify, zeros

    w = Matrix(d_out, d_in, lambda i, j: Symbol(f"w_{{{i + 1}{j + 1}}}"))
    z = Matrix(d_in, 1, lambda i, _: Symbol(f"z_{{{i + 1}}}"))
    b = Matrix(d_out, 1, lambda i, _: Symbol(f"b_{{{i + 1}}}"))
    s = w * z + b
    f = Function("f")
    free = [Symbol(f"s_{{{j + 1}}}") for j in range(d_out)]
    xi = f(*s)
    vec_w = [w[i, j] for j in range(d_in) for i in range(d_out)]  # column-major
    gradient = Matrix(1, len(vec_w), [xi.diff(v) for v in vec_w])
    g = Matrix(d_out, 1, [f(*free).diff(free[j]).subs(dict(zip(free, s)), simultaneous=True) for j in range(d_out)])
    jacobian = Matrix(d_out, len(vec_w), lambda r, c: s[r].diff(vec_w[c]))
    kron = g.T * (planted or (lambda column, identity: kronecker_product(column.T, identity)))(z, eye(d_out))
    outer = g * z.T
    vec_outer = Matrix(1, len(vec_w), [outer[i, j] for j in range(d_in) for i in range(d_out)])

    def same(left, right):
        return (left - right).applyfunc(simplify) == zeros(*left.shape)

    return same(gradient, g.T * jacobian), same(g.T * jacobian, kron), same(kron, vec_outer)


def chain_rule_corollary(identity_row, jacobian_claim, jacobian_holds: bool, sizes: dict) -> Theorem:
    """Seed 002 (1) from seed 004 (9): ∂ξ/∂vec(W)^T = ∂ξ/∂s^T ∂s/∂vec(W)^T = g^T (z^T ⊗ I) = vec(g z^T)^T, each
    step justified by a numbered block (the Jacobian theorem, the Kronecker identity) and checked exactly at the
    run's sizes with ξ an unspecified function of s."""
    from sympy import Transpose as T

    from gradproof.proofs.fc_display import sizes_math
    from gradproof.symbolic.engine.kron import Vec

    claim = identity_row.claim
    renaming = _vector_form_sizes()
    operands, _, lhs, rhs = build(claim)
    identity_holds = bool(identity_row.general and identity_row.general.holds is True and identity_row.sweep.holds)
    d_in, d_out = sizes["in"], sizes["out"]
    chain, jacobian, kron = chain_rule_checks(d_in, d_out)
    xi, g, z, w = Symbol(r"\xi"), operands["g"], operands["z"], operands["W"]
    s = MatrixSymbol("s", *g.shape)
    where = Source("definition", "seed 002 (1) and seed 004 (9): the letters of the corollary")
    chain_src = Source("check", f"chain rule: SymPy's derivative of a general function of s at D_in = {d_in}, "
                                f"D_out = {d_out}", chain)
    jac_src = Source("check", "the Jacobian theorem, general and concrete, and this step at the run's sizes",
                     bool(jacobian and jacobian_holds))
    kron_src = Source("check", "the Kronecker identity theorem, general and concrete, and this step at the run's "
                               "sizes", bool(kron and identity_holds))
    rows = (
        (Juxtaposed(Partial(xi, T(s)), Partial(s, TransposedVec(w))), "chain rule", chain_src),
        (_shown(lhs, renaming), Text.of(ref("theorem", jacobian_title(jacobian_claim)), ", and ",
                                   Math(Equals(SlashPartial(xi, T(s)), T(g)), where)), jac_src),
        (_shown(rhs, renaming), ref("theorem", _block_title(claim)), kron_src),
    )
    statement = (
        Text.of("Let ", Math(Equals(s, InOrder(w * z, operands["b"])), where), " as in ",
                ref("theorem", jacobian_title(jacobian_claim)), ", let ", Math(xi, where),
                " be a scalar loss that depends on W only through s (seed 002's loss of one sample, the sheet's L), "
                "and let ", Math(Equals(g, SlashPartial(xi, s)), where), " (a column of size ",
                Math(_shown(g.shape[0], renaming), where), ", the sheet's g). Then seed 002 (1) holds:"),
        Equation(Partial(xi, TransposedVec(w)), _shown(rhs, renaming), "", Source(
            "check", "seed 002 (1) from the chain rule, the Jacobian theorem and the Kronecker identity",
            bool(chain and jacobian and kron and jacobian_holds and identity_holds))),
    )
    body = (
        Derivation(Partial(xi, TransposedVec(w)), rows),
        Text.of("Every step holds for every size: the chain rule is a theorem of calculus, and the other two steps "
                "are the numbered theorems cited. Checked exactly at ", *sizes_math(jacobian_claim.equations, sizes),
                ", with ", Math(xi, where), " an unspecified differentiable function of the entries of ", Math(s, where),
                ": SymPy's "
                "derivative of ", Math(xi, where), " by each entry of ", Math(Vec(w), where),
                " equals each line" + ("." if chain and jacobian and kron else ": it does NOT, at some line.")),
    )
    return Theorem("corollary", CHAIN_RULE_TITLE, statement, body)


CHAIN_RULE_TITLE = "The FC weight gradient by the chain rule (seed 002 (1) through seed 004 (9))"


# --- the document -------------------------------------------------------------------------------------

def _definitions(checked=()) -> Section:
    """The entry rules every index proof uses, written by the engine's own entry function, and what was checked
    at concrete sizes (``checked``: the parts of ``checked_sizes``)."""
    i1, i2, j1, j2 = (Symbol(name, integer=True) for name in ("i_1", "i_2", "j_1", "j_2"))
    m, n, p, q = (Symbol(name, integer=True, positive=True) for name in "mnpq")
    from gradproof.symbolic.engine.kron import Vec

    a, b, x = MatrixSymbol("A", m, n), MatrixSymbol("B", p, q), MatrixSymbol("X", m, n)
    bases = {"A": "a", "B": "b", "X": "x"}
    kron = kron_unevaluated(a, b)
    kron_entry = entry(kron, (i1, i2), (j1, j2), set(), bases)
    vec_entry = entry(Vec(x), (j1, i1), (), set(), bases)
    where = Source("definition", "entry rules of the Kronecker product and of vec (engine.structured)")
    pair_rows, pair_cols = Tuple(i1, i2), Tuple(j1, j2)
    kron_def = Theorem("definition", "Kronecker product", (
        Text.of("For ", Math(InSpace(a, m, n), where), " and ", Math(InSpace(b, p, q), where), ", the Kronecker "
                "product ", Math(kron, where), " is the block matrix whose block in block row ", Math(i1, where),
                " and block column ", Math(j1, where), " is ", Math(entry(a, (i1,), (j1,), set(), bases) * b, where),
                ". Its row ", Math(pair_rows, where), " (row ", Math(i1, where), " of ", Math(a, where), ", row ",
                Math(i2, where), " of ", Math(b, where), ") is at position ", Math(position((i1, i2), (m, p)), where), ", and likewise its column ",
                Math(pair_cols, where), ":"),
        Equation(EntryOf(kron, position((i1, i2), (m, p)), position((j1, j2), (n, q))), kron_entry, "", where)))
    vec_def = Theorem("definition", "vec and the row-major vec", (
        Text.of("vec stacks the columns of ", Math(InSpace(x, m, n), where), " (column-major, as the seeds and the "
                "Matrix Cookbook do): its row ", Math(Tuple(j1, i1), where), ", column ", Math(j1, where), " and row ",
                Math(i1, where), " of ", Math(x, where), ", is at position ", Math(position((j1, i1), (n, m)), where), ":"),
        Equation(EntryOf(Vec(x), position((j1, i1), (n, m)), 1), vec_entry, "", where),
        Text.of("The row-major vec stacks the rows instead, as NumPy's default ravel does. An identity matrix has the "
                "entries of a Kronecker delta, and a trace is the sum of the diagonal.")))
    method = Text.of(
        "Each identity below is proved for every size in one derivation: the generic entry of the left side is "
        "written by these entry rules (and those of products, transposes and traces), brought to a normal form "
        "(sums flattened by linearity, Kronecker deltas removed by sifting, finite sums interchanged and their "
        "indices renamed in a fixed order), and read back to the same entry of the right side. The inverse, the "
        "adjugate and the determinant have no entry rule; they are proved by chains of named rules, each rule applied "
        "to the line before. ", *checked,
        " A false claim is refuted by a counterexample.")
    return Section("Definitions and method", (kron_def, vec_def, method))


def _listed(items) -> list:
    """"a", "a and b", "a, b, and c" as parts."""
    parts: list = []
    for number, item in enumerate(items):
        last = ", and " if len(items) > 2 else " and "
        parts += [(last if number == len(items) - 1 else ", ") if number else "", item]
    return parts


def _references(blocks, apart: str | None = None) -> list:
    """(kind, title) pairs as references, one ``refs`` per kind in order of first appearance, the kinds listed
    ("Theorem 18 and Corollary 19") or, with ``apart``, separated by it ("Lemma 3, Theorems 5–13 and 15–17":
    a kind's own list may already say "and")."""
    kinds: dict = {}
    for kind, title in blocks:
        kinds.setdefault(kind, []).append(title)
    references = [refs(kind, *titles) for kind, titles in kinds.items()]
    if apart is None:
        return _listed(references)
    return [apart.join(references)]


def checked_sizes_parts(identity_rows, jacobians) -> list:
    """What was checked at concrete sizes, read from the run's evidence: the identities' sweeps (which blocks,
    their largest size, and which results used the probabilistic test), the inverse at ``INVERSE_CHECK_SIZES``
    (the sizes ``inverse_corollary`` evaluates at), and each Jacobian (and the chain-rule corollary) at the sizes
    its check ran at. ``identity_rows``: (kind, title, row) of each identity block; ``jacobians``: (claim,
    small). Parts of a paragraph: strings with ``ref``/``refs`` markers, and ``Math``."""
    from gradproof.proofs.fc_display import sizes_math

    full = [row.sweep.results and len(row.sweep.results) == max(max(r.sizes.values()) for r in row.sweep.results)
            ** len(row.claim.dimensions()) for _, _, row in identity_rows]
    largest = {max(max(r.sizes.values()) for r in row.sweep.results) for _, _, row in identity_rows}
    random = [(kind, title) for kind, title, row in identity_rows if row.sweep.count(RANDOM_INTEGERS)]
    identities = _references(((kind, title) for kind, title, _ in identity_rows), apart=", ")
    parts: list = []
    if identity_rows and all(full) and len(largest) == 1:
        (top,) = largest
        parts += ["The identities (", *identities, f") are also checked exactly with each of their sizes from 1 to "
                  f"{top}, with a distinct symbol in every entry"]
        if random:
            parts += [", except the largest determinants of ", *_references(random, apart=", "), ", checked by a probabilistic "
                      "identity test in exact integer arithmetic"]
        parts.append(". ")
    elif identity_rows:
        parts += ["The identities (", *identities, ") are also checked exactly at the sizes each result states. "]
    parts += ["The other results are checked at fewer sizes: ", ref("corollary", INVERSE_TITLE), " at ",
              inverse_pairs_math()]
    for claim, small in jacobians:
        titles = [("theorem", jacobian_title(claim))]
        if claim.key == SEED004_JACOBIAN:
            titles.append(("corollary", CHAIN_RULE_TITLE))
        parts += ["; ", *_references(titles), " at ", *sizes_math(claim.equations, small.sizes)]
    parts.append(".")
    return parts


def _identity_rows(rows) -> list:
    """(kind, title, row) of each identity block of kron.pdf, in block order: the mixed-product lemma first."""
    identity_rows = [("lemma", _block_title(rows[LEMMA_KEY].claim), rows[LEMMA_KEY])]
    return identity_rows + [("theorem", _block_title(claim), rows[claim.key])
                            for claim in (*KRON_IDENTITIES, *VECTOR_FORM_IDENTITIES) if claim.key != LEMMA_KEY]


def checked_sizes(run) -> list:
    """``checked_sizes_parts`` of a run of the ``kron`` target: the sentence kron.pdf's section 2 prints (its
    references point into ``kron_document(run)``); report.md states the same sentence."""
    rows = {row.claim.key: row for row in run.statements.rows}
    return checked_sizes_parts(_identity_rows(rows),
                               [(claim, small) for claim, small, _ in run.statements.evidence["jacobians"]])


def kron_document(run):
    """The Kronecker/vec proof from one run of the ``kron`` target (its identity rows and evidence)."""
    rows = {row.claim.key: row for row in run.statements.rows}
    evidence = run.statements.evidence
    lemma = identity_theorem(rows[LEMMA_KEY], kind="lemma", renaming=LEMMA_SIZES)
    theorems = tuple(identity_theorem(rows[claim.key]) for claim in KRON_IDENTITIES if claim.key != LEMMA_KEY)
    renaming = _vector_form_sizes()
    vector = tuple(identity_theorem(rows[claim.key], renaming=renaming) for claim in VECTOR_FORM_IDENTITIES)
    jacobians = []
    for claim, small, general in evidence["jacobians"]:
        jacobians.append(_jacobian_theorem(claim, small, general, run.sizes))
        if claim.key == SEED004_JACOBIAN:  # seed 002 (1) right after the Jacobian it chains through
            jacobians.append(chain_rule_corollary(rows["fc_weight_gradient_vector_form"], claim,
                                                  bool(small.holds and general.holds), run.sizes))
    sections = [
        notation_section(),
        _definitions(checked_sizes(run)),
        Section("The mixed-product property and the inverse", (lemma, inverse_corollary())),
        Section("Kronecker and vec identities (seed 004, Matrix Cookbook)", theorems),
        Section("A false claim, refuted", (_false_claim_example(evidence["false_claim"]),)),
        Section("The FC layer in vector form (seed 004 (8), (9); seed 002 (1))", (
            Text.of("Seed 004 treats the FC layer as a convolution layer whose patch matrix is the input itself, so "
                    "the two are derived together. Seed 004 writes the weight ",
                    Math(Verbatim(r"W^{m} \in \mathbb{R}^{n_{m+1} \times n_{m}}"), Source("seed", "seed 004 (8), (9)")),
                    " (seed 000 writes ", Math(InSpace(Symbol("W"), *renaming.keys()), Source("seed", "seed 000")),
                    "); here it is ", Math(_shown(InSpace(Symbol("W"), *renaming.values()), None), _SHEET),
                    " with the notation sheet's names, as ", Math(Symbol("N"), _SHEET), " is the batch size."),
            *vector, *jacobians)),
    ]
    return Document("gradproof: Kronecker products and vec (seed 004, Matrix Cookbook)", tuple(sections),
                    landscape=False)


__all__ = ["Det", "EntryOf", "Equals", "InSpace", "chain_rule_corollary", "identity_theorem", "index_derivation",
           "inverse_corollary", "kron_document", "readable_entries"]

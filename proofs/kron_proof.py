"""The proof document of the ``kron`` target: seed 004's Kronecker/vec identities, the Matrix
Cookbook's, the row-major counterpart, a refuted false claim, and the vector form of the FC layer.
Every formula is a SymPy object from ``symbolic``; this module arranges them and adds prose.
"""

from __future__ import annotations

from sympy import Matrix, Tuple

from gradproof.proofs.document import Chain, Document, Equation, Math, Section, Source, Text
from gradproof.proofs.notation import notation_section
from gradproof.symbolic.engine.equations import sizes_text
from gradproof.symbolic.engine.explicit import entry_symbols, evaluate
from gradproof.symbolic.engine.general import NAMED_RULES, refute
from gradproof.symbolic.engine.identities import RANDOM_INTEGERS, SYMBOLIC, build, entry_position
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.vector_form import (
    VECTOR_FORM_IDENTITIES,
)

DEFAULT_MAX_SIZE = 4


def _introduction() -> Section:
    return Section(
        "What is proved, and how",
        (
            Text.of(
                "vec stacks the columns of a matrix (column-major, as in the seeds and the Matrix Cookbook); "
                "vec_r stacks its rows, as NumPy's default ravel does. The Kronecker product of A and B is "
                "the block matrix whose block (i, j) is the entry (i, j) of A times B."
            ),
            Text.of(
                "General sizes: a row of a Kronecker product, or of a vec, is addressed by a tuple of indices "
                "(for vec of an m-row matrix, column j and row i at position (j - 1) m + i). The generic entry "
                "of each side is written from the entry rules of products, Kronecker products, vec, transposes, "
                "identities (Kronecker deltas) and traces, and both are put in one normal form: sums flattened "
                "by linearity, deltas removed by sifting, summation variables renamed in a canonical order "
                "(interchange of finite sums). Equal normal forms prove the identity for every size."
            ),
            Text.of(
                "Concrete sizes: every assignment of 1 to 4 to each dimension, with a distinct symbol in every "
                "entry, both sides expanded exactly (symengine) and compared entry by entry."
            ),
        ),
    )


def _sweep_text(result, claim) -> Text:
    dims = ", ".join(claim.dimensions())
    counts = f"{len(result.results)} size combinations, {result.count(SYMBOLIC)} with symbolic entries"
    if result.count(RANDOM_INTEGERS):
        counts += f", {result.count(RANDOM_INTEGERS)} in exact integer arithmetic at random points"
    if result.holds:
        return Text.of(f"Concrete sizes: holds for every size with {dims} from 1 to {DEFAULT_MAX_SIZE}: {counts}.")
    return _counterexample_text(result.counterexample)


def _counterexample_text(result) -> Text:
    d = result.mismatch
    return Text.of(
        f"Concrete sizes: DOES NOT HOLD. Smallest counterexample: sizes {sizes_text(result.sizes)}, entry {d.index}: "
        "the left side is ", Math(d.left, _CE), ", the right side is ", Math(d.right, _CE), "."
    )


_CE = Source("check", "smallest counterexample of the concrete-size sweep")


def _general_blocks(proof) -> list:
    src = Source("check", "general-size proof", proof.holds is True)
    if proof.method == NAMED_RULES:
        verdict = "The last expression is the right side: the identity holds for every size." if proof.holds \
            else proof.reason + "."
        return [Text.of("General sizes, by named rules (A is n × n, B is m × m):"),
                Chain(proof.left_entry, proof.left_steps, src), Text.of(verdict)]
    if proof.left_normal is None:
        return [Text.of("General sizes: ", proof.reason, ".")]
    verdict = "The normal forms agree: the identity holds for every size." if proof.holds else proof.reason + "."
    return [
        Text.of("General sizes: the entry at position ", Math(Tuple(*entry_position(proof)), src), " of the left side is"),
        Chain(proof.left_entry, proof.left_steps, src),
        Text.of("Rules used for the entries of both sides: ", "; ".join(proof.rules), ". The same entry of the right side is"),
        Chain(proof.right_entry, proof.right_steps, src),
        Text.of(verdict),
    ]


def _example_blocks(claim) -> list:
    """Both sides evaluated exactly at every dimension 2, when they are short columns."""
    sizes = {name: 2 for name in claim.dimensions()}
    operands, _, lhs, rhs = build(claim, sizes)
    if not getattr(lhs, "is_Matrix", False) or lhs.shape[1] != 1 or lhs.shape[0] > 8:
        return []
    values = {symbol: entry_symbols(symbol) for symbol in operands.values()}
    return [
        Text.of("For example, with every dimension 2, both sides evaluated:"),
        Equation(lhs, Matrix(evaluate(lhs, values).tolist()), "left side", Source("check", "exact evaluation")),
        Equation(rhs, Matrix(evaluate(rhs, values).tolist()), "right side", Source("check", "exact evaluation")),
    ]


def identity_section(result) -> Section:
    """One identity from the run's ``IdentityResult``: statement, general-size proof, sweep, example."""
    claim = result.claim
    proof = result.general and refute(result.general, result.sweep.counterexample)
    _, _, lhs, rhs = build(claim)
    blocks = [Equation(lhs, rhs, f"claim, {claim.seed_ref}", Source("seed", claim.seed_ref))]
    if claim.note and claim.general:
        blocks.append(Text.of(claim.note))
    blocks += _general_blocks(proof) if proof else _general_blocks_not_attempted(claim)
    blocks.append(_sweep_text(result.sweep, claim))
    blocks += _example_blocks(claim)
    return Section(f"{_title(claim.key)} ({claim.seed_ref})", tuple(blocks))


def _title(key: str) -> str:
    """'vec_AXB' -> 'Vec AXB' (the operands keep their capitals; capitalize() gave 'Vec axb')."""
    words = key.replace("_", " ")
    return words[0].upper() + words[1:]


def _general_blocks_not_attempted(claim) -> list:
    return [Text.of("General sizes: not attempted; concrete sizes are enough here. ", claim.note)]


def _jacobian_section(jacobians, sizes) -> Section:
    blocks = []
    for claim, small, general in jacobians:
        symbols = claim.equations.matrix_symbols()
        shown = ", ".join(f"{role} = {value}" for role, value in claim.equations.sizes_from(sizes).items())
        blocks += [
            Text.of(f"{claim.seed_ref}, from the scalar equations of {claim.equations.title}:"),
            Equation(claim.claimed(symbols, dict(claim.equations.sizes)), small.derived, f"derived, {shown}",
                     Source("check", f"{claim.seed_ref}: derived equals claimed", small.holds is True)),
            Text.of(
                "The derived matrix equals the claimed Kronecker product entry by entry"
                if small.holds
                else "The derived matrix DIFFERS from the claim",
                ". General sizes: the generic entry is ",
                Math(general.left_normal, Source("check", "generic entry, derived")),
                ", the claim's is ",
                Math(general.right_normal, Source("check", f"{claim.seed_ref}: general sizes", general.holds is True)),
                "; " + ("they agree for every size." if general.holds else general.reason + "."),
            ),
        ]
    return Section("Jacobians of the FC layer in vector form (seed 004; seed 001)", tuple(blocks))


def kron_document(run):
    """The Kronecker/vec proof from one run of the ``kron`` target (its identity rows and evidence)."""
    rows = {row.claim.key: row for row in run.statements.rows}
    evidence = run.statements.evidence
    sections = [notation_section(), _introduction()]
    sections += [identity_section(rows[claim.key]) for claim in KRON_IDENTITIES]
    sections.append(Section("A false claim, refused", (Text.of(FALSE_CLAIM.note),)))
    sections.append(identity_section(evidence["false_claim"]))
    sections.append(
        Section(
            "The FC layer in vector form (seed 004 (8), (9); seed 002 (1))",
            (Text.of("Seed 004 treats the FC layer as a convolution layer whose patch matrix is the input itself, so the two are derived together."),),
        )
    )
    sections += [identity_section(rows[claim.key]) for claim in VECTOR_FORM_IDENTITIES]
    sections.append(_jacobian_section(evidence["jacobians"], run.sizes))
    return Document("gradproof: Kronecker products and vec (seed 004, Matrix Cookbook)", tuple(sections))

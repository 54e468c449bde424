"""kron.pdf as a lecturer's handout (issue 14 items 4-6): every identity a numbered Theorem stating its
operands' shapes, its general-size proof ONE derivation from the left side's entry to the right side's,
the concrete verdict in one sentence, worked examples in a_{11} b_{11} (not A[1,1]B[1,1]), the inverse and
the determinant proved for every size with their factors' sizes stated, no overfull box."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sympy import Identity, Inverse, MatMul, MatrixSymbol, Symbol, Trace

from gradproof.proofs.compile import compile_pdf, overfull_boxes
from gradproof.proofs.document import (
    Derivation,
    Document,
    Equation,
    Math,
    Section,
    Text,
    Theorem,
    number_references,
    render,
)
from gradproof.proofs.kron_proof import (
    INVERSE_TITLE,
    LEMMA_SIZES,
    EntryOf,
    InSpace,
    _det_example,
    _equals_identity,
    _example_blocks,
    _shown,
    _title,
    identity_theorem,
    index_derivation,
    inverse_claim,
    kron_document,
    readable_entries,
)
from gradproof.proofs.results import IdentityResult
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.engine.general import prove_general, refute
from gradproof.symbolic.engine.identities import build, sweep
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES, kron_unevaluated
from gradproof.symbolic.seeds.vector_form import VECTOR_FORM_IDENTITIES

IDENTITIES = KRON_IDENTITIES + VECTOR_FORM_IDENTITIES


@pytest.fixture(scope="module")
def document():
    return kron_document(run_target(target_named("kron"), numeric=False))


def _theorems(document):
    return [block for section in document.sections for block in section.blocks if isinstance(block, Theorem)]


def _theorem_of(document, claim):
    found = [theorem for theorem in _theorems(document) if theorem.title == f"{_title(claim.key)} ({claim.seed_ref})"]
    assert len(found) == 1, (claim.key, [theorem.title for theorem in _theorems(document)])
    return found[0]


def _derivations(blocks):
    """The derivations among ``blocks``."""
    return [block for block in blocks if isinstance(block, Derivation)]


def _general_derivations(theorem):
    return [block for block in _derivations(theorem.proof)
            if all(source is not None and "general-size proof" in source.ref for _, _, source in block.rows)]


@pytest.mark.parametrize("claim", IDENTITIES, ids=lambda claim: claim.key)
def test_each_identity_is_a_theorem_with_shapes_and_one_general_derivation(document, claim):
    theorem = _theorem_of(document, claim)
    assert theorem.kind == ("lemma" if claim.key == "kron_mixed_product" else "theorem")
    shapes = [part.value for part in theorem.statement[0].parts if isinstance(part, Math)]
    operands, _, lhs, rhs = build(claim)
    used = [name for name, symbol in operands.items() if lhs.has(symbol) or rhs.has(symbol)]  # W, b not in 17
    assert [shape.args[0].name for shape in shapes if isinstance(shape, InSpace)] == used
    renaming = LEMMA_SIZES if claim.key == "kron_mixed_product" else {}
    for shape in shapes:  # each operand with its own rows and columns (the lemma's s printed as u)
        expected = tuple(_shown(size, renaming) for size in operands[shape.args[0].name].shape)
        assert (shape.args[1], shape.args[2]) == expected or claim in VECTOR_FORM_IDENTITIES
    assert isinstance(theorem.statement[1], Equation)
    derivations = _general_derivations(theorem)
    assert len(derivations) == 1, claim.key
    assert all(source.valid for _, _, source in derivations[0].rows)
    words = " ".join(part for block in theorem.proof if isinstance(block, Text) for part in block.parts
                     if isinstance(part, str))
    scalar = not getattr(lhs, "is_Matrix", False)
    agree = "the two sides are equal" if scalar else "the two sides agree entry by entry"
    assert "the identity holds for every size" in words and agree in words
    assert "not attempted" not in words and "not proved" not in words


@pytest.mark.parametrize("claim", [claim for claim in KRON_IDENTITIES if claim.by_rules is None], ids=lambda c: c.key)
def test_an_index_derivation_runs_from_the_left_sides_entry_to_the_right_sides(claim):
    proof = prove_general(claim)
    _, derivation = index_derivation(claim, proof)
    first, last = derivation.lhs, derivation.rows[-1][0]
    if isinstance(first, EntryOf):
        assert first.args[0] == _shown(proof.left) and last.args[0] == _shown(proof.right)  # I printed as I_n
        assert first.args[1:] == last.args[1:]  # the same entry of both sides
    else:
        assert (first, last) == (_shown(proof.left), _shown(proof.right))
    assert derivation.rows[0][0] == proof.left_entry
    assert all(why for _, why, _ in derivation.rows), "every step has a justification"


def _false_trace_claim():
    """tr(A ⊗ B) = tr(B)^2: false, with the same index structure on both sides."""
    return dataclasses.replace(KRON_IDENTITIES[6], key="kron_trace_wrong",
                               rhs=lambda o, d: Trace(o["B"]) * Trace(o["B"]))


def test_a_false_identity_gets_no_valid_derivation():
    claim = _false_trace_claim()
    proof = refute(prove_general(claim), sweep(claim).counterexample)
    assert proof.holds is False
    _, derivation = index_derivation(claim, proof)
    assert not any(source.valid for _, _, source in derivation.rows)


def test_the_false_claim_says_why_no_general_argument_applies(document):
    example = next(theorem for theorem in _theorems(document) if theorem.kind == "example")
    assert prove_general(FALSE_CLAIM).left_entry is None  # its sides pair their indices differently
    assert "No entry-by-entry argument even applies" in render_text(example)


def test_worked_examples_name_entries_as_a_reader_does(document):
    tex = render(document)
    assert "A[1" not in tex and "B[1" not in tex and "[1,1]" not in tex and "[1, 1]" not in tex
    assert "a_{11} b_{11} + a_{12} b_{21}" in tex  # vec(AB), first entry
    values = readable_entries(KRON_IDENTITIES[0], {"m": 2, "n": 2, "p": 2})
    assert values["A"][0, 1] == Symbol("a_{12}") and values["B"][1, 0] == Symbol("b_{21}")


def test_a_wrong_example_is_shown_as_differing():
    blocks = _example_blocks(FALSE_CLAIM)
    derivation = _derivations(blocks)[0]
    assert any("DIFFERS" in why for _, why, _ in derivation.rows)
    assert not any(source.valid for _, _, source in derivation.rows)


def test_the_false_claim_is_refused_with_a_small_integer_instance(document):
    example = next(theorem for theorem in _theorems(document) if theorem.kind == "example")
    integer = _derivations(example.statement)
    assert len(integer) == 2
    (left, _, left_source), (right, _, right_source) = integer[0].rows[0], integer[1].rows[0]
    assert left != right and left_source.valid and right_source.valid
    assert all(value.is_Integer for value in list(left) + list(right))
    # recomputed with NumPy from the displayed operands (numbered 1, 2, ... row by row)
    sizes = sweep(FALSE_CLAIM).counterexample.sizes
    a = np.arange(1, sizes["m"] * sizes["n"] + 1).reshape(sizes["m"], sizes["n"])
    b = np.arange(a.size + 1, a.size + sizes["n"] * sizes["p"] + 1).reshape(sizes["n"], sizes["p"])
    assert [int(v) for v in left] == list((a @ b).flatten(order="F"))
    assert [int(v) for v in right] == list(np.kron(a, np.eye(sizes["p"], dtype=int)) @ b.flatten(order="F"))


def test_inverse_and_determinant_state_their_sizes_and_are_proved_for_every_size(document):
    by_key = {claim.key: claim for claim in KRON_IDENTITIES}
    for key in ("kron_inverse", "kron_det"):
        theorem = _theorem_of(document, by_key[key])
        shapes = [part.value for part in theorem.statement[0].parts if isinstance(part, Math)]
        assert [(s.args[0].name, s.args[1].name, s.args[2].name) for s in shapes] == [("A", "n", "n"), ("B", "m", "m")]
        (derivation,) = _general_derivations(_theorem_of(number_references(document), by_key[key]))
        assert any("Lemma 3" in why for _, why, _ in derivation.rows), "the mixed product is cited as the lemma"


def test_the_determinant_example_is_the_determinant_of_the_kronecker_product():
    text, steps = _det_example()
    (derivation,) = _derivations([steps])
    a, b = derivation.lhs.args[0].args
    value, _, source = derivation.rows[0]
    assert source.valid
    assert int(value) == round(np.linalg.det(np.kron(np.array(a.tolist(), float), np.array(b.tolist(), float))))
    assert int(value) == int(a.det()) ** b.rows * int(b.det()) ** a.rows


def test_a_false_theorem_loses_its_sources():
    # tr(A ⊗ B) = tr(B)^2 is false: the sweep refutes it, and neither its statement nor its derivation
    # may then pass as checked
    claim = _false_trace_claim()
    row = IdentityResult(claim, sweep(claim), prove_general(claim))
    theorem = identity_theorem(row)
    assert not row.sweep.holds
    assert not theorem.statement[1].source.valid
    assert not any(source.valid for block in _derivations(theorem.proof)
                   for _, _, source in block.rows if "general-size proof" in source.ref)
    words = render_text(theorem)
    assert "The claim is false" in words and "holds for every size" not in words


def render_text(theorem) -> str:
    return " ".join(part for block in theorem.statement + theorem.proof if isinstance(block, Text)
                    for part in block.parts if isinstance(part, str))


def test_kron_pdf_has_no_overfull_box(require_tex, document, tmp_path):
    tex = tmp_path / "kron.tex"
    tex.write_text(render(document), encoding="utf-8")
    compile_pdf(tex)
    assert overfull_boxes(tex) == []


def test_the_inverse_corollary_is_the_mixed_product_line_checked_line_by_line(document):
    """(A ⊗ B)(A^{-1} ⊗ B^{-1}) = AA^{-1} ⊗ BB^{-1} = I_n ⊗ I_m = I_nm, by the lemma, not through the adjugate."""
    numbered = number_references(document)
    corollary = next(theorem for theorem in _theorems(numbered) if theorem.title == INVERSE_TITLE)
    tex = render(Document("c", (Section("s", (corollary,)),)))
    assert r"\left(A \otimes B\right)^{-1} &= A^{-1} \otimes B^{-1}" in tex
    assert "adj" not in tex and "Cramer" not in tex
    (derivation,) = _derivations(corollary.proof)
    n, m = Symbol("n", integer=True, positive=True), Symbol("m", integer=True, positive=True)
    a, b = MatrixSymbol("A", n, n), MatrixSymbol("B", m, m)
    assert [row[0] for row in derivation.rows] == [
        _shown(kron_unevaluated(MatMul(a, Inverse(a)), MatMul(b, Inverse(b)))),
        _shown(kron_unevaluated(Identity(n), Identity(m))), _shown(Identity(n * m))]
    assert derivation.rows[0][1].startswith("Lemma 3")  # the mixed product, numbered from the block order
    assert all(source.valid for _, _, source in derivation.rows)
    shapes = [part.value for part in corollary.statement[0].parts if isinstance(part, Math)
              and isinstance(part.value, InSpace)]
    assert [(s.args[0].name, s.args[1], s.args[2]) for s in shapes] == [("A", n, n), ("B", m, m)]
    assert prove_general(inverse_claim()).holds is True
    # the check behind it refuses a wrong line: the inverses' Kronecker product in the wrong order
    a2, b2 = MatrixSymbol("A", 2, 2), MatrixSymbol("B", 2, 2)
    wrong = kron_unevaluated(a2, b2) * kron_unevaluated(Inverse(b2), Inverse(a2))
    assert not _equals_identity(wrong, a2, b2, 2, 2)
    assert _equals_identity(kron_unevaluated(a2, b2) * kron_unevaluated(Inverse(a2), Inverse(b2)), a2, b2, 2, 2)
    # and the general rules refuse it too: B^{-1} is not A's inverse
    swapped = dataclasses.replace(inverse_claim(), lhs=lambda o, d: MatMul(
        kron_unevaluated(o["A"], o["B"]), kron_unevaluated(Inverse(o["B"]), Inverse(o["A"]))))
    assert prove_general(swapped).holds is not True


def test_second_read_wording(document):
    """Student read 2 (items 5-8): seed 004's weight sizes, the Jacobians' layout, the g of Theorem 17's
    identity and its title, (n, m) pairs, det as a formula, a refusal that reads as mathematics."""
    tex = " ".join(render(document).split())
    assert "Seed 004 writes the weight N × M" not in tex and r"n_{m+1} \times n_{m}" in tex
    jacobians = [t for t in _theorems(document) if t.title.startswith("Jacobian of the Linear layer")]
    assert jacobians
    for theorem in jacobians:
        words = " ".join(part for block in theorem.statement if isinstance(block, Text) for part in block.parts
                         if isinstance(part, str))
        assert "numerator layout" in words and "(in, out)" not in words
    assert "chain rule through seed 004" not in tex and "The Kronecker identity behind the FC weight gradient" in tex
    assert "G^{T}" not in tex.split("The Kronecker identity behind")[1].split("Jacobian")[0]
    assert "n = 1, m = 2" not in tex and r"(n, m) \in \{(1, 2), (2, 1), (2, 2)" in tex
    assert "theorem: det(A)" not in tex and r"\det(A) = -2" in tex
    assert "It is refused" not in tex and "The claim is false" in tex

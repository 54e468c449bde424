"""conv2d.pdf on portrait pages, from the second student read (issue 14, items 12-16), each a check that
can fail:

* the document is portrait (landscape gave prose lines of about 230 characters) and still has no overfull
  box: the general-size derivations put their justifications flush right as tags (``Steps``), which move
  below a step that fills the line;
* seed 004's shape checks list one factor per line with its size (``ShapeTable``; Theorem 17's old
  underbraces had 7-pt labels), and the verdict is computed: a product whose inner sizes do not match, or
  whose outer sizes are not the variable's, FAILS;
* the tilde marks only the reflected kernel indices (the padded input is X_pad); the bias gradient is
  O x 1; the Kronecker transpose rule is the Kronecker product of the transposes, checked; one sentence says
  that the pixel order of a flattened image is a free choice;
* no reference is typed: with a numbered block planted in front, every "Theorem n", "Lemma n",
  "Definition n" ... of the text still names a block of its kind (a typed "Definition 1" would now name
  the planted lemma).
"""

import re

import pytest
from sympy import MatrixSymbol, Symbol, Transpose

from gradproof.proofs import conv_proof
from gradproof.proofs.document import (
    Document,
    Section,
    Theorem,
    formulas_without_source,
    render,
    theorem_numbers,
)
from gradproof.proofs.targets import run_target, target_named


@pytest.fixture(scope="module")
def document():
    return conv_proof.conv_document(run_target(target_named("conv2d"), numeric=False))


def test_the_document_is_portrait(document):
    """Portrait; that its pages have no overfull box is test_conv2d_student_read's check (it compiles the PDF)."""
    assert document.landscape is False
    preamble = render(document).split(r"\begin{document}")[0]
    assert "landscape" not in preamble


def test_the_general_derivations_tag_their_justifications(document):
    tex = render(document)
    assert r"\tag*{[chain rule; derivative of Definition 1]}" in tex
    assert r"&& \text{[chain rule; derivative of" not in tex  # no justification column that runs off the page


def _shape_tables(document):
    seed004 = next(s for s in document.sections if s.title.startswith("Seed 004"))
    return [block for theorem in seed004.blocks if isinstance(theorem, Theorem)
            for block in theorem.proof if isinstance(block, conv_proof.ShapeTable)]


def test_seed004_shape_checks_are_tables_that_hold(document):
    tables = _shape_tables(document)
    assert len(tables) == 3 and all(table.holds for table in tables)
    seed004 = next(s for s in document.sections if s.title.startswith("Seed 004"))
    tex = render(Document("t", (seed004,)))
    assert r"\underbrace" not in tex
    assert tex.count("Each column count equals the next row count") == 3
    assert r"P_{\mathrm{pad}}^{T} &\colon C n_{H} n_{W} \times C \left(2 P + n_{H}\right) \left(2 P + n_{W}\right)" in tex


def test_a_wrong_shape_table_fails_and_loses_its_source():
    o, k, m = Symbol("O"), Symbol("k"), Symbol("m")
    g, phi = MatrixSymbol("G", o, k), MatrixSymbol("Phi", m, k)
    unmatched = conv_proof.ShapeTable(((g, o, k), (phi, m, k)), (o, k), Symbol("W"))  # G Phi: k against m
    assert not unmatched.inner_sizes_agree and not unmatched.holds
    assert "not defined. FAILS" in unmatched.to_latex()
    wrong_outer = conv_proof.ShapeTable(((g, o, k), (Transpose(phi), k, m)), (o, k), Symbol("W"))
    assert wrong_outer.inner_sizes_agree and not wrong_outer.holds and "FAILS" in wrong_outer.to_latex()
    missing = formulas_without_source(Document("t", (Section("s", (wrong_outer,)),)))
    assert len(missing) == 2
    right = conv_proof.ShapeTable(((g, o, k), (Transpose(phi), k, m)), (o, m), Symbol("W"))
    assert right.holds and formulas_without_source(Document("t", (Section("s", (right,)),))) == []


def test_the_tilde_marks_only_the_reflected_index(document):
    tex = render(document)
    assert r"\tilde{p}" in tex and r"\tilde{q}" in tex
    assert [mark for mark in re.findall(r"\\tilde\{(\w)\}", tex) if mark not in "pq"] == []
    assert r"X_{\mathrm{pad}}" in tex


def test_second_read_items_13_and_16(document):
    tex = render(document)
    assert conv_proof._kron_transpose_holds()
    assert r"the Kronecker product of the transposes, $\left(A \otimes B\right)^{T} = A^{T} \otimes B^{T}$" in tex
    assert "product of the transposes]" not in tex  # the old words, which read as B^T A^T
    assert r"is $O \times 1$" in tex
    assert "lists its pixels is a free choice" in tex and "network.pdf flattens seed 002" in tex


_NUMBERED = re.compile(r"\b(Theorem|Lemma|Definition|Corollary|Example) (\d+)\b")


def test_no_reference_is_typed(document):
    """Plant a numbered block in front: the registry renumbers every ref; a typed number would not move."""
    sections = conv_proof.conv_sections(run_target(target_named("conv2d"), numeric=False))
    planted = Document(document.title, (Section("Planted", (Theorem("lemma", "planted", ()),)),) + sections,
                       landscape=document.landscape)
    numbers = {number: kind for kind, number in theorem_numbers(planted).values()}
    found = _NUMBERED.findall(render(planted))
    assert len(found) > 20
    wrong = [f"{kind} {number}" for kind, number in found if numbers.get(int(number)) != kind.lower()]
    assert wrong == []
    for phrase in ("the input-gradient theorem", "the input gradient theorem", "the Lemma", "(Lemma)",
                   "the weight gradient theorem", "the Definition"):
        assert phrase not in render(document), phrase

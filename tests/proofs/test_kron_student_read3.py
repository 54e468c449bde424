"""kron.pdf after the second student read (items 8, 12, 14, 15, 17): seed 002 (1) shown as the chain-rule line
through the Jacobian theorem, the inverse straight from the mixed product, every reference to a numbered block
made by ``ref``, the counterexample as mathematics, and a portrait page."""

from __future__ import annotations

import re

import pytest
from sympy import kronecker_product

from gradproof.proofs.document import Derivation, Section, Text, Theorem, number_references, render, theorem_numbers
from gradproof.proofs.kron_proof import CHAIN_RULE_TITLE, chain_rule_checks, jacobian_title, kron_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.seeds.vector_form import JACOBIANS, VECTOR_FORM_IDENTITIES


@pytest.fixture(scope="module")
def document():
    return kron_document(run_target(target_named("kron"), numeric=False))


def _theorems(document):
    return [block for section in document.sections for block in section.blocks if isinstance(block, Theorem)]


def _strings(value):
    """Every prose string of a document (justifications included), before the references are numbered."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, (Section, Theorem, Text, Derivation)) or hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _strings(getattr(value, name))


def test_seed_002_1_is_the_chain_rule_line_through_the_jacobian_theorem(document):
    numbers = theorem_numbers(document)
    numbered = number_references(document)
    corollary = next(t for t in _theorems(numbered) if t.title == CHAIN_RULE_TITLE)
    (derivation,) = [block for block in corollary.proof if isinstance(block, Derivation)]
    rows = derivation.rows
    assert len(rows) == 3 and all(source.valid for _, _, source in rows)
    whys = [why if isinstance(why, str) else "".join(p for p in why.parts if isinstance(p, str)) for _, why, _ in rows]
    assert whys[0] == "chain rule"
    jacobian = jacobian_title(JACOBIANS[0])
    identity = next(t.title for t in _theorems(document) if t.title.startswith("The Kronecker identity behind"))
    assert whys[1].startswith(f"Theorem {numbers[jacobian][1]}")  # the Jacobian, by its number
    assert whys[2] == f"Theorem {numbers[identity][1]}"  # the Kronecker identity g^T (z^T ⊗ I) = vec(g z^T)^T
    tex = render(document)
    chain = tex.split(CHAIN_RULE_TITLE)[1].split(r"\end{proof}")[0]
    assert r"\frac{\partial \xi}{\partial s^{T}} \frac{\partial s}{\partial \operatorname{vec}(W)^{T}}" in chain
    assert "G^{T}" not in chain and "g^{T}" in chain  # the sheet's g for the vector
    # the last line is the right side of the identity theorem, the second its left side
    claim = next(c for c in VECTOR_FORM_IDENTITIES if c.key == "fc_weight_gradient_vector_form")
    from gradproof.proofs.kron_proof import _shown, _vector_form_sizes
    from gradproof.symbolic.engine.identities import build

    _, _, lhs, rhs = build(claim)
    assert rows[1][0] == _shown(lhs, _vector_form_sizes()) and rows[2][0] == _shown(rhs, _vector_form_sizes())


def test_the_chain_rule_check_sees_a_wrong_jacobian():
    assert chain_rule_checks(3, 2) == (True, True, True)
    chain, jacobian, kron = chain_rule_checks(3, 2, planted=lambda z, identity: kronecker_product(identity, z.T))
    assert chain and not jacobian and not kron


def test_no_reference_to_a_numbered_block_is_typed(document):
    typed = [s for s in _strings(document) if re.search(r"\b(Theorem|Lemma|Corollary|Definition|Example) \d", s)
             or re.search(r"\[the (theorem|lemma)", s) or "the Lemma" in s]
    assert typed == []
    assert any("\x00ref:" in s for s in _strings(document))


def test_the_false_claim_reads_as_mathematics(document):
    tex = " ".join(render(document).split())
    for plain in ("DOES NOT HOLD", "It is refused", "sizes m = 1", "entry 1, 1", "n = 1, m = 2", "(in, out)",
                  "theorem: det(A) = -2", "rows and columns are pairs of indices"):
        assert plain not in tex, plain
    assert r"\det(A) = -2" in tex  # a formula: LaTeX sets its minus sign
    example = next(t for t in _theorems(document) if t.kind == "example")
    assert example.proof == ()  # a counterexample, not a proof environment for a false claim
    words = " ".join(p for b in example.statement if isinstance(b, Text) for p in b.parts if isinstance(p, str))
    assert "The claim is false: at " in words and "the right side is" in words
    assert "m = 1" not in words  # the sizes are formulas


def test_scalar_identities_do_not_agree_entry_by_entry(document):
    for theorem in _theorems(document):
        if theorem.title.startswith(("Trace of", "Determinant of")):
            words = " ".join(p for b in theorem.proof if isinstance(b, Text) for p in b.parts if isinstance(p, str))
            assert "entry by entry" not in words and "the two sides are equal" in words, theorem.title


def test_kron_pdf_is_portrait(document):
    assert document.landscape is False
    assert "landscape" not in render(document)

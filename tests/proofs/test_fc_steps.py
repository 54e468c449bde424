"""fc.pdf's theorems: one derivation each, ending in a checked index-to-matrix step (issue 14 item 4).

The step from the generic entry to the matrix (sum_i g_{i,p} x_{i,q} = (G^T X)_{p,q}, hence dL/dW = G^T X;
seed 000: dW = dy x^T) is the one the reader needs; these tests fail if it is missing, if it is displayed
without a passing check, or if a wrong matrix passes the check.
"""

import dataclasses

import pytest
from sympy import HadamardProduct, MatrixSymbol

from gradproof.proofs import fc_checks, targets
from gradproof.proofs.document import Derivation, Document, Equation, Section, ShapeCheck, Text, Theorem, render
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers.table import rules_for


@pytest.fixture(scope="module")
def run():
    return run_target(target_named("fc"), numeric=False)


def _theorems(document, kind="theorem"):
    return [block for section in document.sections for block in section.blocks
            if isinstance(block, Theorem) and block.kind == kind]


def _derivations(theorem):
    return [block for block in theorem.proof if isinstance(block, Derivation)]


def _statement(theorem) -> Equation:
    return next(block for block in theorem.statement if isinstance(block, Equation))


def test_each_rule_is_a_theorem_proved_by_one_derivation_ending_in_the_index_to_matrix_step(run):
    theorems = _theorems(fc_document(run))
    assert len(theorems) == len(rules_for("fc"))
    for theorem in theorems:
        (derivation,) = _derivations(theorem)
        last, why, source = derivation.rows[-1]
        assert isinstance(last, fc_checks.Entry), (theorem.title, last)
        assert last.matrix == _statement(theorem).rhs, theorem.title  # an entry of the stated closed form
        words = why.parts[0] if isinstance(why, Text) else why  # "entry ", then the indices as a formula
        assert words.startswith("entry ") and "index-to-matrix" in source.ref and source.valid, (theorem.title, why)
        assert not isinstance(derivation.rows[-2][0], fc_checks.Entry)  # the derived generic entry before it
        assert any(isinstance(block, ShapeCheck) for block in theorem.proof), theorem.title


def test_no_derivation_shows_an_empty_step(run):
    # issue 14: "sum g x = sum g x [linearity]" said nothing
    document = fc_document(run)
    for theorem in _theorems(document) + _theorems(document, "corollary"):
        for derivation in _derivations(theorem):
            shown = [derivation.lhs] + [rhs for rhs, _, _ in derivation.rows]
            assert all(before != after for before, after in zip(shown, shown[1:])), theorem.title


def test_the_seeds_layouts_end_each_rule_in_the_same_step(run):
    # the index-to-matrix step, unless it would change nothing (seed 000's bias: g_p is entry p of g)
    from gradproof.proofs.fc_proof import printed

    corollaries = _theorems(fc_document(run), "corollary")
    assert [c.title.split(":")[0] for c in corollaries] == ["Seed 000", "Seed 001", "Seed 001"]
    trivial = 0
    for corollary in corollaries:
        derivations = _derivations(corollary)
        assert len(derivations) == 3
        for derivation in derivations:
            last, _, source = derivation.rows[-1]
            if not isinstance(last, fc_checks.Entry):
                (only,) = derivation.rows
                variable = derivation.lhs.variables[0]
                entry = fc_checks.Entry(MatrixSymbol("g", 1, 1), *variable.indices)
                assert printed(last) == printed(entry), (corollary.title, last)
                trivial += 1
            assert source.valid
    assert trivial == 1


def _weight_proof(run, layout="linear.torch"):
    result = run.rule("linear.weight")
    index = [eqs.name for eqs in result.rule.presentations].index(layout)
    return result.verdicts.general.evidence[index]


def test_the_index_to_matrix_check_holds_for_the_true_matrix_and_refutes_wrong_ones(run):
    proof = _weight_proof(run)
    symbols = proof.equations.matrix_symbols()
    grad, x = symbols["grad_output"], symbols["x"]
    proved = fc_checks.index_to_matrix(proof, grad.T * x, run.sizes)
    assert proved.holds is True and "symbolic sizes" in proved.reason
    transposed = fc_checks.index_to_matrix(proof, x.T * grad, run.sizes)
    assert transposed.holds is False and "3 by 2" in transposed.reason  # X^T G is D_in x D_out, W is D_out x D_in
    doubled = fc_checks.index_to_matrix(proof, 2 * grad.T * x, run.sizes)
    assert doubled.holds is False and doubled.reason.startswith("entry (1, 1)")


def test_a_wrong_mask_is_refuted_in_the_relu_step(run):
    proof = run.rule("relu.input").verdicts.general.evidence[0]
    symbols = proof.equations.matrix_symbols()
    wrong = fc_checks.index_to_matrix(proof, HadamardProduct(symbols["mask"], symbols["mask"]), run.sizes)
    assert wrong.holds is False


@pytest.fixture
def transposed_weight_rule(monkeypatch):
    """A planted fault: linear.weight's closed form X^T G instead of G^T X (the layouts' confusion)."""
    def planted(layer):
        rules = tuple(dataclasses.replace(rule, closed_form=lambda o: o["x"].T * o["grad_output"])
                      if rule.name == "linear.weight" else rule for rule in layer.rules)
        return dataclasses.replace(layer, rules=rules)

    honest = targets.layers_for
    monkeypatch.setattr(targets, "layers_for", lambda name: tuple(map(planted, honest(name))))


def test_a_transposed_weight_rule_fails_its_index_step_but_not_its_derivation(transposed_weight_rule):
    document = fc_document(run_target(target_named("fc"), numeric=False))
    weight = next(t for t in _theorems(document) if "weight" in t.title)
    (derivation,) = _derivations(weight)
    assert all(source.valid for _, _, source in derivation.rows[:-1])  # chain rule ... sifting do not use the rule
    assert not derivation.rows[-1][2].valid
    assert not _statement(weight).source.valid
    text = " ".join(part for block in weight.proof if isinstance(block, Text) for part in block.parts
                    if isinstance(part, str))
    assert "index-to-matrix step FAILS" in text and "NOT proved" in text and "are equal" not in text
    assert "FAILS" in render(document)


def _all_blocks(document):
    for section in document.sections:
        for block in section.blocks:
            yield block
            if isinstance(block, Theorem):
                yield from block.statement + block.proof


def test_references_by_number_point_at_the_numbered_block(run):
    # amsthm numbers definitions, theorems, the example and the corollaries with one counter, in document order;
    # fc.pdf's references are document.ref markers numbered by that order (no registry of its own)
    from gradproof.proofs.document import number_references, ref, theorem_numbers
    from gradproof.proofs.fc_display import TITLES, cite

    document = fc_document(run)
    numbered = [block for block in _all_blocks(document) if isinstance(block, Theorem)]
    numbers = theorem_numbers(document)
    assert len(numbered) == len(numbers) == 13
    expected = {"linear": ("definition", "Linear"), "linear.weight": ("theorem", "weight"),
                "linear.input": ("theorem", "input"), "relu.input": ("theorem", "ReLU"),
                "squared_loss": ("definition", "Squared loss"), "squared_loss.prediction": ("theorem", "squared loss")}
    for key, (kind, word) in expected.items():
        block = numbered[numbers[TITLES[key]][1] - 1]
        assert block.kind == kind and word in block.title, (key, block.kind, block.title)
        assert cite(key) == ref(kind, TITLES[key])
    said = number_references(Document("t", (Section("s", tuple(numbered) + (Text.of(cite("linear.seed000")),)),)))
    assert said.sections[0].blocks[-1].parts == ("Corollary 11",)


def test_prose_carries_no_code_or_unfilled_template(run):
    # fc.pdf's own prose (the notation sheet, sections[0], is shared by the four documents and checked with them)
    document = fc_document(run)
    for block in _all_blocks(dataclasses.replace(document, sections=document.sections[1:])):
        if isinstance(block, Text):
            for part in block.parts:
                if isinstance(part, str):
                    assert not any(mark in part for mark in "{}$_\\"), part


def test_a_wrong_derivation_step_is_refuted_by_the_chain_rule_at_concrete_sizes(run):
    result = run.rule("linear.input")
    proof, check = result.verdicts.general.evidence[0], result.verdicts.concrete.evidence[0]
    assert fc_checks.derivation_at_sizes(proof, check).holds is True
    wrong = proof.left_steps[-1][0].xreplace({proof.rows[0]: proof.cols[0], proof.cols[0]: proof.rows[0]})
    planted = dataclasses.replace(proof, left_steps=proof.left_steps[:-1] + ((wrong, "indices swapped"),))
    refuted = fc_checks.derivation_at_sizes(planted, check)
    assert refuted.holds is False and "SymPy's chain rule" in refuted.reason


def test_the_document_uses_the_notation_sheets_symbols(run):
    # issue 14 item 3: the loss is L (not xi), the batch N, a Linear layer's sizes D_in and D_out (not B, M)
    document = fc_document(run)
    tex = render(dataclasses.replace(document, sections=document.sections[1:]))
    assert r"\xi" not in tex
    assert r"D_{\mathrm{in}}" in tex and r"D_{\mathrm{out}}" in tex
    for stale in ("1 \\leq i \\leq B", "^{B}", "^{M}", "{k=1}^{M}"):
        assert stale not in tex, stale


def _words(why) -> str:
    """A justification's words (a ``Text`` justification's string parts)."""
    return why if isinstance(why, str) else "".join(part for part in why.parts if isinstance(part, str))


def _differentials_paragraphs(document):
    section = next(s for s in document.sections if s.title == "The Linear layer")
    start = next(n for n, block in enumerate(section.blocks)
                 if isinstance(block, Text) and "The same by differentials" in str(block.parts[0]))
    return section.blocks[start:start + 5]


def test_theorem_2_is_derived_again_by_differentials_and_read_off(run):
    lead, derivation, _, read_off, verdict = _differentials_paragraphs(fc_document(run))
    assert isinstance(derivation, Derivation) and all(source.valid for _, _, source in derivation.rows)
    words = [_words(why) for _, why, _ in derivation.rows]
    assert [why.split(";")[0] for why in words][:1] == ["trace"]
    assert "cyclic property of the trace" in words[-1]
    assert any(isinstance(why, Text) and "fixed" in _words(why) for _, why, _ in derivation.rows)  # G, X, b as math
    assert isinstance(read_off, Equation) and read_off.source.valid and str(read_off.rhs) == "G.T*X"
    assert "This is the closed form of Theorem 2" in verdict.parts[0]


def test_a_doubled_weight_rule_differs_from_the_derivation_by_differentials(doubled_weight_rule):
    document = fc_document(run_target(target_named("fc"), numeric=False))
    *_, read_off, verdict = _differentials_paragraphs(document)
    assert str(read_off.rhs) == "G.T*X" and read_off.source.valid  # the differentials do not use the rule table
    assert "DIFFERS from the closed form of Theorem 2" in verdict.parts[0]

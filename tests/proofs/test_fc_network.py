"""fc.pdf follow-ups (issue 14): references produced from the block numbers, seed 002's network with its loss
and one integer run, delta only for Kronecker, maths in prose as math, fc_checks' verdicts in the report.

Each test can fail: a planted wrong reference, a planted wrong rule, a planted wrong displayed loss are refused.
"""

import dataclasses
import itertools
import re

import numpy as np
import pytest
from sympy import (
    Add,
    HadamardProduct,
    Identity,
    ImmutableMatrix,
    MatAdd,
    Matrix,
    MatrixSymbol,
    OneMatrix,
    ZeroMatrix,
)

from gradproof.numeric.layers import Linear, ReLU
from gradproof.numeric.losses import SquaredLoss
from gradproof.proofs import fc_network
from gradproof.proofs.document import Aligned, Derivation, Equation, Math, Section, SideBySide, Text, Theorem, render
from gradproof.proofs.fc_display import Then
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers.table import rule_named
from gradproof.symbolic.seeds.network import verify_network


@pytest.fixture(scope="module")
def run():
    return run_target(target_named("fc"), numeric=False)


@pytest.fixture(scope="module")
def document(run):
    return fc_document(run)


def _all_blocks(blocks):
    for block in blocks:
        yield block
        if isinstance(block, Theorem):
            yield from _all_blocks(block.statement + block.proof)


def _numbered(document):
    return [block for section in document.sections for block in _all_blocks(section.blocks)
            if isinstance(block, Theorem)]


def _words(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return "".join(part for part in value.parts if isinstance(part, str))
    return ""


# --- references ----------------------------------------------------------------------------------------------

_REFERENCE = re.compile(r"\b(Definition|Theorem|Lemma|Corollary|Example)s? (\d+(?:-\d+)?(?:(?:, | and )\d+)*)")


def _numbers(text: str) -> list[int]:
    numbers = []
    for piece in re.split(r", | and ", text):
        low, _, high = piece.partition("-")
        numbers += list(range(int(low), int(high or low) + 1))
    return numbers


def _same_form(left, right, names: dict) -> bool:
    """Is ``left`` ``right`` up to a consistent renaming of matrix symbols (shapes ignored)? Sums and entrywise
    products in any order."""
    if isinstance(left, MatrixSymbol) and isinstance(right, MatrixSymbol):
        return names.setdefault(left.name, right.name) == right.name
    if isinstance(left, (OneMatrix, Identity, ZeroMatrix)):
        return type(left) is type(right)
    if type(left) is not type(right) or len(left.args) != len(right.args):
        return False
    if not left.args:
        return left == right
    orders = itertools.permutations(right.args) if isinstance(left, (MatAdd, Add, HadamardProduct)) else [right.args]
    for order in orders:
        trial = dict(names)
        if all(_same_form(a, b, trial) for a, b in zip(left.args, order)):
            names.update(trial)
            return True
    return False


def _stated(block) -> list:
    """The closed forms a numbered block states (the right-hand sides of its statement's equations)."""
    rows = []
    for item in block.statement:
        if isinstance(item, Equation):
            rows.append(item.rhs)
        elif isinstance(item, (Aligned, SideBySide)):
            rows += [row.rhs for row in item.rows]
    return rows


def _justified(document):
    """(justification words, the formula it justifies) for every displayed row of the document."""
    for section in document.sections:
        for block in _all_blocks(section.blocks):
            if isinstance(block, Derivation):
                yield from ((_words(why), rhs) for rhs, why, _ in block.rows)
            elif isinstance(block, Aligned):
                yield from ((_words(row.rule), row.rhs) for row in block.rows)
            elif isinstance(block, Equation):
                yield _words(block.rule), block.rhs


def _prose(document):
    for section in document.sections[1:]:  # the notation sheet is shared by the four documents
        for block in _all_blocks(section.blocks):
            if isinstance(block, Text):
                yield _words(block)


def wrong_references(document) -> list[str]:
    """Each "Theorem k" / "Corollary k" ... whose block is not of that kind, or, where it justifies a displayed
    formula, whose block does not state that formula (up to renaming its symbols)."""
    numbered = _numbered(document)
    wrong = []
    texts = [(text, None) for text in _prose(document)] + list(_justified(document))
    for text, formula in texts:
        for kind, numbers in _REFERENCE.findall(text):
            for number in _numbers(numbers):
                if not 1 <= number <= len(numbered) or numbered[number - 1].kind != kind.lower():
                    wrong.append(f"{kind} {number}: no such block")
                    continue
                if formula is None:
                    continue
                closed = formula.args[0] if isinstance(formula, Then) else formula
                if not any(_same_form(closed, stated, {}) for stated in _stated(numbered[number - 1])):
                    wrong.append(f"{kind} {number} does not state {closed}")
    return wrong


def test_every_reference_points_at_a_block_of_its_kind_stating_the_formula(document):
    assert wrong_references(document) == []
    text = " ".join(words for words, _ in _justified(document))
    assert "Corollary 11, seed 002 (1)" in text  # the column-layout rule, not the batch layout's Theorem 2


def _replace_rule(document, old: str, new: str):
    """The document with one network row's justification retyped (the mistake of the head build)."""
    sections = []
    for section in document.sections:
        blocks = []
        for block in section.blocks:
            if isinstance(block, Aligned) and any(row.rule == old for row in block.rows):
                block = Aligned(tuple(dataclasses.replace(row, rule=new) if row.rule == old else row
                                      for row in block.rows))
            blocks.append(block)
        sections.append(Section(section.title, tuple(blocks), section.level))
    return dataclasses.replace(document, sections=tuple(sections))


def test_a_typed_theorem_for_the_corollary_is_caught(document):
    planted = _replace_rule(document, "Corollary 11, seed 002 (1)", "Theorem 2, seed 002 (1)")
    assert any(problem.startswith("Theorem 2 does not state") for problem in wrong_references(planted))
    wrong_kind = _replace_rule(document, "Corollary 11, seed 002 (1)", "Theorem 11, seed 002 (1)")
    assert "Theorem 11: no such block" in wrong_references(wrong_kind)


# --- seed 002's network ---------------------------------------------------------------------------------------

def _network(document) -> Section:
    return next(section for section in document.sections if section.title.startswith("Seed 002"))


def _independent_numeric_run(inputs):
    """The network by the numeric layers, written here again: one sample as a row."""
    def array(key):
        return np.array(inputs[key], dtype=float)

    first, second = Linear(3, 2), Linear(2, 2)
    for layer, m in ((first, 1), (second, 2)):
        layer.params["weight"][...] = array(f"W^{{{m}}}")
        layer.params["bias"][...] = array(f"b^{{{m}}}").reshape(-1)
    relu, loss = ReLU(), SquaredLoss("sum")
    output = second.forward(relu.forward(first.forward(array("z^{1}").T)))
    g2 = loss.gradient(output, array("t").T)
    dz2 = second.backward(g2)
    g1 = relu.backward(dz2)
    dz1 = first.backward(g1)
    return [g2.T, second.grads["weight"], second.grads["bias"], dz2.T, g1.T, first.grads["weight"],
            first.grads["bias"], dz1.T]


def test_the_network_section_displays_its_loss_and_an_integer_run_equal_to_the_numeric_layers(document):
    section = _network(document)
    _, equations, _, inputs, _, backward, verdict = section.blocks
    assert str(equations.rows[-1].lhs) == "L" and "Sum" in str(type(equations.rows[-1].rhs))  # the loss, displayed
    assert all(row.source.valid for row in equations.rows + backward.rows)
    numbers = dict(fc_network.NETWORK_INPUTS)
    assert [str(row.lhs) for row in inputs.rows] == ["W^{(1)}", "W^{(2)}"]
    shown = []
    for row in backward.rows:
        value = row.rhs.args[-1]
        shown.append(np.array(value.doit().tolist() if not isinstance(value, ImmutableMatrix) else value.tolist(),
                              dtype=float))
    expected = _independent_numeric_run(numbers)
    assert len(shown) == len(expected) == 8
    for value, numeric in zip(shown, expected):
        np.testing.assert_array_equal(value.reshape(numeric.shape), numeric)  # small integers: exact
    assert any(value.size > 1 and (value == 0).any() for value in shown)  # the ReLU masks an entry
    assert "agree at every step" in _words(verdict)


def test_a_wrong_rule_makes_the_integer_run_disagree_with_the_numeric_layers():
    honest = rule_named("linear.input")
    doubled = dataclasses.replace(honest, closed_form=lambda o: 2 * honest.closed_form(o))
    planted = fc_network.network_integer_run(rules={"linear.input": doubled})
    assert not planted.holds and "linear.input" in planted.mismatch
    assert fc_network.network_integer_run().holds


def test_a_displayed_loss_that_is_not_the_differentiated_one_is_refused():
    check = verify_network((3, 2, 2))
    assert fc_network.network_forms(check).holds
    halved = fc_network.network_forms(dataclasses.replace(check, loss=check.loss / 2))
    assert not halved.holds and "L" in halved.reason
    shifted = dict(check.forward)
    shifted["s^{1}"] = shifted["s^{1}"] + Matrix([1, 0])
    assert "s^1" in fc_network.network_forms(dataclasses.replace(check, forward=shifted)).reason


# --- notation: delta is Kronecker's only; maths in prose is math ----------------------------------------------

def test_delta_is_only_the_kronecker_delta(document):
    tex = render(dataclasses.replace(document, sections=document.sections[1:]))
    assert r"\Delta" not in tex
    deltas = re.findall(r"\\delta(.{0,12})", tex)
    assert deltas and all(re.match(r"_\{[a-z] [a-z]\}", after) for after in deltas), deltas


_PLAIN_MATHS = re.compile(r"[=<>^]|\b[A-Za-z]\[|relu\(|\b\d/[A-Za-z]\b|\b[A-Za-z]\^|\bxi\b")


def test_prose_has_no_plain_text_maths(document):
    offending = [text for text in _prose(document) if _PLAIN_MATHS.search(text)]
    assert offending == []
    assert _PLAIN_MATHS.search("y = x W^T + b") and _PLAIN_MATHS.search("the mask I[S]")  # the detector detects


def test_no_formula_is_a_truth_value(document):
    # an Eq that SymPy evaluates (a matrix against a scalar) prints as "False": the formula is lost
    from sympy.logic.boolalg import BooleanAtom

    for section in document.sections:
        for block in _all_blocks(section.blocks):
            for part in block.parts if isinstance(block, Text) else ():
                assert not (isinstance(part, Math) and isinstance(part.value, (bool, BooleanAtom))), block
    tex = render(document)
    assert not re.search(r"\$(True|False)\$|= (True|False)\b", tex)


def test_formulas_in_prose_are_math(document):
    seed000 = next(block for block in _numbered(document) if block.title.startswith("Seed 000"))
    formulas = [str(part.value) for part in seed000.statement[0].parts if isinstance(part, Math)]
    assert "Eq(y, W*x + b)" in formulas and "g" in formulas


# --- fc_checks' verdicts are statements of the run (listed by the report) -------------------------------------

_LISTED = ("seed 002 network (1)-(4) in small integers", "each rule's derivation", "each rule's index-to-matrix step",
           "weight gradient by differentials", "Linear worked example", "ReLU + squared loss worked example",
           "seed 002 network as displayed")


def test_fc_checks_verdicts_are_listed_with_the_runs_statements(run):
    labels = [label for label, _, _ in run.derivation.extras]
    for wanted in _LISTED:
        assert sum(label.startswith(wanted) for label in labels) == 1, (wanted, labels)
    assert all(holds for _, holds, _ in run.derivation.extras)


def test_a_doubled_weight_rule_fails_the_listed_index_step_and_differentials(doubled_weight_rule):
    extras = {label: (holds, detail) for label, holds, detail in
              run_target(target_named("fc"), numeric=False).derivation.extras}
    index = next(value for label, value in extras.items() if label.startswith("each rule's index-to-matrix"))
    assert index[0] is False and "linear.weight" in index[1]
    differentials = next(value for label, value in extras.items() if label.startswith("weight gradient by"))
    assert differentials[0] is False and "DIFFERS" in differentials[1]


def test_each_rules_closed_form_is_displayed_in_every_layout_with_the_sheets_letters(document):
    # seed 000's upstream gradient is displayed as g (its Delta y renamed at render time), every other letter as is
    from gradproof.proofs.document import latex
    from gradproof.proofs.fc_display import shown
    from gradproof.symbolic.engine.derive import closed_form_in
    from gradproof.symbolic.layers.table import rules_for

    tex = render(document)
    for rule in rules_for("fc"):
        for equations in rule.presentations:
            closed = shown(equations, closed_form_in(rule, equations, equations.matrix_symbols()))
            assert latex(closed) in tex, (rule.name, equations.name)
            if equations.name == "linear.seed000":
                assert "g" in {symbol.name for symbol in closed.atoms(MatrixSymbol)}, closed

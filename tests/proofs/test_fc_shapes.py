"""Every shape check of fc.pdf is consistent (a student read found seed 000's g shown as N × 1, N the batch,
because g's shape kept seed 000's own N, its output size): adjacent factors agree on their inner size, the
product is (rows of the first) × (columns of the last), and each factor's shape is its matrix's own."""

import pytest
from sympy import Derivative, MatrixSymbol, symbols

from gradproof.proofs.document import Aligned, Equation, ShapeCheck, SideBySide, Theorem
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named


def _shape_checks(blocks):
    for block in blocks:
        if isinstance(block, ShapeCheck):
            yield block
        elif isinstance(block, Theorem):
            yield from _shape_checks(block.statement + block.proof)


def inconsistent(check: ShapeCheck) -> list[str]:
    """What is wrong with one shape check (empty when it is consistent)."""
    problems = []
    for (left, _, left_cols), (right, right_rows, _) in zip(check.factors, check.factors[1:]):
        if left_cols != right_rows:
            problems.append(f"{left} has {left_cols} columns, {right} has {right_rows} rows")
    for factor, rows, cols in check.factors:
        if getattr(factor, "shape", (rows, cols)) != (rows, cols):
            problems.append(f"{factor} is labelled {rows} × {cols} but is {factor.shape}")
    first, last = check.factors[0], check.factors[-1]
    if tuple(check.result) != (first[1], last[2]):
        problems.append(f"the product is {first[1]} × {last[2]}, shown as {check.result}")
    return problems


@pytest.fixture(scope="module")
def fc_shape_checks():
    document = fc_document(run_target(target_named("fc"), numeric=False))
    return [check for section in document.sections for check in _shape_checks(section.blocks)]


def test_every_shape_check_of_fc_pdf_is_consistent(fc_shape_checks):
    assert len(fc_shape_checks) >= 14  # three Linear rules in four layouts, ReLU, the squared loss
    assert {str(check.factors): inconsistent(check) for check in fc_shape_checks if inconsistent(check)} == {}


def _theorems(blocks):
    for block in blocks:
        if isinstance(block, Theorem):
            yield block


def test_each_shape_check_gives_the_shape_of_a_variable_its_theorem_differentiates():
    """Denominator layout: dL/dW has W's shape. Seed 000's g x^T shown as N × D_in (N the batch) is caught."""
    document = fc_document(run_target(target_named("fc"), numeric=False))
    checked = 0
    for section in document.sections:
        for theorem in _theorems(section.blocks):
            stated = [row for block in theorem.statement if isinstance(block, (Equation, Aligned, SideBySide))
                      for row in (block.rows if isinstance(block, (Aligned, SideBySide)) else (block,))]
            shapes = {row.lhs.variables[0].shape for row in stated
                      if isinstance(row.lhs, Derivative) and isinstance(row.lhs.variables[0], MatrixSymbol)}
            for check in _shape_checks(theorem.proof):
                assert tuple(check.result) in shapes, (theorem.title, check.factors, check.result, shapes)
                checked += 1
    assert checked >= 14


def test_the_consistency_check_sees_a_wrong_inner_size():
    n, d_out, d_in = symbols("N D_out D_in")
    g, x = MatrixSymbol("g", n, 1), MatrixSymbol("x", d_in, 1)
    assert inconsistent(ShapeCheck(((g, n, 1), (x.T, 1, d_in)), (n, d_in))) == []
    assert inconsistent(ShapeCheck(((g, d_out, 1), (x.T, 1, d_in)), (d_out, d_in)))  # g is N × 1, not D_out × 1
    assert inconsistent(ShapeCheck(((g, n, 1), (x, d_in, 1)), (n, 1)))

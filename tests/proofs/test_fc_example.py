"""fc.pdf's worked example: the numbers shown are the numeric Linear layer's (issue 14 item 4).

The test reads X, W, b, G and the three gradients from the document itself, runs ``numeric.layers.Linear``
on those inputs, and compares: a wrong closed form, a wrong number or a wrong layer all fail it.
"""

import dataclasses

import numpy as np
import pytest
from sympy import ImmutableMatrix

from gradproof.numeric.layers import Linear
from gradproof.proofs import fc_checks
from gradproof.proofs.document import Derivation, SideBySide, Theorem
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named
from gradproof.symbolic.layers.table import rule_named


@pytest.fixture(scope="module")
def example():
    document = fc_document(run_target(target_named("fc"), numeric=False))
    examples = [block for section in document.sections for block in section.blocks
                if isinstance(block, Theorem) and block.kind == "example"]
    assert [example.title for example in examples] == ["Linear layer in small integers",
                                                        "ReLU and the squared loss in small integers"]
    return examples[0]


def _array(matrix) -> np.ndarray:
    return np.array(matrix.tolist(), dtype=float)


def test_the_worked_example_shows_the_numeric_layers_gradients(example):
    inputs = next(block for block in example.statement if isinstance(block, SideBySide))
    x, weight, bias, grad = (_array(row.rhs) for row in inputs.rows)
    layer = Linear(x.shape[1], weight.shape[0])
    layer.params["weight"][...] = weight
    layer.params["bias"][...] = bias.reshape(-1)
    layer.forward(x)
    grad_input = layer.backward(grad)
    shown = [block.rows[-1][0] for block in example.statement if isinstance(block, Derivation)]
    assert len(shown) == 3
    for value, expected in zip(shown, (layer.grads["weight"], layer.grads["bias"], grad_input)):
        assert isinstance(value, ImmutableMatrix)
        np.testing.assert_array_equal(_array(value).reshape(expected.shape), expected)  # small integers: exact


def test_the_worked_example_is_small_integers_of_the_stated_sizes(example):
    matrices = [row.rhs for block in example.statement if isinstance(block, SideBySide) for row in block.rows]
    matrices += [block.rows[-1][0] for block in example.statement if isinstance(block, Derivation)]
    assert [m.shape for m in matrices[:4]] == [(2, 3), (2, 3), (2, 1), (2, 2)]  # X, W, b, G: N = 2, D_in 3, D_out 2
    for matrix in matrices:
        assert all(entry.is_Integer and abs(entry) <= 20 for entry in matrix), matrix


def test_a_wrong_closed_form_makes_the_example_disagree_with_the_layer():
    honest = rule_named("linear.bias")
    doubled = dataclasses.replace(honest, closed_form=lambda o: 2 * honest.closed_form(o))
    rules = {"weight": rule_named("linear.weight"), "bias": doubled, "x": rule_named("linear.input")}
    planted = fc_checks.linear_worked_example(rules=rules)
    assert not planted.holds and "bias" in planted.mismatch
    assert fc_checks.linear_worked_example().holds


@pytest.fixture(scope="module")
def relu_example():
    document = fc_document(run_target(target_named("fc"), numeric=False))
    return [block for section in document.sections for block in section.blocks
            if isinstance(block, Theorem) and block.kind == "example"][1]


def test_the_relu_and_loss_example_shows_the_numeric_layers_gradients(relu_example):
    from gradproof.numeric.layers import ReLU
    from gradproof.numeric.losses import SquaredLoss

    given = next(block for block in relu_example.statement if isinstance(block, SideBySide))
    pre, target = (_array(row.rhs) for row in given.rows)
    layer = ReLU()
    upstream = SquaredLoss("sum").gradient(layer.forward(pre), target)
    expected = (upstream, layer.backward(upstream))
    shown = [block.rows[-1][0] for block in relu_example.statement if isinstance(block, Derivation)]
    assert len(shown) == 2
    for value, numbers in zip(shown, expected):
        np.testing.assert_array_equal(_array(value), numbers)
    kink = pre == 0
    assert kink.any() and (upstream[kink] != 0).any()  # the example shows the convention relu'(0) = 0 at work


def test_a_wrong_relu_rule_makes_its_example_disagree_with_the_layer():
    from sympy import HadamardProduct

    honest = rule_named("relu.input")
    unmasked = dataclasses.replace(honest, closed_form=lambda o: HadamardProduct(o["grad_output"], o["grad_output"]))
    rules = {"prediction": rule_named("squared_loss.prediction"), "pre_activation": unmasked}
    planted = fc_checks.relu_loss_worked_example(rules=rules)
    assert not planted.holds and "dL/dS" in planted.mismatch
    assert fc_checks.relu_loss_worked_example().holds

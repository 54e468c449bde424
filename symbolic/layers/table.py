"""The rule table: every gradient rule once, with its closed form and its numeric function.

Each ``GradientRule`` names the canonical operand it differentiates by (``wrt``), its closed form
as a SymPy matrix expression of the canonical operands (written here and nowhere else), the
``numeric.rules`` function that implements it, and the presentations (scalar equations in the
seeds' layouts, ``symbolic.fc``) from which it is derived; the first presentation is the
canonical, PyTorch one. The CLI, the tests and the proof generator loop over ``RULES``.
"""

from __future__ import annotations

from sympy import HadamardProduct, OneMatrix

from gradproof.numeric.rules import fc as fc_rules
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.layers import fc


def linear_weight_closed_form(o):
    """dJ/dW = G^T X (seed 000: dW = dy x^T; seed 002 (1))."""
    return o["grad_output"].T * o["x"]


def linear_bias_closed_form(o):
    """dJ/db = G^T 1 (seed 000: db = dy; seed 001: sum over the batch; seed 002 (2))."""
    grad = o["grad_output"]
    return grad.T * OneMatrix(grad.rows, 1)


def linear_input_closed_form(o):
    """dJ/dX = G W (seed 000: dx = W^T dy; seed 002 (3))."""
    return o["grad_output"] * o["weight"]


def relu_input_closed_form(o):
    """dJ/dS = G ⊙ I[S] (seed 002 (4))."""
    return HadamardProduct(o["grad_output"], o["mask"])


def squared_loss_closed_form(o):
    """d xi/dZ = 2 (Z - Y) (seed 002, the start of the backward pass)."""
    return 2 * (o["prediction"] - o["target"])


_LINEAR_PRESENTATIONS = (
    fc.LINEAR_TORCH,
    fc.LINEAR_SEED000,
    fc.LINEAR_SEED001_SUM,
    fc.LINEAR_SEED001_MEAN,
)

RULES: tuple[GradientRule, ...] = (
    GradientRule(
        name="linear.weight",
        target="fc",
        wrt="weight",
        summary="Linear layer, gradient with respect to the weight",
        seed_ref="seed 000 (dW = dy x^T); seed 001; seed 002 (1)",
        closed_form=linear_weight_closed_form,
        numeric_rule=fc_rules.linear_grad_weight,
        numeric_operands=("grad_output", "x"),
        presentations=_LINEAR_PRESENTATIONS,
    ),
    GradientRule(
        name="linear.bias",
        target="fc",
        wrt="bias",
        summary="Linear layer, gradient with respect to the bias",
        seed_ref="seed 000 (db = dy); seed 001; seed 002 (2)",
        closed_form=linear_bias_closed_form,
        numeric_rule=fc_rules.linear_grad_bias,
        numeric_operands=("grad_output",),
        presentations=_LINEAR_PRESENTATIONS,
    ),
    GradientRule(
        name="linear.input",
        target="fc",
        wrt="x",
        summary="Linear layer, gradient with respect to the input",
        seed_ref="seed 000 (dx = W^T dy); seed 001; seed 002 (3)",
        closed_form=linear_input_closed_form,
        numeric_rule=fc_rules.linear_grad_input,
        numeric_operands=("grad_output", "weight"),
        presentations=_LINEAR_PRESENTATIONS,
    ),
    GradientRule(
        name="relu.input",
        target="fc",
        wrt="pre_activation",
        summary="ReLU, gradient with respect to its input",
        seed_ref="seed 002 (4); seed 003 (element-wise case)",
        closed_form=relu_input_closed_form,
        numeric_rule=fc_rules.relu_grad_input,
        numeric_operands=("grad_output", "mask"),
        presentations=(fc.RELU,),
    ),
    GradientRule(
        name="squared_loss.prediction",
        target="fc",
        wrt="prediction",
        summary="Squared loss, gradient with respect to the prediction",
        seed_ref="seed 002 (2(z - y))",
        closed_form=squared_loss_closed_form,
        numeric_rule=fc_rules.squared_loss_grad,
        numeric_operands=("prediction", "target"),
        presentations=(fc.SQUARED_LOSS,),
    ),
)


def rules_for(target: str) -> tuple[GradientRule, ...]:
    """The rules a CLI target covers, in table order."""
    return tuple(rule for rule in RULES if rule.target == target)


def rule_named(name: str) -> GradientRule:
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(f"no rule {name!r}; rules are {[rule.name for rule in RULES]}")

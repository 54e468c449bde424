"""The rule table: every gradient rule of every layer, once (DESIGN.md section 2).

``LAYERS`` is an explicit tuple of ``LayerEntry`` records, one per layer; each holds its gradient
rules and the function that derives and verifies them (``gradproof.symbolic.layers.verify``). Each
``GradientRule`` gives its seed reference, its numeric function (``gradproof.numeric.rules``), the
finite-difference cases that exercise that function (``gradproof.numeric.cases``, picked by gradient key)
and, for the FC rules, its closed form: a SymPy matrix expression of the canonical (PyTorch-layout)
operands, written once in ``gradproof.symbolic.layers.builtin`` next to the built-in layer description
whose claim is its generic entry.

Every gradient rule is decided by the description engine users' layers go through
(``symbolic.layers.gradients``), from the layer descriptions shipped with the toolkit
(``symbolic.layers.builtin``): Linear, ReLU and the squared loss in every layout of the seeds
(``symbolic.layers.presentations``); Conv2d at several strides, paddings and dilations (``builtin.conv2d``;
its general verdict also needs ``conv_general``'s symbolic-geometry proof); max and average pooling at
several kernels, strides and paddings; Flatten; softmax cross-entropy; seed 004's objective with a Linear
layer's squared error per sample (``builtin.OBJECTIVE``). Their claims give the concrete and
general verdicts; each numeric rule, run on the description's symbols, is compared with the derived
gradient. The seeds' own symengine equations of Conv2d and pooling remain as labelled extra checks
(``verify`` says what each covers).

Seed 004's objective in general, f(theta) = |theta|^2/(2C) + (1/l) sum_i xi_i(theta) with the per-sample
losses xi_i unknown functions of theta (any network), is beyond the description language (a description has
no unknown functions: its equations are explicit in its entries); ``verify.verify_objective`` checks that
form with SymPy's unknown functions beside the engine's instance, and network.pdf proves it for every number
of samples l. ``sgd.step`` (M_new = M_old - mu df/dM) is a definition, not a gradient: SymPy at 3 parameters.

The derivations, the general-size proofs, the report, the numeric cross-checks and the proof documents
all loop over this table. Adding a layer means adding one ``LayerEntry`` here (its description in
``builtin``, its numeric rules in ``numeric.rules``).
"""

from __future__ import annotations

from gradproof.numeric import cases
from gradproof.numeric.rules import conv as conv_rules
from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.numeric.rules import fc as fc_rules
from gradproof.numeric.rules import objective as objective_rules
from gradproof.numeric.rules import pooling as pool_rules
from gradproof.symbolic.engine.rule import GradientRule, LayerEntry, NumericCheck
from gradproof.symbolic.layers import fc, verify
from gradproof.symbolic.layers.builtin import (
    linear_bias_closed_form,
    linear_input_closed_form,
    linear_weight_closed_form,
    relu_input_closed_form,
    squared_loss_closed_form,
)

_LINEAR_PRESENTATIONS = (
    fc.LINEAR_TORCH,
    fc.LINEAR_SEED000,
    fc.LINEAR_SEED001_SUM,
    fc.LINEAR_SEED001_MEAN,
)


def _on(case, wrt: str) -> tuple[NumericCheck, ...]:
    return (NumericCheck(case, wrt),)


def _on_conv(wrt: str) -> tuple[NumericCheck, ...]:
    return tuple(NumericCheck(case, wrt) for case in cases.CONV)


def _linear_rule(wrt: str, what: str, seed_ref: str, closed_form, numeric_rule, operands) -> GradientRule:
    return GradientRule(
        name=f"linear.{wrt if wrt != 'x' else 'input'}", target="fc", wrt=wrt,
        summary=f"Linear layer, gradient with respect to the {what}", seed_ref=seed_ref,
        numeric_rule=numeric_rule, numeric_checks=_on(cases.LINEAR, "input" if wrt == "x" else wrt),
        closed_form=closed_form, numeric_operands=operands, presentations=_LINEAR_PRESENTATIONS,
    )


def _conv_rule(wrt: str, seed_ref: str, numeric_rule) -> GradientRule:
    return GradientRule(
        name=f"conv2d.{wrt}", target="conv2d", wrt=wrt, summary=f"Conv2d, gradient with respect to the {wrt}",
        seed_ref=seed_ref, numeric_rule=numeric_rule, numeric_checks=_on_conv(wrt),
    )


LAYERS: tuple[LayerEntry, ...] = (
    LayerEntry("linear", "fc", (
        _linear_rule("weight", "weight", "seed 000 (dW = dy x^T); seed 001; seed 002 (1)",
                     linear_weight_closed_form, fc_rules.linear_grad_weight, ("grad_output", "x")),
        _linear_rule("bias", "bias", "seed 000 (db = dy); seed 001; seed 002 (2)",
                     linear_bias_closed_form, fc_rules.linear_grad_bias, ("grad_output",)),
        _linear_rule("x", "input", "seed 000 (dx = W^T dy); seed 001; seed 002 (3)",
                     linear_input_closed_form, fc_rules.linear_grad_input, ("grad_output", "weight")),
    ), verify.verify_presentations),
    LayerEntry("relu", "fc", (
        GradientRule(
            name="relu.input", target="fc", wrt="pre_activation", summary="ReLU, gradient with respect to its input",
            seed_ref="seed 002 (4); seed 003 (element-wise case)", numeric_rule=fc_rules.relu_grad_input,
            numeric_checks=_on(cases.RELU, "input") + _on(cases.RELU_AT_ZERO, "input"), closed_form=relu_input_closed_form,
            numeric_operands=("grad_output", "mask"), presentations=(fc.RELU,),
        ),
    ), verify.verify_presentations),
    LayerEntry("squared_loss", "fc", (
        GradientRule(
            name="squared_loss.prediction", target="fc", wrt="prediction",
            summary="Squared loss, gradient with respect to the prediction", seed_ref="seed 002 (2(z - y))",
            numeric_rule=fc_rules.squared_loss_grad,
            numeric_checks=_on(cases.SQUARED_SUM, "prediction") + _on(cases.SQUARED_MEAN, "prediction"),
            closed_form=squared_loss_closed_form, numeric_operands=("prediction", "target"),
            presentations=(fc.SQUARED_LOSS,),
        ),
    ), verify.verify_presentations),
    LayerEntry("conv2d", "conv2d", (
        _conv_rule("input", "seed 004 (P_pad^T P_phi^T vec(W^T G)); seed 003 (transposed convolution)",
                   conv_rules.conv2d_grad_input),
        _conv_rule("weight", "seed 003 (correlation of the padded input with G); seed 004",
                   conv_rules.conv2d_grad_weight),
        _conv_rule("bias", "sum of G over batch and positions", conv_rules.conv2d_grad_bias),
    ), verify.verify_conv),
    LayerEntry("pooling", "network", (
        GradientRule(
            name="maxpool2d.input", target="network", wrt="input", summary="Max pooling, gradient with respect to its input",
            seed_ref="seed 002 (P_pool^T dZ)", numeric_rule=pool_rules.maxpool_grad_input,
            numeric_checks=_on(cases.MAXPOOL, "input") + _on(cases.MAXPOOL_PADDED, "input"),
        ),
        GradientRule(
            name="avgpool2d.input", target="network", wrt="input",
            summary="Average pooling, gradient with respect to its input", seed_ref="average pooling (seed 003's notation)",
            numeric_rule=pool_rules.avgpool_grad_input,
            numeric_checks=_on(cases.AVGPOOL, "input") + _on(cases.AVGPOOL_PADDED, "input"),
        ),
    ), verify.verify_pooling),
    LayerEntry("flatten", "network", (
        GradientRule(
            name="flatten.input", target="network", wrt="input", summary="Flatten, gradient with respect to its input",
            seed_ref="reshape (seed 004's vec)", numeric_rule=pool_rules.flatten_grad_input, numeric_checks=_on(cases.FLATTEN, "input"),
        ),
    ), verify.verify_flatten_layer),
    LayerEntry("cross_entropy", "network", (
        GradientRule(
            name="cross_entropy.logits", target="network", wrt="logits",
            summary="Softmax cross-entropy, gradient with respect to the logits",
            seed_ref="softmax - onehot, averaged over the batch", numeric_rule=cross_entropy_rules.cross_entropy_grad,
            numeric_checks=_on(cases.CROSS_ENTROPY, "prediction") + _on(cases.CROSS_ENTROPY_HUGE_LOGITS, "prediction"),
        ),
    ), verify.verify_cross_entropy),
    LayerEntry("objective", "network", (
        GradientRule(
            name="objective.theta", target="network", wrt="theta",
            summary="Regularized objective, gradient with respect to the parameters",
            seed_ref="seed 004 (1), (2)", numeric_rule=objective_rules.objective_grad,
            numeric_checks=_on(cases.SMALL_CNN_OBJECTIVE, "*"),
        ),
        GradientRule(
            name="sgd.step", target="network", wrt="theta", summary="The SGD step on the objective",
            seed_ref="seed 003 (M_new = M_old - mu dL/dM)", numeric_rule=objective_rules.sgd_update,
            numeric_checks=_on(cases.SGD_STEP, "*"),
        ),
    ), verify.verify_objective),
)

RULES: tuple[GradientRule, ...] = tuple(rule for layer in LAYERS for rule in layer.rules)


def layers_for(target: str) -> tuple[LayerEntry, ...]:
    """The layer entries a CLI target covers, in table order."""
    return tuple(layer for layer in LAYERS if layer.target == target)


def rules_for(target: str) -> tuple[GradientRule, ...]:
    """The rules a CLI target covers, in table order."""
    return tuple(rule for rule in RULES if rule.target == target)


def rule_named(name: str) -> GradientRule:
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(f"no rule {name!r}; rules are {[rule.name for rule in RULES]}")

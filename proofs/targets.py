"""CLI targets: what ``gradproof derive|prove|check TARGET`` runs, as one explicit table.

A target bundles the rules it derives (from ``symbolic.rules``), the proof document it writes,
and the numeric finite-difference checks it runs. Each rule names the check report that
exercises its numeric implementation, so the report can put both on one row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradproof.numeric import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    SquaredLoss,
    check_layer,
    check_loss,
    check_model_with_loss,
)
from gradproof.numeric import kron as kron_numeric
from gradproof.numeric.gradcheck import check_objective, check_random_projections, compare
from gradproof.numeric.train import digits_cnn
from gradproof.proofs import conv_proof, fc_proof, kron_proof, network_proof
from gradproof.proofs.results import CheckedStatement, ConvGradientResult, Derivation, IdentityResult, RuleResult
from gradproof.symbolic.engine.derive import numeric_rule_mismatch, verify_concrete, verify_general
from gradproof.symbolic.engine.identities import (
    IdentityClaim,
    prove_general,
    sweep,
)
from gradproof.symbolic.engine.rule import GradientRule
from gradproof.symbolic.layers import conv
from gradproof.symbolic.layers.conv_general import general_proofs
from gradproof.symbolic.layers.losses import cross_entropy_check, objective_check
from gradproof.symbolic.layers.pooling import pooling_grid, verify_avgpool, verify_flatten, verify_maxpool
from gradproof.symbolic.layers.table import rules_for
from gradproof.symbolic.seeds.conv_matrix import seed003_example
from gradproof.symbolic.seeds.conv_vector_form import fc_special_case, seed004_check
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.network import verify_network
from gradproof.symbolic.seeds.theorem import counterexamples, theorem_for_all_selections, worked_example
from gradproof.symbolic.seeds.vector_form import (
    JACOBIANS,
    VECTOR_FORM_IDENTITIES,
    check_jacobian,
    prove_jacobian_general,
)

SIZE_ROLES = ("batch", "in", "out", "features")


def derive_rule(rule: GradientRule, sizes: dict) -> RuleResult:
    """Verify one rule in every presentation, for ``sizes`` and for general sizes."""
    concrete = tuple(
        verify_concrete(rule, equations, equations.sizes_from(sizes))
        for equations in rule.presentations
    )
    general = tuple(verify_general(rule, equations) for equations in rule.presentations)
    numeric = numeric_rule_mismatch(rule, rule.canonical.sizes_from(sizes))
    return RuleResult(rule, concrete, general, numeric)


def derive_fc(sizes: dict) -> Derivation:
    network = verify_network((sizes["in"], sizes["features"], sizes["out"]))
    detail = f"backprop by the rule table == SymPy's direct derivative, widths {network.sizes}"
    rules = tuple(derive_rule(rule, sizes) for rule in rules_for("fc"))
    return Derivation(rules, (("seed 002 network (1)-(4)", network.holds, detail),))


def derive_identity(claim: IdentityClaim, max_size: int = 4) -> IdentityResult:
    return IdentityResult(claim, sweep(claim, max_size), prove_general(claim) if claim.general else None)


def derive_kron(sizes: dict) -> Derivation:
    rows = tuple(derive_identity(claim) for claim in KRON_IDENTITIES + VECTOR_FORM_IDENTITIES)
    refused = sweep(FALSE_CLAIM, 4)
    extras = [("false claim " + FALSE_CLAIM.key + " refused", not refused.holds,
               refused.counterexample.describe() if refused.counterexample else "it was NOT refused")]
    for claim in JACOBIANS:
        concrete = check_jacobian(claim, sizes)
        general = prove_jacobian_general(claim)
        extras.append((f"{claim.key}: {claim.seed_ref}", concrete.holds and general.holds,
                       f"derived from scalar equations; concrete {sizes}: {concrete.holds}, general sizes: {general.holds}"))
    return Derivation(rows, tuple(extras))


CONV_GRADIENTS = (
    ("conv2d.input", "seed 004 (P_pad^T P_phi^T vec(W^T G)); seed 003 (transposed convolution)", "input",
     ("input", "input_transposed")),
    ("conv2d.weight", "seed 003 (correlation of the padded input with G); seed 004", "weight", ("weight",)),
    ("conv2d.bias", "sum of G over batch and positions", "bias", ("bias",)),
)


def derive_conv(sizes: dict) -> Derivation:
    results = tuple(conv.verify(geometry) for geometry in conv.geometry_grid())
    general = {proof.gradient: proof.holds for proof in general_proofs()}
    rows = tuple(
        ConvGradientResult(name, ref, results, gradient, forms, general_ok=general[gradient])
        for name, ref, gradient, forms in CONV_GRADIENTS
    )
    forward_ok = all(conv.forward_matches_equations(geometry) for geometry in conv.geometry_grid())
    example = seed003_example()
    seed004 = [seed004_check(geometry) for geometry in SEED004_GEOMETRIES]
    fc_case = fc_special_case()
    extras = (
        ("seed 004 (3)-(5) and its three gradients, P_pad and P_phi from the numeric operators",
         all(check.holds for check in seed004), f"{len(seed004)} geometries, incl. stride 2 and dilation 2"),
        ("seed 004: the FC layer as the special case phi(pad(z)) = I z", all(fc_case.values()),
         "the conv weight gradient equals the rule table's linear.weight"),
        ("numeric forward rule == scalar equations", forward_ok, f"{len(results)} grid configurations"),
        ("seed 003: backward pass is M^T dL/dy", example.backward_is_transpose, "3 x 3 input, padding 1"),
        ("seed 003: M^T is the rotated-kernel convolution", example.transpose_is_rotated_convolution, "9 x 9"),
        ("seed 003: dL/dw = Q^T dL/dy", example.weight_gradient_is_q_transpose, "9 x 9"),
    )
    return Derivation(rows, extras)


SEED004_GEOMETRIES = (
    conv.ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1),
    conv.ConvGeometry(1, 1, 2, 4, 5, 2, 2, 1, 2),
    conv.ConvGeometry(1, 2, 1, 3, 4, 3, 1, 0, 1),
)

CONV_CHECK_CONFIGS = (
    {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 1, "padding": 1, "dilation": 1},
    {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
    {"in_channels": 1, "out_channels": 2, "kernel_size": 2, "stride": 2, "padding": 0, "dilation": 1},
)


def _conv_name(config: dict) -> str:
    return "Conv2d(" + ", ".join(f"{key}={value}" for key, value in config.items()) + ")"


def check_conv(seed: int = 0, method: str = "central") -> list:
    """Finite differences of Conv2d per entry, for three configurations of the grid."""
    rng = np.random.default_rng(seed)
    reports = []
    for config in CONV_CHECK_CONFIGS:
        layer = Conv2d(**config, rng=rng)
        x = rng.standard_normal((2, config["in_channels"], 7, 6))
        reports += check_layer(layer, x, rng=rng, name=_conv_name(config), method=method)
    return reports


def derive_network(sizes: dict) -> Derivation:
    grid = list(pooling_grid())
    maxpool = [verify_maxpool(*config) for config in grid]
    avgpool = [verify_avgpool(*config) for config in grid]
    detail = f"{len(grid)} configurations, derived == numeric rule, forward == scalar equations"
    rows = (
        CheckedStatement("maxpool2d.input", "seed 002 (P_pool^T dZ)", all(map(all, maxpool)), detail,
                         "numeric.rules.pooling.maxpool_grad_input"),
        CheckedStatement("avgpool2d.input", "average pooling", all(map(all, avgpool)), detail,
                         "numeric.rules.pooling.avgpool_grad_input"),
        CheckedStatement("flatten.input", "reshape", all(verify_flatten(shape) for shape in ((1, 2, 3, 2), (2, 3, 2, 2))),
                         "2 shapes, derived == inverse reshape", "numeric.layers.Flatten.backward"),
        CheckedStatement("cross_entropy.logits", "softmax - onehot, averaged over the batch",
                         cross_entropy_check()["holds"], "batch 3, 3 classes", "numeric.rules.cross_entropy.cross_entropy_grad"),
        CheckedStatement("objective.theta", "seed 004 (1), (2); seed 003 update", objective_check()["holds"],
                         "3 parameters, 2 samples, unknown losses", "numeric.rules.objective.objective_grad"),
    )
    count, theorem = theorem_for_all_selections()
    example = worked_example()
    differing = counterexamples()
    extras = (
        ("seed 002 theorem (5) = (6) under ReLU + max pooling", theorem, f"all {count} selection matrices, symbolic"),
        ("seed 002 worked example", list(example["pooled"]) == [5, 4, 9, 6] and example["form5"] == example["form6"],
         f"P_pool vec(image) = {list(example['pooled'])}; (6) = {list(example['form6'])}"),
        ("(5) != (6) without the properties", all(a != b for a, b in differing.values()), ", ".join(differing)),
    )
    return Derivation(rows, extras)


def check_network(seed: int = 0, method: str = "central") -> list:
    """Layer checks, the objective per entry on a small CNN, random projections on the digits CNN."""
    rng = np.random.default_rng(seed)
    reports = check_layer(MaxPool2d(2), rng.standard_normal((2, 2, 4, 6)), rng=rng, name="MaxPool2d(2)", method=method)
    reports += check_layer(AvgPool2d(2, 1), rng.standard_normal((2, 2, 4, 5)), rng=rng, name="AvgPool2d(2, stride=1)",
                           method=method)
    reports += check_layer(Flatten(), rng.standard_normal((2, 3, 2, 2)), rng=rng, name="Flatten", method=method)
    reports.append(check_loss(SoftmaxCrossEntropy(), rng.standard_normal((5, 4)), rng.integers(0, 4, 5),
                              name="SoftmaxCrossEntropy", method=method))
    small = digits_cnn(rng, channels=(2, 2), classes=3)
    reports += check_objective(small, SoftmaxCrossEntropy(), rng.standard_normal((2, 1, 8, 8)), rng.integers(0, 3, 2),
                               regularization=10.0, name="small CNN, objective f", method=method)
    reports.append(check_random_projections(digits_cnn(rng), SoftmaxCrossEntropy(), rng.standard_normal((16, 1, 8, 8)),
                                            rng.integers(0, 10, 16), regularization=1000.0, rng=rng,
                                            name="digits CNN, objective f"))
    return reports


def check_kron(seed: int = 0, method: str = "central") -> list:
    """Float64 checks that numeric.kron's vec, vec_r, mat and kron satisfy the identities."""
    rng = np.random.default_rng(seed)
    a, x, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 2))
    cases = (
        ("numeric vec_AXB", kron_numeric.vec(a @ x @ b), kron_numeric.kron(b.T, a) @ kron_numeric.vec(x)),
        ("numeric vec_r_AXB", kron_numeric.vec_r(a @ x @ b), kron_numeric.kron(a, b.T) @ kron_numeric.vec_r(x)),
        ("numeric vec_AB_left", kron_numeric.vec(a @ x), kron_numeric.kron(np.eye(5), a) @ kron_numeric.vec(x)),
        ("numeric mat(vec(X)) = X", kron_numeric.mat(kron_numeric.vec(x), x.shape), x),
    )
    return [compare(name, left, right, method="float64 evaluation", evaluations=1, rtol=1e-12, atol=1e-12)
            for name, left, right in cases]


def _away_from_zero(rng, shape, low=0.1):
    """Random values with |v| >= low, so ReLU's kink is farther than any finite-difference step."""
    return rng.uniform(low, 1.0, shape) * rng.choice([-1.0, 1.0], shape)


def check_fc(seed: int = 0, method: str = "central") -> list:
    """Finite-difference checks of Linear, ReLU, the squared loss and a two-layer FC network."""
    rng = np.random.default_rng(seed)
    reports = check_layer(Linear(3, 2, rng=rng), rng.standard_normal((4, 3)), rng=rng, name="Linear", method=method)
    reports += check_layer(ReLU(), _away_from_zero(rng, (4, 5)), rng=rng, name="ReLU", method=method)
    for reduction in ("sum", "mean"):
        loss = SquaredLoss(reduction)
        reports.append(
            check_loss(loss, rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), name=f"SquaredLoss({reduction})",
                       method=method)
        )
    network = Sequential(Linear(4, 6, rng=rng), ReLU(), Linear(6, 3, rng=rng))
    x, target = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    reports += check_model_with_loss(network, SquaredLoss(), x, target, name="Linear-ReLU-Linear + SquaredLoss",
                                     method=method)
    return reports


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    default_sizes: dict
    derive: Callable[[dict], Derivation]
    document: Callable
    check: Callable[..., list]  # (seed, method) -> reports
    check_for_rule: dict
    listing: Callable[[], tuple[tuple[str, str], ...]]  # (name, seed reference) of each item


TARGETS: tuple[Target, ...] = (
    Target(
        name="fc",
        description="fully-connected layer, ReLU and squared loss (seeds 000, 001, 002)",
        default_sizes=dict(fc_proof.DEFAULT_SIZES),
        derive=derive_fc,
        document=fc_proof.fc_document,
        check=check_fc,
        listing=lambda: tuple((rule.name, rule.seed_ref) for rule in rules_for("fc")),
        check_for_rule={
            "linear.weight": "Linear d/dweight",
            "linear.bias": "Linear d/dbias",
            "linear.input": "Linear d/dinput",
            "relu.input": "ReLU d/dinput",
            "squared_loss.prediction": "SquaredLoss(sum) d/dprediction",
        },
    ),
    Target(
        name="kron",
        description="Kronecker/vec identities and the FC layer in vector form (seed 004, Matrix Cookbook)",
        default_sizes=dict(fc_proof.DEFAULT_SIZES),
        derive=derive_kron,
        document=lambda sizes: kron_proof.kron_document(),
        check=check_kron,
        listing=lambda: tuple(
            (item.key, item.seed_ref) for item in (*KRON_IDENTITIES, *VECTOR_FORM_IDENTITIES, *JACOBIANS, FALSE_CLAIM)
        ),
        check_for_rule={
            "vec_AXB": "numeric vec_AXB",
            "vec_r_AXB": "numeric vec_r_AXB",
            "vec_AB_left": "numeric vec_AB_left",
        },
    ),
    Target(
        name="conv2d",
        description="Conv2d with channels, batch, stride, padding, dilation (seed 003, PyTorch convention)",
        default_sizes=dict(fc_proof.DEFAULT_SIZES),
        derive=derive_conv,
        document=lambda sizes: conv_proof.conv_document(),
        check=check_conv,
        listing=lambda: tuple((name, ref) for name, ref, _, _ in CONV_GRADIENTS),
        check_for_rule={
            name: f"{_conv_name(CONV_CHECK_CONFIGS[0])} d/d{gradient}" for name, _, gradient, _ in CONV_GRADIENTS
        },
    ),
    Target(
        name="network",
        description="pooling, flatten, softmax cross-entropy, the objective, seed 002's theorem; a CNN's gradient",
        default_sizes=dict(fc_proof.DEFAULT_SIZES),
        derive=derive_network,
        document=lambda sizes: network_proof.network_document(),
        check=check_network,
        listing=lambda: (
            ("maxpool2d.input", "seed 002"), ("avgpool2d.input", "average pooling"), ("flatten.input", "reshape"),
            ("cross_entropy.logits", "softmax cross-entropy"), ("objective.theta", "seed 004 (1), (2); seed 003"),
            ("theorem (5) = (6)", "seed 002"), ("worked example", "seed 002"),
        ),
        check_for_rule={
            "maxpool2d.input": "MaxPool2d(2) d/dinput",
            "avgpool2d.input": "AvgPool2d(2, stride=1) d/dinput",
            "flatten.input": "Flatten d/dinput",
            "objective.theta": "small CNN, objective f d/d0.weight",
            "cross_entropy.logits": "SoftmaxCrossEntropy d/dprediction",
        },
    ),
)

TARGET_NAMES = tuple(target.name for target in TARGETS)


def target_named(name: str) -> Target:
    for target in TARGETS:
        if target.name == name:
            return target
    raise KeyError(f"unknown target {name!r}; valid targets: {', '.join(TARGET_NAMES)}")

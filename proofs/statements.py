"""What each target verifies beyond its gradient rules: identities, the seeds' worked examples and
theorems, matrix forms. Each function runs the checks once and returns the report rows, the composite
checks (``Statement``) and the checked objects its proof document displays (``evidence``).
"""

from __future__ import annotations

from collections.abc import Mapping

from gradproof.proofs import fc_checks, fc_network
from gradproof.proofs.network_proof import general_proofs
from gradproof.proofs.results import IdentityResult, Statement, Statements
from gradproof.symbolic.engine.derive import matrix_form_mismatch
from gradproof.symbolic.engine.identities import IdentityClaim, prove_general, sweep
from gradproof.symbolic.engine.rule import Verdict
from gradproof.symbolic.layers import conv, verify
from gradproof.symbolic.layers.table import rule_named, rules_for
from gradproof.symbolic.seeds.conv_matrix import elementwise_rule, seed003_example, update_checks
from gradproof.symbolic.seeds.conv_vector_form import fc_special_case, seed004_check
from gradproof.symbolic.seeds.kron_identities import FALSE_CLAIM, KRON_IDENTITIES
from gradproof.symbolic.seeds.network import verify_network
from gradproof.symbolic.seeds.theorem import (
    counterexamples,
    tanh_needs_no_s,
    theorem_for_all_selections,
    worked_example,
)
from gradproof.symbolic.seeds.vector_form import (
    JACOBIANS,
    VECTOR_FORM_IDENTITIES,
    check_jacobian,
    prove_jacobian_general,
)

NETWORK_WIDTHS = (3, 2, 2)


def fc_statements(sizes: Mapping[str, int]):
    """Seed 002's network (1)-(4) by backprop vs SymPy's direct derivative, and in small integers against the
    numeric layers; each layout's matrix form; and the checks behind fc.pdf's displayed steps
    (``proofs.fc_checks``): each rule's derivation at concrete sizes, its index-to-matrix step, the weight
    gradient by differentials, the worked examples. They run here, once, so the report lists them too."""
    network = verify_network(NETWORK_WIDTHS)
    presentations = {eqs.name: eqs for rule in rules_for("fc") for eqs in rule.presentations}
    matrix_forms = {name: matrix_form_mismatch(eqs, eqs.sizes_from(sizes))
                    for name, eqs in presentations.items() if eqs.matrix_form is not None}
    wrong = [name for name, mismatch in matrix_forms.items() if mismatch is not None]
    steps, rules = _fc_step_checks(sizes)
    differentials = fc_checks.weight_by_differentials(rules["linear.weight"], sizes)
    linear_example, relu_example = fc_checks.linear_worked_example(), fc_checks.relu_loss_worked_example()
    network_run, network_forms = fc_network.network_integer_run(), fc_network.network_forms(network)
    checks = (
        Statement("seed 002 network (1)-(4)", network.holds,
                  f"backprop by the rule table == SymPy's direct derivative, widths {network.sizes}"),
        Statement("seed 002 network (1)-(4) in small integers", network_run.holds,
                  network_run.mismatch or f"{len(network_run.steps)} backward steps, closed forms == numeric layers, "
                                          "exactly"),
        Statement("seed 002 network as displayed (forward pass, loss) == the expression differentiated",
                  network_forms.holds, network_forms.reason),
        Statement("matrix form of each layout == its scalar equations", not wrong,
                  f"{len(matrix_forms)} layouts" + (f"; differs: {', '.join(wrong)}" if wrong else "")),
        _step_statement("each rule's derivation == SymPy's chain rule at concrete sizes", steps, 0),
        _step_statement("each rule's index-to-matrix step (symbolic sizes; whole matrix at concrete sizes)", steps, 1),
        Statement("weight gradient by differentials (dL = tr(G^T dY)) == the rule table's", differentials.holds,
                  ("exact and finite-difference checks pass" if differentials.checked else "its checks FAIL")
                  + ("; equals the closed form" if differentials.agrees else "; DIFFERS from the closed form")),
        Statement("Linear worked example: closed forms == numeric Linear layer", linear_example.holds,
                  linear_example.mismatch or "forward and three gradients, exactly"),
        Statement("ReLU + squared loss worked example: closed forms == numeric layers", relu_example.holds,
                  relu_example.mismatch or "Z, dL/dZ and dL/dS, exactly, an entry at the kink"),
    )
    evidence = {"network": network, "matrix_forms": matrix_forms, "steps": steps, "differentials": differentials,
                "linear_example": linear_example, "relu_loss_example": relu_example, "network_run": network_run,
                "network_forms": network_forms}
    return Statements(checks=checks, evidence=evidence)


def _fc_step_checks(sizes: Mapping[str, int]):
    """(rule name, presentation name) -> (derivation check, index-to-matrix check), and the rules verified.

    The layers are read through ``proofs.targets.layers_for``, as a run reads them (a planted fault there
    reaches these checks too)."""
    from gradproof.proofs import targets

    steps, rules = {}, {}
    for layer in targets.layers_for("fc"):
        verdicts = layer.verify(layer, sizes)
        for rule in layer.rules:
            rules[rule.name] = rule
            general, concrete = verdicts[rule.name].general, verdicts[rule.name].concrete
            for proof, check in zip(general.evidence, concrete.evidence):
                steps[(rule.name, proof.equations.name)] = (
                    fc_checks.derivation_at_sizes(proof, check),
                    fc_checks.index_to_matrix(proof, proof.closed_form, sizes))
    return steps, rules


def _step_statement(label: str, steps, which: int) -> Statement:
    failed = [f"{rule} ({layout}): {'not decided' if pair[which].holds is None else 'FAILS'}"
              for (rule, layout), pair in steps.items() if pair[which].holds is not True]
    return Statement(label, not failed and bool(steps),
                     "; ".join(failed) if failed else f"{len(steps)} rule presentations, each holds")


def _identity(claim: IdentityClaim, max_size: int = 4) -> IdentityResult:
    return IdentityResult(claim, sweep(claim, max_size), prove_general(claim) if claim.general else None)


def kron_statements(sizes: Mapping[str, int]):
    """Every Kronecker/vec identity swept over sizes 1..4 and proved in general; the false claim refused;
    the FC layer's Jacobians in vector form (seed 004 (8), (9))."""
    rows = tuple(_identity(claim) for claim in KRON_IDENTITIES + VECTOR_FORM_IDENTITIES)
    false_claim = _identity(FALSE_CLAIM)
    refused = false_claim.sweep
    checks = [Statement("false claim " + FALSE_CLAIM.key + " refused", not refused.holds,
                        refused.counterexample.describe() if refused.counterexample else "it was NOT refused")]
    jacobians = []
    for claim in JACOBIANS:
        concrete, general = check_jacobian(claim, sizes), prove_jacobian_general(claim)
        jacobians.append((claim, concrete, general))
        shown = ", ".join(f"{role} = {value}" for role, value in claim.equations.sizes_from(sizes).items())
        checks.append(Statement(f"{claim.key}: {claim.seed_ref}", concrete.holds and general.holds,
                                f"derived from scalar equations; concrete ({shown}): {concrete.holds}, "
                                f"general sizes: {general.holds}"))
    return Statements(rows=rows, checks=tuple(checks), evidence={"false_claim": false_claim, "jacobians": jacobians})


SEED004_GEOMETRIES = (
    conv.ConvGeometry(1, 1, 1, 2, 2, 2, 1, 1, 1),  # first: small enough to display P_pad and P_phi
    conv.ConvGeometry(1, 2, 2, 3, 3, 2, 1, 1, 1),
    conv.ConvGeometry(1, 1, 2, 4, 5, 2, 2, 1, 2),
    conv.ConvGeometry(1, 2, 1, 3, 4, 3, 1, 0, 1),
)


def conv_statements(sizes: Mapping[str, int]):
    """Seed 004's matrix form of the convolution and seed 003's 3 × 3 example."""
    example = seed003_example()
    seed004 = [seed004_check(geometry) for geometry in SEED004_GEOMETRIES]
    fc_case = fc_special_case()
    checks = (
        Statement("seed 004 (3)-(5) and its three gradients, P_pad and P_phi from the numeric operators",
                  all(check.holds for check in seed004), f"{len(seed004)} geometries, incl. stride 2 and dilation 2"),
        Statement("seed 004: the FC layer as the special case phi(pad(z)) = I z", all(fc_case.values()),
                  "the conv weight gradient equals the Linear layer's weight gradient"),
        Statement("seed 003: backward pass is M^T dL/dy", example.backward_is_transpose, "3 × 3 input, padding 1"),
        Statement("seed 003: M^T is the rotated-kernel convolution", example.transpose_is_rotated_convolution, "9 × 9"),
        Statement("seed 003: dL/dw = Q^T dL/dy", example.weight_gradient_is_q_transpose, "9 × 9"),
        Statement("seed 003: the update M_new = M_old - mu (dL/dM)^T is the library's SGD step",
                  all(update_checks(example).values()),
                  "exact, on the 3 × 3 example's symbols"),
        Statement("seed 003: dL/dx_i = phi'(x_i) dL/dy_i for any differentiable phi", elementwise_rule().holds,
                  "at a symbolic size m, normal forms"),
    )
    return Statements(checks=checks, evidence={"seed003": example, "seed004": seed004, "fc_special_case": fc_case})


def network_statements(sizes: Mapping[str, int]):
    """Seed 002's theorem (5) = (6) for every selection matrix, its worked example, and where it breaks."""
    count, theorem = theorem_for_all_selections()
    example, differing, tanh = worked_example(), counterexamples(), tanh_needs_no_s()
    checks = (
        Statement("seed 002 theorem (5) = (6) under ReLU + max pooling", theorem,
                  f"all {count} selection matrices, symbolic"),
        Statement("seed 002 worked example",
                  list(example["pooled"]) == [5, 4, 9, 6] and example["form5"] == example["form6"],
                  f"P_pool vec(image) = {list(example['pooled'])}; (6) = {list(example['form6'])}"),
        Statement("(5) != (6) once the pooling does not select (average pooling)",
                  all(five != six for _, five, six in differing.values()), ", ".join(differing)),
        Statement("tanh with max pooling: (5) = (6) with 1 - Z^2 (sigma' a function of the output)", tanh[1],
                  f"all {tanh[0]} selection matrices, symbolic"),
    )
    general = general_proofs()
    checks += _general_statements(general)
    return Statements(checks=checks, evidence={"theorem": (count, theorem), "worked_example": example,
                                               "counterexamples": differing, "tanh": tanh, "general": general},
                      general_by_rule=_general_by_rule(general))


def _general_by_rule(proofs) -> dict:
    """The rule table's pooling, cross-entropy and objective rules for every size: network.pdf's theorems of
    this run, and also the description engine's general-size proof of the built-in description's claim
    (``verify.pool_general`` at each pooling geometry, ``verify.cross_entropy_general``, ``verify.objective_general``).
    Combined by ``verify.both_general``: holds only when both hold; a refutation from either refutes; otherwise
    not decided (a failed network.pdf proof is no counterexample; the rule's concrete checks decide refutation)."""
    def verdict(names, how, where=" (network.pdf)"):
        if all(proofs[name].holds for name in names):
            return Verdict(True, f"index notation at symbolic sizes, {how}{where}")
        return Verdict(None, f"not decided: the general-size proof ({how}) did not go through")

    def combined(names, how, engine):
        return verify.both_general(verdict(names, how, ""), engine, "network.pdf", "description engine")

    return {
        "maxpool2d.input": combined(("lemma", "max"), "any window, stride, padding and selection",
                                    verify.pool_general(rule_named("maxpool2d.input"))),
        "avgpool2d.input": combined(("lemma", "average"), "any window, stride and padding",
                                    verify.pool_general(rule_named("avgpool2d.input"))),
        "cross_entropy.logits": combined(("cross_entropy",),
                                         "any batch size N and number of classes K", verify.cross_entropy_general()),
        "objective.theta": combined(("objective_W", "objective_b"), "any number of samples l",
                                    verify.objective_general()),
    }


def _general_statements(proofs) -> tuple:
    """The general-size checks network.pdf displays (``network_proof.general_proofs``), as report rows: the
    document and the report then show the verdicts of the same run."""
    def instances(proof):
        return "; ".join(f"{where}: {'holds' if equal else 'FAILS'}" for where, equal in proof.instances)

    silu = proofs["silu"]
    average = proofs["average_counterexample"]
    return (
        Statement("linear-map lemma: y = Q x => dL/dx = Q^T dL/dy", proofs["lemma"].holds,
                  "each step at symbolic D_out, D_in, normal forms (exact)"),
        Statement("max-pooling backward = mat(P_pool^T vec(G)), every size", proofs["max"].holds,
                  "each step at symbolic sizes, window, stride, padding and selection (exact); " + instances(proofs["max"])),
        Statement("average-pooling backward = mat(P_pool^T vec(G)), every size", proofs["average"].holds,
                  "each step at symbolic sizes, window, stride, padding (exact); " + instances(proofs["average"])),
        Statement("seed 002 theorem (5) = (6) for any selection and sigma' = h(sigma)", proofs["selection"].holds,
                  "each step at symbolic sizes, selection, sigma and h (exact)"),
        Statement("sigma' a function of sigma: " + ", ".join(proofs["hypotheses"]), all(proofs["hypotheses"].values()),
                  "SymPy simplify to 0 (exact)"),
        Statement("ReLU + average pooling: same Z, different (5)",
                  average["S"]["(5)"] != average["S'"]["(5)"] and average["S"]["Z"] == average["S'"]["Z"],
                  "one 2 × 2 window, exact rationals"),
        Statement("SiLU + max pooling: same Z, slopes of opposite signs",
                  bool(silu["same_Z"] and silu["differ"] and silu["first_selected"]),
                  "second root by mpmath, equal values to 30 digits"),
        Statement("softmax cross-entropy dL/dX = (softmax(X) - T)/N, every N, K", proofs["cross_entropy"].holds,
                  "each step at symbolic N, K (exact); " + instances(proofs["cross_entropy"])),
        Statement("seed 004 (1): df/dW = W/C + mean data gradient, every l (C: lambda in network.pdf)", proofs["objective_W"].holds,
                  "each step at symbolic l, D_out, D_in (exact); " + instances(proofs["objective_W"])),
        Statement("seed 004 (2): df/db = b/C + mean data gradient, every l", proofs["objective_b"].holds,
                  "each step at symbolic l, D_out (exact); " + instances(proofs["objective_b"])),
        Statement("ReLU + max pooling worked examples: (5), (6) and the numeric layers agree",
                  bool(proofs["example"]["holds"] and proofs["overlap"]["holds"]),
                  "4 × 4 stride 2 and 3 × 3 overlapping, exact integers"),
    )

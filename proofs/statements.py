"""What each target verifies beyond its gradient rules: identities, the seeds' worked examples and
theorems, matrix forms. Each function runs the checks once and returns the report rows, the composite
checks (``Statement``) and the checked objects its proof document displays (``evidence``).
"""

from __future__ import annotations

from collections.abc import Mapping

from gradproof.proofs.results import IdentityResult, Statement, Statements
from gradproof.symbolic.engine.derive import matrix_form_mismatch
from gradproof.symbolic.engine.identities import IdentityClaim, prove_general, sweep
from gradproof.symbolic.layers import conv
from gradproof.symbolic.layers.table import rules_for
from gradproof.symbolic.seeds.conv_matrix import seed003_example
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
    """Seed 002's network (1)-(4) by backprop vs SymPy's direct derivative; each layout's matrix form."""
    network = verify_network(NETWORK_WIDTHS)
    presentations = {eqs.name: eqs for rule in rules_for("fc") for eqs in rule.presentations}
    matrix_forms = {name: matrix_form_mismatch(eqs, eqs.sizes_from(sizes))
                    for name, eqs in presentations.items() if eqs.matrix_form is not None}
    wrong = [name for name, mismatch in matrix_forms.items() if mismatch is not None]
    checks = (
        Statement("seed 002 network (1)-(4)", network.holds,
                  f"backprop by the rule table == SymPy's direct derivative, widths {network.sizes}"),
        Statement("matrix form of each layout == its scalar equations", not wrong,
                  f"{len(matrix_forms)} layouts" + (f"; differs: {', '.join(wrong)}" if wrong else "")),
    )
    return Statements(checks=checks, evidence={"network": network, "matrix_forms": matrix_forms})


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
    return Statements(checks=checks, evidence={"theorem": (count, theorem), "worked_example": example,
                                               "counterexamples": differing, "tanh": tanh})

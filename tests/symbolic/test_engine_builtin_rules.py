"""Issue 16 item 6: the rule table's Conv2d, pooling and cross-entropy verdicts come from the description engine.

Each planted fault changes only a built-in description's claim (``symbolic.layers.builtin``); the rule table's
verdict, computed by ``symbolic.layers.verify`` as a run computes it, must turn False. The honest claims must
hold, concrete and general, with the geometries named in the verdict.
"""

import dataclasses

import pytest

from gradproof.symbolic.layers import builtin, indicators, verify
from gradproof.symbolic.layers.description import Sum, indices
from gradproof.symbolic.layers.table import layers_for


def _entry(target, name):
    return next(entry for entry in layers_for(target) if entry.name == name)


def _with_claim(description, key, body):
    """``description`` with the claim for ``key`` (an entry such as X[n, c, a, e]) replaced by ``body``."""
    claims = {**description.layer.claims, key: body}
    return dataclasses.replace(description, layer=dataclasses.replace(description.layer, claims=claims))


def _conv_input_claim(description, stride, padding, dilation, *, swap=False, flip=False):
    """dX[n, c, a, e] = sum G[n, o, p, q] W[o, c, u, v] [a = row][e = col], as ``builtin.conv2d`` states it;
    ``swap``: stride and dilation exchanged in row and col; ``flip``: the kernel rotated by 180 degrees."""
    X, W, G = (description.operands[key] for key in ("input", "weight", "grad_output"))
    n, o, p, q, c, u, v, a, e = indices("n o p q c u v a e")
    _, _, out_h, out_w = G.shape
    out_channels, _, k_h, k_w = W.shape
    s, d = (dilation, stride) if swap else (stride, dilation)
    row, col = s * (p - 1) + d * (u - 1) + 1 - padding, s * (q - 1) + d * (v - 1) + 1 - padding
    weight = W[o, c, k_h + 1 - u, k_w + 1 - v] if flip else W[o, c, u, v]
    body = Sum(G[n, o, p, q] * weight * builtin._equal(a, row) * builtin._equal(e, col),
               (o, out_channels), (u, k_h), (v, k_w), (p, out_h), (q, out_w))
    return X[n, c, a, e], body


def test_the_honest_conv2d_verdicts_come_from_the_engine_at_every_geometry():
    verdicts = _entry("conv2d", "conv2d").verify(_entry("conv2d", "conv2d"), {})
    geometries = ", ".join(str(geometry) for geometry, _ in verify.CONV_GEOMETRIES)
    for name, rule in verdicts.items():
        assert rule.concrete.holds is True and f"(s, P, d) = {geometries}" in rule.concrete.detail, name
        assert "extra check" in rule.concrete.detail and "208 grid configurations" in rule.concrete.detail, name
        assert rule.general.holds is True and "conv_general" in rule.general.detail, name
        assert "description engine" in rule.general.detail, name
        assert rule.numeric.holds is True, name
        evidence = rule.concrete.evidence
        assert len(evidence.engine) == len(verify.CONV_GEOMETRIES) and len(list(evidence)) == 208


@pytest.mark.parametrize("fault", ["swap", "flip"])
def test_a_wrong_conv2d_claim_makes_the_rule_tables_verdict_false(monkeypatch, fault):
    honest = builtin.conv2d

    def planted(stride=1, padding=0, dilation=1):
        description = honest(stride, padding, dilation)
        key, body = _conv_input_claim(description, stride, padding, dilation, **{fault: True})
        return _with_claim(description, key, body)

    monkeypatch.setattr(builtin, "conv2d", planted)
    entry = _entry("conv2d", "conv2d")
    verdicts = entry.verify(entry, {})
    wrong = verdicts["conv2d.input"]
    assert wrong.concrete.holds is False and "refuted by the description engine" in wrong.concrete.detail
    assert wrong.general.holds is False
    if fault == "swap":  # invisible where stride == dilation: refuted at the geometry where they differ
        assert "(s, P, d) = (2, 2, 1)" in wrong.concrete.detail
    assert verdicts["conv2d.weight"].concrete.holds is True and verdicts["conv2d.bias"].concrete.holds is True


def test_the_test_claim_builder_states_the_honest_claim():
    # the planted claims above differ from builtin.conv2d's only by the fault
    description = builtin.conv2d(2, 2, 1)
    key, body = _conv_input_claim(description, 2, 2, 1)
    assert description.layer.claims[key] == body


def test_a_pooling_claim_without_one_over_k_squared_is_refused(monkeypatch):
    honest = builtin.avgpool2d

    def planted(kernel=2, stride=2, padding=0):
        description = honest(kernel, stride, padding)
        (key, body), = description.layer.claims.items()
        return _with_claim(description, key, body * kernel**2)

    monkeypatch.setattr(builtin, "avgpool2d", planted)
    entry = _entry("network", "pooling")
    verdicts = entry.verify(entry, {})
    assert verdicts["avgpool2d.input"].concrete.holds is False
    assert verdicts["avgpool2d.input"].general.holds is False
    assert verdicts["maxpool2d.input"].concrete.holds is True


def test_the_pooling_verdicts_name_their_geometries_and_keep_the_grid_as_an_extra_check():
    entry = _entry("network", "pooling")
    for name, rule in entry.verify(entry, {}).items():
        assert rule.concrete.holds is True and rule.general.holds is True and rule.numeric.holds is True, name
        assert "(k, s, P) = (2, 2, 0), (2, 1, 0), (3, 3, 1)" in rule.concrete.detail
        assert "extra check" in rule.concrete.detail
        configs = [config for config, _ in rule.concrete.evidence]  # what network.pdf reads
        assert len(configs) == 25 and len(rule.concrete.evidence.engine) == len(verify.POOL_GEOMETRIES)


def test_a_cross_entropy_claim_without_one_over_n_is_refused(monkeypatch):
    description = builtin.CROSS_ENTROPY
    (key, body), = description.layer.claims.items()
    batch = description.layer.inputs[0].shape[0]
    monkeypatch.setattr(builtin, "CROSS_ENTROPY", _with_claim(description, key, body * batch))
    entry = _entry("network", "cross_entropy")
    (rule,) = entry.verify(entry, {}).values()
    assert rule.concrete.holds is False and rule.general.holds is False
    assert rule.numeric.holds is True  # the numeric rule is still right: only the claim is wrong


def test_the_honest_cross_entropy_holds_for_every_size_by_the_engine():
    entry = _entry("network", "cross_entropy")
    (rule,) = entry.verify(entry, {}).values()
    assert rule.concrete.holds is True and "N = 3, K = 3" in rule.concrete.detail
    assert rule.general.holds is True and "every batch size N" in rule.general.detail
    assert verify.cross_entropy_general().holds is True


def test_both_general_needs_both_and_a_refutation_refutes():
    yes, no, maybe = verify.Verdict(True, "a"), verify.Verdict(False, "b"), verify.Verdict(None, "c")
    assert verify.both_general(yes, yes, "one", "two").holds is True
    assert verify.both_general(yes, maybe, "one", "two").holds is None
    assert verify.both_general(maybe, no, "one", "two").holds is False
    assert verify.both_general(no, yes, "one", "two").detail == "one: b"


# ------------------------------------------------------------------------------------------------ flatten

def test_flatten_holds_for_every_size_through_the_flat_index_sift():
    entry = _entry("network", "flatten")
    (rule,) = entry.verify(entry, {}).values()
    assert rule.concrete.holds is True and rule.numeric.holds is True
    assert rule.general.holds is True and indicators.FLAT_INDEX_SIFT in rule.general.evidence.rules
    assert (2, 2, 2, 3) in rule.concrete.evidence["shapes"]


def test_the_flat_index_sift_needs_the_index_inside_the_sums_range():
    from sympy import Function, KroneckerDelta
    from sympy import Sum as SympySum

    from gradproof.symbolic.layers.description import sizes

    M, = sizes("M")
    k, p = indices("k p")
    F = Function("F")
    inside = SympySum(KroneckerDelta(k, p) * F(k), (k, 1, M))
    assert indicators.sift_in_range(inside, {p: (1, M)}) == F(p)
    for beyond in (p + 1, p - 1, 2 * p, -p + M + 2):  # reaches M + 1, 0, 2M, M + 1: no sifting
        shifted = SympySum(KroneckerDelta(k, beyond) * F(k), (k, 1, M))
        assert indicators.sift_in_range(shifted, {p: (1, M)}) == shifted, beyond


def test_a_wrong_flat_index_decode_is_refuted(monkeypatch):
    # the column-major (Fortran, seed 004's vec) order claimed where torch.flatten is row-major
    description = builtin.FLATTEN
    (key, _), = description.layer.claims.items()
    n, c, h, w = key.indices
    channels, height, _ = description.layer.inputs[0].shape[1:]
    G = description.operands["grad_output"]
    fortran = G[n, c + (h - 1) * channels + (w - 1) * channels * height]
    monkeypatch.setattr(builtin, "FLATTEN", _with_claim(description, key, fortran))
    entry = _entry("network", "flatten")
    (rule,) = entry.verify(entry, {}).values()
    assert rule.concrete.holds is False and rule.general.holds is False


def test_a_run_with_a_cross_entropy_claim_without_one_over_n_fails(monkeypatch):
    # through run_target, as `gradproof derive network` runs it: the statements' general verdict (network.pdf
    # combined with the engine's) replaces the table's only where the table did not refute: the refutation
    # stays in the general column too, the concrete verdict refutes, and the rule and the run fail
    from gradproof.proofs.targets import run_target, target_named

    description = builtin.CROSS_ENTROPY
    (key, body), = description.layer.claims.items()
    monkeypatch.setattr(builtin, "CROSS_ENTROPY", _with_claim(description, key, body * description.layer.inputs[0].shape[0]))
    run = run_target(target_named("network"), numeric=False)
    result = run.rule("cross_entropy.logits")
    assert result.concrete_ok is False and result.verdicts.general.holds is False
    assert not result.ok and not run.derivation.ok


def test_the_objective_is_decided_by_the_engine_and_a_claim_without_one_over_l_is_refused(monkeypatch):
    # seed 004 (1): df/dW = W/lambda + mean data gradient; the engine's instance (a Linear layer's squared error)
    entry = _entry("network", "objective")
    honest = entry.verify(entry, {})["objective.theta"]
    assert honest.concrete.holds is True and "description engine" in honest.concrete.detail
    assert honest.general.holds is True and "every l, D_in, D_out" in honest.general.detail
    description = builtin.OBJECTIVE
    W = description.operands["weight"]
    key = next(k for k in description.layer.claims if k.base == W)
    samples = description.layer.inputs[0].shape[0]
    monkeypatch.setattr(builtin, "OBJECTIVE", _with_claim(description, key, description.layer.claims[key] * samples))
    wrong = entry.verify(entry, {})["objective.theta"]
    assert wrong.concrete.holds is False and wrong.general.holds is False

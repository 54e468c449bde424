"""The program route (symbolic.layers.graph): the chain rule through the intermediates at concrete sizes, checked
at random integer points with exp(u) as independent variables (Schwartz-Zippel), counterexamples in 50-digit
arithmetic at a rational point. It must agree with the written-out route, state its bound, and refuse wrong claims."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sympy import Dummy, Poly, cancel, exp, fraction, together

from gradproof.proofs.layer_command import load, run_layer
from gradproof.symbolic.engine.errors import NotSupported
from gradproof.symbolic.layers import gradients
from gradproof.symbolic.layers.generated import generate
from gradproof.symbolic.layers.gradients import (
    ConcreteGradients,
    concrete_derivation,
    concrete_gradients,
    general_verdict,
    polynomial_intermediates,
    verify_claims,
    written_out,
)
from gradproof.symbolic.layers.graph import LayerGraph, build_graph, check_program, degree_bounds, schwartz_zippel

ROOT = Path(__file__).resolve().parents[2]


def example(stem: str, **sizes):
    layer, _ = load(str(ROOT / "examples" / f"{stem}.py"))
    if sizes:
        at = {symbol: sizes.get(str(symbol), layer.at[symbol]) for symbol in layer.at}
        layer = dataclasses.replace(layer, at=at)
    return layer


def wrong(stem: str, old: str, new: str, tmp_path: Path):
    source = (ROOT / "examples" / f"{stem}.py").read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / f"wrong_{stem}.py"
    path.write_text(source.replace(old, new), encoding="utf-8")
    return load(str(path))[0]


@pytest.mark.parametrize("stem, sizes", [("softmax", {}), ("bilinear", {}), ("attention", {"T": 2, "D": 1})])
def test_the_program_and_the_written_out_entries_give_the_same_gradients(stem, sizes):
    layer = example(stem, **sizes)
    written, program = generate(layer, concrete_gradients(layer)), generate(layer, build_graph(layer))
    rng = np.random.default_rng(3)
    point = {name: rng.standard_normal(shape) for name, shape in written.shapes.items()}
    upstream = {name: rng.standard_normal(shape) for name, shape in written.output_shapes.items()}
    for name, value in written.forward(point).items():
        np.testing.assert_allclose(program.forward(point)[name], value, rtol=1e-12, atol=1e-12)
    for name, value in written.backward(point, upstream).items():
        np.testing.assert_allclose(program.backward(point, upstream)[name], value, rtol=1e-11, atol=1e-12)


def test_attention_takes_the_program_route_and_states_its_bound():
    layer = example("attention")
    assert {str(k): v for k, v in layer.at.items()} == {"T": 3, "D": 2, "d": 4}
    derivation = concrete_derivation(layer)
    assert isinstance(derivation, LayerGraph)
    verdicts = verify_claims(layer, derivation)
    assert {v.name for v in verdicts} == {"X", "W_q", "W_k", "W_v"}
    for verdict in verdicts:
        assert verdict.concrete is True and verdict.general.holds is True
        assert verdict.detail.startswith("probabilistic") and "Schwartz-Zippel" in verdict.detail
    found = schwartz_zippel(derivation, ["X"])["X"]
    assert found.evidence.error_bound <= 1e-12 and found.evidence.trials >= 2


def test_small_layers_keep_the_exact_written_out_route():
    for stem in ("bilinear", "softmax", "silu", "layernorm", "depthwise_conv2d"):
        derivation = concrete_derivation(example(stem))
        assert isinstance(derivation, ConcreteGradients), stem


def test_functions_other_than_exp_stay_on_the_exact_route(monkeypatch):
    monkeypatch.setattr(gradients, "WRITTEN_OUT_LIMIT", 0)
    with pytest.raises(NotSupported):
        check_program(build_graph(example("layernorm")))  # sqrt(v + eps): not rational in exp values
    assert isinstance(concrete_derivation(example("layernorm")), ConcreteGradients)
    assert isinstance(concrete_derivation(example("softmax")), LayerGraph)


def test_a_wrong_attention_claim_is_refused_with_a_counterexample(tmp_path):
    layer = wrong("attention", "dQ[a, e]: Sum(dS[a, b] * K[b, e], (b, T)) / sqrt(d)",
                  "dQ[a, e]: Sum(dS[a, b] * K[b, e], (b, T))", tmp_path)
    derivation = concrete_derivation(layer)
    assert isinstance(derivation, LayerGraph)
    verdicts = {v.name: v for v in verify_claims(layer, derivation)}
    for name in ("X", "W_q"):  # dQ enters dX and dW_q
        refused = verdicts[name]
        assert refused.concrete is False and refused.general.holds is False
        assert "at the rational point" in refused.detail and refused.mismatch.point
        assert all(value.is_Rational for value in refused.mismatch.point.values())
        assert refused.mismatch.values[0] != refused.mismatch.values[1]
    assert verdicts["W_k"].holds and verdicts["W_v"].holds


def test_a_wrong_claim_is_refused_on_the_program_route_too(monkeypatch, tmp_path):
    monkeypatch.setattr(gradients, "WRITTEN_OUT_LIMIT", 0)
    layer = wrong("softmax", "claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))}",
                  "claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N - 1))}", tmp_path)
    verdicts, reports = run_layer(layer)
    assert verdicts[0].concrete is False and "at the rational point" in verdicts[0].detail
    assert all(report.passed for report in reports)  # the derived gradient itself is right


def test_the_degree_bound_bounds_the_true_degree(monkeypatch, tmp_path):
    """Schwartz-Zippel is only as good as its degree: the bound must be at least the true degree of the
    numerator of derived - claimed (computed here by cancellation, exp(z_i) as independent symbols)."""
    layer = wrong("softmax", "claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))}",
                  "claims={z[i]: y[i] * g[i]}", tmp_path)
    layer = dataclasses.replace(layer, at={symbol: 3 for symbol in layer.at})
    written = concrete_gradients(layer)
    key, body = layer.claim_of(layer.inputs[0])
    true_degree = 0
    for (index, _), derived in zip(written.entries["z"], written.derived["z"]):
        claimed = written_out(layer, body.xreplace(dict(zip(key, index))), written.sizes)
        difference = derived - claimed
        generic = {atom: Dummy("E") for atom in difference.atoms(exp)}
        numerator, _ = fraction(cancel(together(difference.xreplace(generic))))
        true_degree = max(true_degree, Poly(numerator).total_degree())
    graph = build_graph(layer)
    assert schwartz_zippel(graph, ["z"])["z"].holds is False
    bound = degree_bounds(graph, {"z": graph.claimed("z")})[0]["z"]
    assert true_degree >= 1 and bound >= true_degree


def test_the_general_proof_keeps_the_polynomial_intermediates():
    layer = example("attention")
    assert [str(b) for b in polynomial_intermediates(layer)] == ["Q", "K", "V", "S"]
    proof = general_verdict(layer, "X", layer.inputs[0])
    assert proof.holds is True and "through the intermediates Q, K, V, S" in proof.left_steps[-1][1]


def test_a_difference_without_a_real_counterexample_is_not_decided(monkeypatch, tmp_path):
    """A difference at a point where each exp(u) is an independent value is no counterexample by itself
    (E_u is not exp(u)): with no difference in real arithmetic the verdict is "not decided", never False."""
    from gradproof.symbolic.layers import graph as graph_module

    layer = wrong("softmax", "claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))}",
                  "claims={z[i]: y[i] * g[i]}", tmp_path)
    monkeypatch.setattr(graph_module, "real_counterexample", lambda *args, **kwargs: None)
    found = schwartz_zippel(build_graph(layer), ["z"])["z"]
    assert found.holds is None and found.detail.startswith("not decided") and found.mismatch is None


def test_the_cli_refuses_the_wrong_attention_claim(tmp_path, capsys):
    from gradproof.proofs import cli

    source = (ROOT / "examples" / "attention.py").read_text(encoding="utf-8")
    path = tmp_path / "wrong_attention.py"
    path.write_text(source.replace("Sum(dS[a, b] * K[b, e], (b, T)) / sqrt(d)", "Sum(dS[a, b] * K[b, e], (b, T))"),
                    encoding="utf-8")
    assert cli.main(["derive", str(path)]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT HOLD" in out and "at the rational point" in out


def test_a_real_difference_counts_only_when_interval_arithmetic_confirms_it(monkeypatch, tmp_path):
    """A counterexample on the program route is certain: the intervals (mpmath.iv) enclosing the exact derived and
    claimed values must be disjoint. With the interval check planted to see overlap everywhere, nothing is refuted."""
    from gradproof.symbolic.layers import graph as graph_module

    layer = wrong("softmax", "claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))}",
                  "claims={z[i]: y[i] * g[i]}", tmp_path)
    graph = build_graph(layer)
    found = graph_module.real_counterexample(graph, "z", graph.claimed("z"))
    assert found is not None and found.values[0] != found.values[1]
    monkeypatch.setattr(graph_module, "_certainly_differ", lambda *args, **kwargs: False)
    assert graph_module.real_counterexample(graph, "z", graph.claimed("z")) is None


def test_the_interval_check_sees_no_difference_between_equal_exact_values():
    """exp(a) exp(b) and exp(a + b) are different program expressions with the same exact value: their enclosing
    intervals overlap, so no counterexample can come from rounding them differently."""
    import mpmath
    from sympy import Rational, Symbol

    from gradproof.symbolic.layers.graph import _Real

    a, b = Symbol("a"), Symbol("b")
    iv = mpmath.iv
    saved, iv.dps = iv.dps, 100
    try:
        evaluate = _Real({a: iv.mpf(1) / 3, b: iv.mpf(-7) / 4}, iv)
        difference = evaluate(exp(a) * exp(b)) - evaluate(exp(a + b))
        assert difference.a <= 0 <= difference.b
        shifted = evaluate(exp(a) * exp(b)) - evaluate(exp(a + b) + Rational(1, 10**60))
        assert shifted.b < 0  # a difference of 10^-60 is seen at 100 digits
    finally:
        iv.dps = saved

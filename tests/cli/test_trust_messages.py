"""attack3 section 4e, the smaller messages (issue 16 trust item 6): verify's counterexample names its sizes as
"n = 2" (not a Python dict); grad of sum(sign(x)) says why it shows nothing instead of an internal term; sqrt
and log print where they are valid; a program-route refutation is labelled "at these sizes", not "exact"."""

from __future__ import annotations

from gradproof.proofs import cli, layer_command
from gradproof.symbolic.layers import gradients
from gradproof.symbolic.layers.description import Layer, indices, sizes, tensor
from gradproof.symbolic.layers.gradients import concrete_derivation, verify_claims
from gradproof.symbolic.layers.graph import LayerGraph


def test_verify_counterexample_names_its_sizes_readably(capsys):
    code = cli.main(["verify", "--shape", "X=n,n", "--shape", "A=n,n", "--sizes", "n=2", "--wrt", "X",
                     "--claim", "A", "tr(A*X)"])
    out = capsys.readouterr().out
    assert code == 1 and "counterexample: sizes n = 2, entry" in out and "{'n'" not in out


def test_grad_of_sum_sign_says_why_not_an_internal_term(capsys):
    code = cli.main(["grad", "--shape", "x=n,1", "--wrt", "x", "sum(sign(x))"])
    err = capsys.readouterr().err
    assert code == 2 and "constant away from 0" in err and "the gradient is 0 where no entry" in err
    assert "tr(0*ones(1))" not in err


def test_a_zero_term_of_sign_is_dropped_as_a_step_of_its_own(capsys):
    # attack5: sum(sign(x)) + x.T*x was "not supported" (the read-off did not drop the zero term)
    assert cli.main(["grad", "--shape", "x=n,1", "--sizes", "n=3", "--wrt", "x", "sum(sign(x)) + x.T*x"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("grad_x f = 2*x") and "[a zero term dropped: tr(0) = 0" in out
    assert "valid where no entry of x is 0" in out


def test_a_hessian_through_sign_and_abs_passes_its_exact_check(capsys):
    # d^2/dx^2 of |x| is 2 DiracDelta(x) for SymPy: 0 where the result is stated to hold (no entry 0)
    for expression in ("sum(sign(x)) + x.T*x", "sum(abs(x)) + x.T*x"):
        assert cli.main(["grad", "--shape", "x=n,1", "--sizes", "n=3", "--hessian", "--wrt", "x", expression]) == 0
        out = capsys.readouterr().out
        assert "= 2*eye(n)" in out.splitlines()[0] and "exact at sizes n=3: holds" in out, out


def test_sqrt_and_log_print_where_they_are_valid(capsys):
    for expression, function in (("sum(sqrt(x))", "sqrt"), ("sum(log(x))", "log")):
        assert cli.main(["grad", "--shape", "x=n,1", "--wrt", "x", expression]) == 0
        out = capsys.readouterr().out
        assert f"valid where every entry of x is > 0 ({function}" in out, out


def test_a_program_route_refutation_is_not_labelled_exact(monkeypatch, capsys):
    monkeypatch.setattr(gradients, "WRITTEN_OUT_LIMIT", 0)
    (N,) = sizes("N")
    (i,) = indices("i")
    x, y, g = tensor("x", N), tensor("y", N), tensor("g", N)
    layer = Layer("double", inputs=(x,), outputs={y[i]: 2 * x[i]}, upstream={y: g}, claims={x[i]: 3 * g[i]},
                  at={N: 2})
    derivation = concrete_derivation(layer)
    assert isinstance(derivation, LayerGraph)
    (verdict,) = verify_claims(layer, derivation)
    assert verdict.concrete is False and verdict.route == "program"
    assert layer_command.print_verdicts(layer, [verdict]) is False
    out = capsys.readouterr().out
    assert "  at these sizes: DOES NOT HOLD" in out and "exact at these sizes" not in out

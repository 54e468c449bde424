"""Exit codes mean what they say: 0 verified, 1 does not hold (with the counterexample), 2 bad input.

A bug is none of these: it propagates as an exception instead of becoming a verdict.
"""

import pytest

from gradproof.proofs import cli
from gradproof.symbolic.engine import derive
from gradproof.symbolic.layers import presentations
from gradproof.symbolic.layers.presentations import verify_presentation

IDENTITY = ["verify", "--shape", "A=m,n", "--shape", "B=n,p", "vec(A*B)", "--equals"]
GRADIENT = ["verify", "--shape", "W=m,n", "--shape", "x=n,1", "--sizes", "m=2,n=3", "--wrt", "W"]


def test_0_when_the_claim_holds(capsys):
    assert cli.main([*IDENTITY, "kron(eye(p), A)*vec(B)"]) == 0
    assert "HOLDS" in capsys.readouterr().out


def test_1_with_the_counterexample_when_an_identity_does_not_hold(capsys):
    assert cli.main([*IDENTITY, "kron(A, eye(p))*vec(B)"]) == 1
    assert "DOES NOT HOLD: does not hold for m = 1, n = 2, p = 2: entry (1, 1)" in capsys.readouterr().out


def test_1_with_the_counterexample_when_a_gradient_claim_does_not_hold(capsys):
    assert cli.main([*GRADIENT, "--claim", "W*x*x.T", "(W*x).T*(W*x)"]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT HOLD" in out and "counterexample: sizes m = 2, n = 3, entry (1, 1)" in out


def test_1_when_a_rules_closed_form_has_the_wrong_shape(monkeypatch, capsys):
    # the forgotten transpose dW = X^T G: a refuted closed form, not bad input
    original = derive.closed_form_in

    def transposed(rule, equations, symbols):
        return original(rule, equations, symbols).T

    monkeypatch.setattr(derive, "closed_form_in", transposed)
    assert cli.main(["derive", "fc", "--sizes", "batch=2,in=3,out=2"]) == 1
    assert "shapes differ: derived (2, 3), claimed (3, 2)" in capsys.readouterr().out


def test_a_wrong_shape_in_the_engine_is_a_mismatch_not_an_exception():
    from gradproof.symbolic.layers import fc
    from gradproof.symbolic.layers.table import rule_named

    rule = rule_named("linear.weight")
    wrong = type(rule)(**{**rule.__dict__, "closed_form": lambda o: o["x"].T * o["grad_output"]})
    result, general = verify_presentation(wrong, fc.LINEAR_TORCH, "weight",
                                          lambda symbols: derive.closed_form_in(wrong, fc.LINEAR_TORCH, symbols),
                                          {"batch": 2, "in": 3, "out": 2})
    assert result.holds is False and result.mismatch.shapes == ((2, 3), (3, 2))
    assert general.holds is False and "shapes differ" in general.reason  # refuted by the sizes' counterexample


@pytest.mark.parametrize("argv, message", [
    ([*GRADIENT, "--claim", "2*q*W", "tr(W.T*W)"], "unknown symbol 'q'"),
    ([*GRADIENT, "--claim", "x*W", "tr(W.T*W)"], "Matrices are not aligned"),
    ([*GRADIENT, "--claim", "W.T", "tr(W.T*W)"], "expected the shape of --wrt W, (m, n) (gradients are in "
                                                 "denominator layout), got (n, m)"),
    ([*GRADIENT, "--claim", "W", "tr(W.T*W"], "cannot parse"),
    ([*GRADIENT, "tr(W.T*W)"], "give exactly one of --claim"),
    (["verify", "--shape", "W=m", "tr(W)", "--equals", "tr(W)"], "expected NAME=ROWS,COLS"),
    ([*IDENTITY, "A*B"], "--equals 'A*B': expected the shape of the left side 'vec(A*B)', (m*p, 1), got (m, p)"),
])
def test_2_for_bad_input_only(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_bug_propagates_instead_of_becoming_an_exit_code(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("planted bug")  # a plain ValueError is a bug, not bad input

    monkeypatch.setattr(presentations, "concrete_gradients", broken)
    with pytest.raises(ValueError, match="planted bug"):
        cli.main(["derive", "fc"])


def test_a_missing_layer_file_is_named_as_a_missing_file(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "no_such_layer.py:Layer"])
    assert exit_info.value.code == 2
    assert "layer file 'no_such_layer.py': expected an existing Python file, got no such file" in capsys.readouterr().err

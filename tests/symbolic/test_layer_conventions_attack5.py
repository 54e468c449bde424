"""Attack5's leftovers on conventions and messages (issue 16 trust items).

* A claim reading a tensor outside its range (G[k + 1] at k = K) is bad input naming the entry, not a
  counterexample (the user meant zero padding, or has an off-by-one).
* A step written two ways (Piecewise((1, x > 0), (0, True)) g and Heaviside(x, 0) g, or Piecewise((0, x <= 0),
  (g, True))) is decided: the case splits folded into one (piecewise_fold), exact at the sizes and for every size;
  a different value at 0 (x < 0 instead of x <= 0) is still refuted on the kink.
* The not-decided note blames the side whose value at a kink is SymPy's Heaviside(0) = 1/2: the claim's when the
  description states the derivative there (relu), the derived gradient's at a Max's tie.
* The probabilistic verdict names exp only when the program has one.
"""

from __future__ import annotations

import pytest

from gradproof.proofs import cli

HEAD = ("from sympy import Heaviside, Max, Piecewise\n"
        "from gradproof.symbolic.layers.description import Layer, Sum, indices, relu, sizes, tensor\n"
        "(N,) = sizes('N'); (i,) = indices('i')\n"
        "x, y, g = tensor('x', N), tensor('y', N), tensor('g', N)\n")


def _derive(tmp_path, capsys, text: str):
    path = tmp_path / "layer.py"
    path.write_text(text)
    code = cli.main(["derive", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _relu(claim: str, body: str = "relu(x[i])") -> str:
    return HEAD + f"r = Layer('r', inputs=(x,), outputs={{y[i]: {body}}}, upstream={{y: g}}, claims={{x[i]: {claim}}}, " \
                  "at={N: 3})\n"


def test_a_claim_reading_outside_its_tensor_is_bad_input(tmp_path, capsys):
    code, out, err = _derive(tmp_path, capsys, _relu("g[i + 1]", "x[i] * 2"))
    assert code == 2 and "g[i + 1] leaves 1..N" in err and "padded(g, ...)" in err
    assert "DOES NOT HOLD" not in out


@pytest.mark.parametrize("claim", ["g[i] * Heaviside(x[i], 0)", "Piecewise((0, x[i] <= 0), (g[i], True))"])
def test_a_relu_step_written_another_way_holds_for_every_size(tmp_path, capsys, claim):
    code, out, _ = _derive(tmp_path, capsys, _relu(claim))
    assert code == 0 and "answer: holds for every size" in out
    assert "case splits are folded into one" in out


@pytest.mark.parametrize("claim", ["Piecewise((0, x[i] < 0), (g[i], True))", "g[i] * Heaviside(x[i], 1)"])
def test_a_step_with_another_value_at_0_is_refuted_on_the_kink(tmp_path, capsys, claim):
    code, out, _ = _derive(tmp_path, capsys, _relu(claim))
    assert code == 1 and "answer: DOES NOT HOLD" in out and "x[1] = 0" in out


def test_sympys_heaviside_in_the_claim_is_blamed_on_the_claim(tmp_path, capsys):
    code, out, _ = _derive(tmp_path, capsys, _relu("g[i] * Heaviside(x[i])"))
    assert code == 1 and "answer: NOT DECIDED" in out
    assert "the claim's value uses SymPy's Heaviside(0) = 1/2" in out
    assert "the derived value uses" not in out


def test_a_max_tie_is_blamed_on_the_derived_side_only(tmp_path, capsys):
    code, out, _ = _derive(tmp_path, capsys, _relu("g[i] * Heaviside(x[i], 0)", "Max(x[i], 0)"))
    assert code == 1 and "answer: NOT DECIDED" in out
    assert "the derived value uses Heaviside(x[1]) at 0" in out
    assert "Heaviside(x[1]), Heaviside(x[1], 0) at 0" not in out  # the claim's stated Heaviside is not listed


def test_the_probabilistic_verdict_names_exp_only_when_the_program_has_one(tmp_path, capsys):
    text = ("from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor\n"
            "N, D, H = sizes('N D H'); n, d, h, e = indices('n d h e')\n"
            "X, A, B = tensor('X', N, D), tensor('A', D, H), tensor('B', H, D)\n"
            "Y, G = tensor('Y', N, D), tensor('G', N, D)\n"
            "mm = Layer('mm', inputs=(X,), parameters=(A, B), upstream={Y: G},\n"
            "    outputs={Y[n, e]: Sum(Sum(X[n, d] * A[d, h], (d, D)) * B[h, e], (h, H))},\n"
            "    claims={B[h, e]: Sum(Sum(X[n, d] * A[d, h], (d, D)) * G[n, e], (n, N))}, at={N: 4, D: 4, H: 4})\n")
    code, out, _ = _derive(tmp_path, capsys, text)
    assert code == 0 and "probabilistic (derived - claimed at random integer points" in out
    assert "exp(u)" not in out

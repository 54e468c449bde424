"""``gradproof check FILE.py:Class`` at the kinks and in one unit (issue 16 trust items 2, 4, 5).

A class wrong only at relu'(0) or only at a max tie passed: the check used one standard-normal point,
which never lies on a kink. The class is now also compared with the derived gradient at points exactly on
the kinks: a MISMATCH where the description states the convention (relu'(0) = 0), NOT DECIDED where it
does not (a Max's tie, SymPy's Heaviside(0) = 1/2). Every line says where it was checked, and prints its
error and its resolution in the same unit (max|g|)."""

from __future__ import annotations

import re

import numpy as np

from gradproof.numeric.gradcheck import compare
from gradproof.proofs import cli, layer_command

HEAD = ("import numpy as np\n"
        "from sympy import Max\n"
        "from gradproof.symbolic.layers.description import Layer, indices, relu, sizes, step, tensor\n"
        "(N,) = sizes('N'); (i,) = indices('i')\n"
        "x, y, g = tensor('x', N), tensor('y', N), tensor('g', N)\n")
RELU = "r = Layer('relu', inputs=(x,), outputs={y[i]: relu(x[i])}, upstream={y: g}, at={N: 4})\n"
CLASS = ("class ReLU:\n"
         "    def __init__(self):\n"
         "        self.params = {}\n"
         "    def forward(self, x):\n"
         "        self.x = x\n"
         "        return np.maximum(x, 0)\n"
         "    def backward(self, g):\n"
         "        return {'x': g * (self.x MASK 0)}\n")
POOL = ("(P,) = sizes('P'); (p,) = indices('p')\n"
        "u, v, h = tensor('u', 2 * P), tensor('v', P), tensor('h', P)\n"
        "pool = Layer('pool', inputs=(u,), outputs={v[p]: Max(u[2 * p - 1], u[2 * p])}, upstream={v: h}, at={P: 3})\n"
        "class Pool:\n"
        "    def __init__(self):\n"
        "        self.params = {}\n"
        "    def forward(self, u):\n"
        "        self.u = u\n"
        "        return np.maximum(u[0::2], u[1::2])\n"
        "    def backward(self, h):\n"
        "        a, b = self.u[0::2], self.u[1::2]\n"
        "        du = np.zeros_like(self.u)\n"
        "        du[0::2] = h * (a >= b)\n"
        "        du[1::2] = h * (b > a)  # TIE\n"
        "        return {'u': du}\n")


def _check(tmp_path, capsys, text: str, target: str):
    path = tmp_path / "layer.py"
    path.write_text(HEAD + text)
    code = cli.main(["check", f"{path}:{target}"])
    return code, capsys.readouterr().out


def test_a_relu_class_wrong_only_at_0_is_a_mismatch_at_the_kinks(tmp_path, capsys):
    code, out = _check(tmp_path, capsys, RELU + CLASS.replace("MASK", ">="), "ReLU")  # attack3 c06
    assert code == 1
    kink = next(line for line in out.splitlines() if "(= derived, at the kinks):" in line and " evaluation" in line)
    assert "MISMATCH" in kink and "x[1] = 0" in kink
    random = next(line for line in out.splitlines() if "ReLU d/dx (= derived):" in line and " evaluation" in line)
    assert "ok" in random and "at one random point (standard normal, seed 0)" in random


def test_a_right_relu_class_passes_at_the_kinks(tmp_path, capsys):
    code, out = _check(tmp_path, capsys, RELU + CLASS.replace("MASK", ">"), "ReLU")
    kink = next(line for line in out.splitlines() if "(= derived, at the kinks):" in line and " evaluation" in line)
    assert code == 0 and ": ok (" in kink


def test_a_max_tie_is_not_decided_never_ok_for_a_class_giving_both_the_gradient(tmp_path, capsys):
    code, out = _check(tmp_path, capsys, POOL.replace("(b > a)", "(b >= a)"), "Pool")  # attack3 c02
    kink = next(line for line in out.splitlines() if "(= derived, at the kinks):" in line and " evaluation" in line)
    assert code == 1 and "NOT DECIDED" in kink and "Heaviside(0) = 1/2" in kink
    assert "u[1] - u[2] = 0" in kink
    assert "the max error leaves out the entries at a tie" in kink  # attack5: "max error 0" beside NOT DECIDED


def test_every_check_line_says_where_it_was_checked_and_the_header_names_each_kind_of_row(tmp_path, capsys):
    _, out = _check(tmp_path, capsys, RELU + CLASS.replace("MASK", ">"), "ReLU")
    lines = out.splitlines()
    assert lines[0].startswith("layer relu: numeric checks at sizes N = 4")
    rows = [line for line in lines if re.search(r" evaluations?, ", line)]
    assert rows and all("seed 0" in line for line in rows)
    for kind in ("rows (generated)", "rows (finite differences)", "rows (= derived)", "rows (= derived, at the kinks)"):
        assert any(line.strip().startswith(kind) for line in lines), kind


def test_error_and_resolution_are_printed_in_the_same_unit():
    # attack3 4e: an entry 1e-9 off relative to itself, in an array whose largest entry is 100 times larger
    expected = np.array([1.0, 100.0])
    report = compare("t", expected * np.array([1 + 1e-9, 1.0]), expected, method="m", evaluations=1,
                     rtol=1e-10, atol=1e-10 * 100.0)
    assert report.passed and report.max_rel_error > report.resolution  # the old line: "max rel 1e-09: ok (<2e-10)"
    line = layer_command.report_line(report)
    assert report.error_of_scale <= report.resolution
    assert f"max error {report.error_of_scale:.1e} x max|g|" in line
    assert f"could not see below {report.resolution:.1e} x max|g|" in line


def test_check_file_evaluates_a_claim_at_the_kinks_too(tmp_path, capsys):
    # attack3 w09 through check FILE.py: relu'(0) = 1 claimed; at the random point the claim row is ok
    claim = RELU.replace("upstream={y: g},", "upstream={y: g}, claims={x[i]: Piecewise((g[i], x[i] >= 0), (0, True))},")
    path = tmp_path / "layer.py"
    path.write_text(HEAD + "from sympy import Piecewise\n" + claim)
    code, out = cli.main(["check", str(path)]), capsys.readouterr().out
    kink = next(line for line in out.splitlines() if "(claim = derived, at the kinks):" in line and " evaluation" in line)
    assert code == 1 and "MISMATCH" in kink


PRODUCT = ("import numpy as np\n"
           "from sympy import Piecewise\n"
           "from gradproof.symbolic.layers.description import Layer, indices, relu, sizes, tensor\n"
           "(N,) = sizes('N'); (i,) = indices('i')\n"
           "a, b, y, g = tensor('a', N), tensor('b', N), tensor('y', N), tensor('g', N)\n"
           "L = Layer('prod', inputs=(a, b), outputs={y[i]: relu(a[i]) * relu(b[i])}, upstream={y: g},\n"
           "          claims={b[i]: g[i] * relu(a[i]) * Piecewise((1, b[i] >= 0), (0, True))}, at={N: 3})\n"
           "class WrongB:\n"
           "    def __init__(self):\n"
           "        self.params = {}\n"
           "    def forward(self, a, b):\n"
           "        self.a, self.b = a, b\n"
           "        return np.maximum(a, 0) * np.maximum(b, 0)\n"
           "    def backward(self, g):\n"
           "        return {'a': g * (self.a > 0) * np.maximum(self.b, 0), 'b': g * (self.b >= 0) * np.maximum(self.a, 0)}\n")


def test_a_kink_hidden_by_another_relu_at_one_point_is_found_at_another(tmp_path, capsys):
    # attack5 1a: on b = 0 with a < 0, relu(a) = 0 hid relu'(0) = 1; the kink points now also take the other
    # entries all positive and all negative
    path = tmp_path / "prod.py"
    path.write_text(PRODUCT)
    code = cli.main(["check", f"{path}:WrongB"])
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "WrongB d/db (= derived, at the kinks):" in line)
    assert code == 1 and "MISMATCH" in line
    assert cli.main(["derive", str(path)]) == 1
    assert "DOES NOT HOLD" in capsys.readouterr().out

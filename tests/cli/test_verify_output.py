"""What ``gradproof verify`` prints (issue 12, item 6): entries counted from 1 everywhere, labelled
finite-difference columns, and every counterexample with its rational point and both exact values."""

import re

import pytest
from sympy import Rational, Symbol, exp, sympify

from gradproof.proofs import cli, verify

SQUARE = ["verify", "--shape", "X=n,n"]


def test_the_finite_difference_row_has_labelled_columns_and_counts_from_1(capsys):
    # at n = 1 the only entry is (1, 1); counted from 0 it would print (0, 0)
    assert cli.main([*SQUARE, "--sizes", "n=1", "--wrt", "X", "--claim", "2*X", "tr(X.T*X)"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("finite differences at a random point"))
    labels, values = lines[header + 1], lines[header + 2]
    for label in ("evaluations", "max error (x max|g|)", "max entry-relative error", "worst entry", "status"):
        assert label in labels
    # the resolution in the error's unit (it printed "ok (could not see below 1.0e-05)" beside an absolute error)
    assert "(1, 1)" in values and values.split("(1, 1)")[1].split() == ["ok", "(could", "not", "see", "below",
                                                                         "1.0e-05", "x", "max|g|)"]


def test_the_worst_finite_difference_entry_is_printed_from_1():
    from gradproof.numeric.gradcheck import CheckReport

    report = CheckReport("claim: d/dW", "central difference", 12, 0.5, 0.25, (1, 2), False)
    assert dict(verify.finite_difference_cells(report))["worst entry"] == "(2, 3)"
    assert "worst entry (2, 3)" in verify.finite_difference_text(report)
    lines = verify.finite_difference_lines(report)
    assert lines[1].split() == ["evaluations", "max", "abs", "error", "max", "rel", "error", "worst", "entry", "status"]
    assert lines[2].split() == ["12", "5.00e-01", "2.50e-01", "(2,", "3)", "MISMATCH"]


def values_of(out: str) -> tuple[str, str]:
    match = re.search(r"at the rational point (.*): (?:derived|left) (.*), (?:claimed|right) (.*)$", out, flags=re.M)
    assert match, out
    return match.group(2), match.group(3)


@pytest.mark.parametrize("argv", [
    [*SQUARE, "--sizes", "n=2", "--wrt", "X", "--claim", "0*X", "log(det(X))"],
    [*SQUARE, "--sizes", "n=2", "--wrt", "X", "--claim", "X", "tr(X.T*X)"],
    [*SQUARE, "--sizes", "n=3", "--wrt", "X", "--claim", "inv(X)", "log(det(X))"],
    ["verify", "--shape", "W=m,n", "--shape", "x=n,1", "--scalar", "lam", "--sizes", "m=2,n=2", "--wrt", "W",
     "--claim", "lam*W*x*x.T", "tr((W*x).T*(W*x)) + lam*tr(W.T*W)"],
    ["verify", "--shape", "A=m,n", "--shape", "B=n,p", "vec(A*B)", "--equals", "kron(A, eye(p))*vec(B)"],
    [*SQUARE, "--scalar", "lam", "lam*X", "--equals", "X*lam*2"],
    [*SQUARE, "inv(X).T", "--equals", "inv(X)"],
])
def test_every_counterexample_has_a_rational_point_and_exact_rational_values(argv, capsys):
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    left, right = values_of(out)
    assert sympify(left).is_Rational and sympify(right).is_Rational and sympify(left) != sympify(right)
    assert "(0," not in out


def test_a_transcendental_counterexample_shows_exact_values_and_their_decimals(capsys):
    argv = [*SQUARE, "--sizes", "n=2", "--wrt", "X", "--claim", "exp(tr(X))*X", "exp(tr(X))"]
    assert cli.main(argv) == 1
    left, right = values_of(capsys.readouterr().out)
    assert "exp(" in left + right and "~" in left + right


def test_the_point_assigns_every_symbol_of_both_sides():
    a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    point, left, right = verify.rational_point(a + b, a + c, {b: Rational(1, 2)})
    assert set(point) == {a, b, c} and point[b] == Rational(1, 2)
    assert left.is_Rational and right.is_Rational and left != right
    assert verify.rational_point(a, a) is None  # equal sides never differ
    point, left, right = verify.rational_point(exp(a), a)
    assert left == exp(point[a]) and right == point[a]


def test_the_written_claim_tex_shows_the_point(tmp_path, capsys):
    argv = [*SQUARE, "--sizes", "n=2", "--wrt", "X", "--claim", "0*X", "log(det(X))", "--out", str(tmp_path / "r")]
    assert cli.main(argv) == 1
    tex = (tmp_path / "r" / "claim.tex").read_text(encoding="utf-8")
    assert "rational point" in tex and "12/65" in tex

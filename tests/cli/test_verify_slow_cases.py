"""Issue 12's claims that used to run past 120 s now get a verdict (speed is measured by
benchmarks/verify_cookbook.py, not here): each answers with the right verdict and exit code."""

from __future__ import annotations

import pytest

from gradproof.proofs import cli

CASES = [
    (["--shape", "X=n,n", "--sizes", "n=4", "--wrt", "X", "--claim", "inv(X).T", "log(det(X))"], 0, "HOLDS"),
    (["--shape", "X=m,n", "--shape", "C=m,m", "--shape", "A=n,n", "--sizes", "m=3,n=2", "--wrt", "X",
      "--claim=-C*X*inv(X.T*C*X)*(A+A.T)*inv(X.T*C*X)", "tr(inv(X.T*C*X)*A)"], 1, "DOES NOT HOLD"),
    (["--shape", "X=m,n", "--shape", "S=m,m", "--shape", "A=n,n", "--sizes", "m=3,n=2", "--wrt", "X",
      "--claim=-(S+S.T)*X*inv(X.T*(S+S.T)*X)*(A+A.T)*inv(X.T*(S+S.T)*X)", "tr(inv(X.T*(S+S.T)*X)*A)"], 0, "HOLDS"),
    (["--shape", "A=m,m", "--shape", "B=n,n", "inv(kron(A,B))", "--equals", "kron(inv(A),inv(B))"], 0, "HOLDS"),
    (["--shape", "X=n,n", "--sizes", "n=200", "--wrt", "X", "--claim", "2*X", "tr(X.T*X)"], 2, "give smaller"),
]


@pytest.mark.parametrize("argv, code, word", CASES, ids=["logdet n=4", "cookbook 125, C not symmetric", "cookbook 125, C symmetric",
                                                         "inv(kron) default sweep", "n=200 refused"])
def test_formerly_slow_claims_answer(capsys, argv, code, word):
    assert cli.main(["verify", *argv]) == code
    captured = capsys.readouterr()
    assert word in captured.out + captured.err

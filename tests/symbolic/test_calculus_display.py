"""`gradproof grad` displays chains of true equalities (attack3 item 4d): each displayed step starts from the
previous line, a sub-expression rewrite is shown in its context, and the read-off (not an equality) is not
chained. Before: "x.T*A*x = tr(x.T*A*x) = tr(d(x.T*A*x))" and "tr((A*x + A.T*x).T*dx) = (A + A.T)*x"."""

from __future__ import annotations

import pytest

from gradproof.proofs.grad_command import displayed_steps, grad

SHAPES = {"x": ("n", 1), "A": ("n", "n")}


@pytest.mark.parametrize(("text", "hessian"), [("x.T*A*x", False), ("sum(hpow(x, 2))", False),
                                               ("x.T*A*x", True), ("tr(A*x*x.T) + x.T*x", False)])
def test_every_displayed_chain_is_a_chain_of_equalities(text, hessian):
    derivation = grad(text, SHAPES, "x", hessian_of=hessian).derivation
    for start, steps in derivation.chains():
        previous = start
        for step in steps:
            assert step.before == previous, (step.rule, step.before, previous)
            previous = step.after
    # a read-off step (tr(G^T dX) gives G) never appears inside a chain
    assert all("read off" not in step.rule for _, steps in derivation.chains() for step in steps)


def test_the_quadratic_form_reads_as_the_report_expected():
    lines = "\n".join(grad("x.T*A*x", SHAPES, "x").derivation.lines())
    assert "  d(x.T*A*x)\n  = d(tr(x.T*A*x))    [a 1 x 1 matrix is its trace]\n  = tr(d(x.T*A*x))" in lines
    assert "  = tr(((A + A.T)*x).T*dx)    [distributivity" in lines
    assert "= (A + A.T)*x" not in lines
    assert "tr(((A + A.T)*x).T*dx) for every dx gives (A + A.T)*x    [read off" in lines


def test_json_steps_are_the_displayed_ones():
    steps = displayed_steps(grad("x.T*A*x", SHAPES, "x").derivation)
    chained = [s for s in steps if s["relation"] == "="]
    assert all(later["before"] == earlier["after"] for earlier, later in zip(chained, chained[1:])
               if later["chain"] == earlier["chain"])
    assert {"rule": steps[-1]["rule"][:8], "relation": steps[-1]["relation"]} == {"rule": "read off",
                                                                                  "relation": "gives"}

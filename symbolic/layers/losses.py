"""Seed 004's regularized objective and seed 003's update, derived with SymPy and compared exactly with the
numeric rules of ``numeric.rules.objective`` run on symbols. (Softmax cross-entropy is decided by the description
engine from ``symbolic.layers.builtin.CROSS_ENTROPY``'s claim: ``symbolic.layers.verify.verify_cross_entropy``.)

* f = (1/2C) sum_j theta_j^2 + (1/l) sum_i xi_i(theta) (seed 004 (1), (2)): df/dtheta_j is derived
  with the xi_i unknown functions of theta; the closed form is theta / C + (1/l) sum_i dxi_i/dtheta.
* M_new = M_old - mu df/dM (seed 003): the update rule on symbols equals theta - mu times SymPy's
  derivative of f.
"""

from __future__ import annotations

import numpy as np
from sympy import Function, Matrix, Rational, diff, expand, symbols

from gradproof.numeric.rules import objective as objective_rules


def objective_check(parameters: int = 3, samples: int = 2) -> dict:
    theta = Matrix(symbols(f"theta_1:{parameters + 1}"))
    c, mu = symbols("C mu", positive=True)
    losses = [Function(f"xi_{i + 1}")(*theta) for i in range(samples)]
    f = theta.dot(theta) / (2 * c) + Rational(1, samples) * sum(losses)
    derived = Matrix([diff(f, t) for t in theta])
    data_grad = Matrix([Rational(1, samples) * sum(diff(loss, t) for loss in losses) for t in theta])
    closed = Matrix(objective_rules.objective_grad(np.array(list(theta), dtype=object), np.array(list(data_grad), dtype=object), c))
    update = Matrix(objective_rules.sgd_update(np.array(list(theta), dtype=object), np.array(list(closed), dtype=object), mu))
    derived_step = theta - mu * derived  # seed 003: M_new = M_old - mu df/dM, with SymPy's own df/dM
    return {"objective": f, "derived": derived, "closed": closed, "update": update, "theta": theta, "mu": mu,
            "holds": (derived - closed).applyfunc(expand) == Matrix.zeros(parameters, 1),
            "update_holds": (update - derived_step).applyfunc(expand) == Matrix.zeros(parameters, 1)}

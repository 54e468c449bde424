"""Softmax cross-entropy, seed 004's regularized objective and seed 003's update, derived with SymPy
and compared exactly with the numeric rules of ``numeric.rules.cross_entropy`` and ``numeric.rules.objective`` run on symbols.

* xi = (1/N) sum_i (log sum_k exp z_ik - z_i,y_i): SymPy differentiates it; the closed form is
  (softmax(z) - onehot(y)) / N, the softmax being handed to the rule (computed in the forward pass),
  here as its definition exp(z_ik) / sum_j exp(z_ij).
* f = (1/2C) sum_j theta_j^2 + (1/l) sum_i xi_i(theta) (seed 004 (1), (2)): df/dtheta_j is derived
  with the xi_i unknown functions of theta; the closed form is theta / C + (1/l) sum_i dxi_i/dtheta.
* M_new = M_old - mu df/dM (seed 003): the update rule on symbols equals theta - mu times SymPy's
  derivative of f.
"""

from __future__ import annotations

import numpy as np
from sympy import Function, Matrix, Rational, Symbol, diff, exp, expand, log, symbols

from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.numeric.rules import objective as objective_rules


def cross_entropy_check(labels=(2, 0, 1), classes: int = 3) -> dict:
    n = len(labels)
    z = Matrix(n, classes, lambda i, k: Symbol(f"z_{{{i + 1},{k + 1}}}"))
    xi = Rational(1, n) * sum(log(sum(exp(z[i, k]) for k in range(classes))) - z[i, labels[i]] for i in range(n))
    derived = z.applyfunc(lambda entry: diff(xi, entry))
    probabilities = Matrix(n, classes, lambda i, k: exp(z[i, k]) / sum(exp(z[i, j]) for j in range(classes)))
    one_hot = np.eye(classes, dtype=int)[list(labels)]
    closed = Matrix(cross_entropy_rules.cross_entropy_grad(np.array(probabilities.tolist(), dtype=object), one_hot).tolist())
    return {"loss": xi, "derived": derived, "closed": closed,
            "holds": (derived - closed).applyfunc(expand) == Matrix.zeros(n, classes)}


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

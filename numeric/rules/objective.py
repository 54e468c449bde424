"""The regularized objective and the SGD step (seed 004 eqs. (1), (2); seed 003's weight update).

f = (1/2C) ||theta||^2 + (1/l) sum_i xi_i, so df/dtheta = theta / C + (1/l) sum_i d xi_i / d theta, and one step of
gradient descent is theta_new = theta_old - mu df/dtheta (denominator layout: the gradient has theta's shape).
"""

from __future__ import annotations


def objective_grad(parameter, data_grad, regularization: float):
    """df/dtheta for f = (1/2C) ||theta||^2 + (1/l) sum_i xi_i: theta / C + data_grad (seed 004 (1), (2)).

    ``data_grad`` is already the batch average (1/l) sum_i d xi_i / d theta.
    """
    return parameter / regularization + data_grad


def sgd_update(parameter, gradient, learning_rate: float):
    """M_new = M_old - mu df/dM (seed 003, weight update, in denominator layout)."""
    return parameter - learning_rate * gradient

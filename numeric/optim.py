"""SGD on the regularized objective of seed 004: f = (1/2C) ||theta||^2 + (1/l) sum_i xi_i."""

from __future__ import annotations

import numpy as np

from gradproof.numeric.rules import objective as objective_rules


class SGD:
    """theta <- theta - lr * (theta / C + g), with g the batch-averaged loss gradient (seed 003, 004).

    Parameters
    ----------
    params : dict of arrays, updated in place (pass ``model.params``)
    lr : learning rate mu > 0
    regularization : C > 0 of seed 004's (1/2C) ||theta||^2, or None for no regularization
    momentum : heavy-ball momentum in [0, 1) (beyond the seeds; 0 is plain SGD): the step uses
        v <- momentum * v + df/dtheta, as PyTorch's SGD does.
    """

    def __init__(self, params: dict, lr: float, *, regularization: float | None = None, momentum: float = 0.0):
        if not lr > 0:
            raise ValueError(f"SGD: lr must be > 0, got {lr!r}")
        if regularization is not None and not regularization > 0:
            raise ValueError(f"SGD: regularization C must be > 0 or None, got {regularization!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        self.params, self.lr, self.regularization, self.momentum = params, lr, regularization, momentum
        self.velocity = {name: np.zeros_like(value) for name, value in params.items()}

    def objective_gradient(self, name: str, data_grad):
        """df/dtheta for one parameter: theta / C + data_grad (seed 004 (1), (2))."""
        if self.regularization is None:
            return data_grad
        return objective_rules.objective_grad(self.params[name], data_grad, self.regularization)

    def step(self, grads: dict) -> None:
        missing = set(self.params) - set(grads)
        if missing:
            raise ValueError(f"SGD.step: no gradient for {sorted(missing)}")
        for name, parameter in self.params.items():
            gradient = self.objective_gradient(name, grads[name])
            if self.momentum:
                self.velocity[name] = self.momentum * self.velocity[name] + gradient
                gradient = self.velocity[name]
            parameter[...] = objective_rules.sgd_update(parameter, gradient, self.lr)

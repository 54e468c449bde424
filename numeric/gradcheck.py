"""Finite-difference cross-checks of analytic gradients (float64, central differences, per entry).

For a scalar function f and a point p, entry k of the numeric gradient is

    (f(p + h e_k) - f(p - h e_k)) / (2h),

with truncation error O(h^2 f''') and rounding error O(eps |f| / h); h = 1e-6 balances the two
to about 1e-9 for the O(1)..O(10) values used here. An entry passes when
|analytic - numeric| <= atol + rtol * |numeric| (the ``numpy.isclose`` rule).

Layers are checked through a random projection of their output: with a fixed random u the scalar
L = sum(u ⊙ layer(x)) has dL/dy = u, so ``layer.backward(u)`` must equal the numeric gradient of L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_STEP = 1e-6
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-7


@dataclass(frozen=True)
class CheckReport:
    """Outcome of one gradient comparison."""

    name: str
    method: str
    evaluations: int
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    passed: bool

    def row(self) -> tuple[str, ...]:
        """The report as table cells (name, method, evals, max abs, max rel, worst, status)."""
        return (
            self.name,
            self.method,
            str(self.evaluations),
            f"{self.max_abs_error:.2e}",
            f"{self.max_rel_error:.2e}",
            str(self.worst_index),
            "ok" if self.passed else "MISMATCH",
        )


def central_difference(func, point: np.ndarray, step: float = DEFAULT_STEP):
    """Numeric gradient of the scalar ``func`` at ``point`` (modified in place, then restored).

    Returns ``(gradient, evaluations)``; ``gradient`` has the shape of ``point``.
    """
    if point.dtype != np.float64:
        raise ValueError(f"central_difference: point must be float64, got {point.dtype}")
    gradient = np.zeros_like(point)
    flat_point, flat_gradient = point.reshape(-1), gradient.reshape(-1)
    for k in range(flat_point.size):
        original = flat_point[k]
        flat_point[k] = original + step
        above = float(func())
        flat_point[k] = original - step
        below = float(func())
        flat_point[k] = original
        flat_gradient[k] = (above - below) / (2 * step)
    return gradient, 2 * flat_point.size


def compare(name, analytic, numeric, *, method, evaluations, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """Compare two gradients entry by entry and summarise the worst entry in a ``CheckReport``."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"compare({name}): analytic gradient has shape {analytic.shape}, "
            f"numeric gradient {numeric.shape}"
        )
    abs_error = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    rel_error = np.divide(abs_error, scale, out=np.zeros_like(abs_error), where=scale > 0)
    allowed = atol + rtol * np.abs(numeric)
    worst = np.unravel_index(int(np.argmax(abs_error / allowed)), abs_error.shape)
    return CheckReport(
        name=name,
        method=method,
        evaluations=evaluations,
        max_abs_error=float(abs_error.max(initial=0.0)),
        max_rel_error=float(rel_error.max(initial=0.0)),
        worst_index=tuple(int(i) for i in worst),
        passed=bool(np.all(abs_error <= allowed)),
    )


def check_function(name, func, point, analytic, *, step=DEFAULT_STEP, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """Check ``analytic`` against central differences of the scalar ``func()`` in ``point``."""
    numeric, evaluations = central_difference(func, point, step)
    method = f"central difference, h={step:g}"
    return compare(name, analytic, numeric, method=method, evaluations=evaluations, rtol=rtol, atol=atol)


def check_layer(layer, x, *, rng, name=None, **tolerances):
    """Check ``layer.backward`` for the input and every parameter; returns one report each.

    ``x`` is copied to float64; the parameters are perturbed in place and restored.
    """
    name = name or type(layer).__name__
    x = np.array(x, dtype=np.float64)
    projection = rng.standard_normal(np.shape(layer.forward(x)))

    def projected_output():
        return np.sum(projection * layer.forward(x))

    projected_output()
    grad_input = layer.backward(projection)
    analytic = {"input": grad_input, **{key: value.copy() for key, value in layer.grads.items()}}
    points = {"input": x, **layer.params}
    return [
        check_function(f"{name} d/d{key}", projected_output, points[key], analytic[key], **tolerances)
        for key in analytic
    ]


def check_loss(loss, prediction, target, *, name=None, **tolerances):
    """Check ``loss.gradient`` against central differences of ``loss.value``."""
    name = name or repr(loss)
    prediction = np.array(prediction, dtype=np.float64)
    analytic = loss.gradient(prediction, target)
    return check_function(
        f"{name} d/dprediction", lambda: loss.value(prediction, target), prediction, analytic, **tolerances
    )


def check_model_with_loss(model, loss, x, target, *, name="network", **tolerances):
    """Check the full gradient of ``loss(model(x), target)`` w.r.t. the input and every parameter."""
    x = np.array(x, dtype=np.float64)

    def total_loss():
        return loss.value(model.forward(x), target)

    prediction = model.forward(x)
    grad_input = model.backward(loss.gradient(prediction, target))
    analytic = {"input": grad_input, **{key: value.copy() for key, value in model.grads.items()}}
    points = {"input": x, **model.params}
    return [
        check_function(f"{name} d/d{key}", total_loss, points[key], analytic[key], **tolerances)
        for key in analytic
    ]


def _objective(model, loss, x, target, regularization):
    """f = (1/2C) ||theta||^2 + loss(model(x), target): seed 004's regularized objective."""
    penalty = sum(float(np.sum(p * p)) for p in model.params.values()) / (2 * regularization)
    return loss.value(model.forward(x), target) + penalty


def _objective_gradients(model, loss, x, target, regularization):
    from numeric.pool import objective_grad

    grad_input = model.backward(loss.gradient(model.forward(x), target))
    grads = {name: objective_grad(model.params[name], model.grads[name], regularization) for name in model.params}
    return grad_input, grads


def check_objective(model, loss, x, target, *, regularization, name="objective", **tolerances):
    """Per-entry central differences of f with respect to the input and every parameter."""
    x = np.array(x, dtype=np.float64)
    grad_input, grads = _objective_gradients(model, loss, x, target, regularization)
    analytic, points = {"input": grad_input, **grads}, {"input": x, **model.params}
    return [
        check_function(f"{name} d/d{key}", lambda: _objective(model, loss, x, target, regularization),
                       points[key], analytic[key], **tolerances)
        for key in analytic
    ]


def check_random_projections(model, loss, x, target, *, regularization, rng, directions=4, step=DEFAULT_STEP,
                             name="objective", rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """<grad f, v> against (f(theta + h v) - f(theta - h v)) / 2h for random unit directions v over
    all parameters at once: 2 evaluations per direction, for networks too large to check per entry."""
    x = np.array(x, dtype=np.float64)
    _, grads = _objective_gradients(model, loss, x, target, regularization)
    analytic, numeric = [], []
    for _ in range(directions):
        direction = {key: rng.standard_normal(value.shape) for key, value in model.params.items()}
        norm = np.sqrt(sum(np.sum(d * d) for d in direction.values()))
        direction = {key: d / norm for key, d in direction.items()}
        analytic.append(sum(float(np.sum(grads[key] * direction[key])) for key in grads))
        values = []
        for sign in (1, -1):
            for key, parameter in model.params.items():
                parameter += sign * step * direction[key]
            values.append(_objective(model, loss, x, target, regularization))
            for key, parameter in model.params.items():
                parameter -= sign * step * direction[key]
        numeric.append((values[0] - values[1]) / (2 * step))
    method = f"random projection, h={step:g}"
    return compare(f"{name} <grad f, v>", np.array(analytic), np.array(numeric), method=method,
                   evaluations=2 * directions, rtol=rtol, atol=atol)

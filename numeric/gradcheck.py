"""Numeric cross-checks of analytic gradients, per entry, in float64 (issue 6's engine).

Three numeric derivatives of a scalar f at x, entry k, with step h_k = h max(1, |x_k|):

* central differences (f(x + h e_k) - f(x - h e_k)) / 2h, h = 1e-6: truncation h^2 times the third
  derivative against rounding eps |f| / h, about 1e-10 here;
* 4th-order Richardson (4 D(h/2) - D(h)) / 3, h = 1e-3: about 1e-12;
* the complex step Im f(x + i h e_k) / h, h = 1e-20: no subtraction, about 1e-16; the layers accept
  complex input and their kinks (ReLU, max pooling) branch on the real part.

An entry passes when |analytic - numeric| <= atol + rtol |numeric| (``TOLERANCES`` per method). An
entry that fails where the two one-sided slopes differ by more than rounding noise and the analytic
value equals one of them is at a kink (ReLU at 0, a max-pool tie): it is reported as a kink, not a
failure. Layers are checked through a random projection of their output: with a fixed random u,
L = sum(u * layer(x)) has dL/dy = u, so ``layer.backward(u)`` must equal the gradient of L; for large
inputs ``check_layer_projections`` compares <u, J v> with <J^T u, v>. Every check returns the same
``CheckReport``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

DEFAULT_STEP = 1e-6
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-7
METHODS = ("central", "richardson", "complex")
TOLERANCES = {"central": (1e-5, 1e-7), "richardson": (1e-8, 1e-10), "complex": (1e-10, 1e-13)}
"""(rtol, atol) per method: central differences reach ~1e-10 absolute, 4th-order Richardson ~1e-12,
the complex step ~1e-16 relative (no subtraction), so each can be held to a tighter tolerance."""
STEPS = {"central": 1e-6, "richardson": 1e-3, "complex": 1e-20}
"""Default relative steps: central h^2 truncation vs eps/h rounding balance near 1e-6; Richardson's
h^4 truncation allows 1e-3, where its rounding error eps |f| / h is ~1e-13."""
EPSILON = np.finfo(np.float64).eps


@dataclass(frozen=True)
class CheckReport:
    """Outcome of one gradient comparison (the one report format of every check)."""

    name: str
    method: str
    evaluations: int
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    passed: bool
    kinks: int = 0
    wrt: str = ""
    """The gradient this report covers: "input", a parameter key ("weight", "0.bias"), "prediction", or
    "" for a check of several gradients at once (random projections)."""

    def row(self) -> tuple[str, ...]:
        """The report as table cells (name, method, evals, max abs, max rel, worst, status)."""
        status = "ok" if self.passed else "MISMATCH"
        if self.kinks:
            status += f" ({self.kinks} at a kink, not counted)"
        return (
            self.name,
            self.method,
            str(self.evaluations),
            f"{self.max_abs_error:.2e}",
            f"{self.max_rel_error:.2e}",
            str(self.worst_index),
            status,
        )


def numeric_gradient(func, point: np.ndarray, *, method: str = "central", step: float | None = None):
    """Gradient of the scalar ``func(array)`` at ``point`` entry by entry; ``point`` is not modified.

    The step of entry k is ``step * max(1, |x_k|)``. Returns ``(gradient, evaluations, one_sided)``:
    ``one_sided`` holds the forward and backward slopes and their rounding noise (for kink
    detection), or None for the complex step, which needs ``func`` to accept complex input:
    f'(x) = Im f(x + i h) / h.
    """
    if method not in METHODS:
        raise ValueError(f"numeric_gradient: method must be one of {METHODS}, got {method!r}")
    step = STEPS[method] if step is None else step
    if point.dtype != np.float64:
        raise ValueError(f"numeric_gradient: point must be float64, got {point.dtype}")
    flat = point.reshape(-1)
    gradient, forward, backward, noise = (np.zeros(flat.size) for _ in range(4))
    if method == "complex":
        work = flat.astype(np.complex128)
        for k in range(flat.size):
            work[k] += 1j * 1e-20
            gradient[k] = np.imag(func(work.reshape(point.shape))) / 1e-20
            work[k] = flat[k]
        return gradient.reshape(point.shape), flat.size, None
    work = flat.copy()
    centre = float(func(point))

    def at(k, offset):
        work[k] = flat[k] + offset
        value = float(func(work.reshape(point.shape)))
        work[k] = flat[k]
        return value

    for k in range(flat.size):
        h = step * max(1.0, abs(flat[k]))
        above, below = at(k, h), at(k, -h)
        forward[k], backward[k] = (above - centre) / h, (centre - below) / h
        noise[k] = 8 * EPSILON * max(1.0, abs(centre), abs(above), abs(below)) / h
        central = (above - below) / (2 * h)
        if method == "richardson":
            half = (at(k, h / 2) - at(k, -h / 2)) / h
            central = (4 * half - central) / 3
        gradient[k] = central
    per_entry = 2 if method == "central" else 4
    one_sided = (forward.reshape(point.shape), backward.reshape(point.shape), noise.reshape(point.shape))
    return gradient.reshape(point.shape), per_entry * flat.size + 1, one_sided


def compare(name, analytic, numeric, *, method, evaluations, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, one_sided=None):
    """Compare two gradients entry by entry and summarise the worst entry in a ``CheckReport``.

    With ``one_sided`` slopes, an entry that fails but sits at a kink (the slopes differ, and the
    analytic value is one of them: a valid one-sided derivative) is counted as a kink, not a failure.
    """
    analytic = np.asarray(analytic)
    analytic = np.real(analytic).astype(np.float64)
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
    failing = abs_error > allowed
    kinks = np.zeros_like(failing)
    if one_sided is not None:
        forward, backward, noise = one_sided
        loose = np.sqrt(DEFAULT_STEP) * (1 + np.abs(analytic)) + noise
        matches_a_side = (np.abs(analytic - forward) <= loose) | (np.abs(analytic - backward) <= loose)
        jump = np.abs(forward - backward) > np.maximum(allowed, 10 * noise)
        kinks = failing & jump & matches_a_side
    counted = np.where(kinks, 0.0, abs_error / allowed)
    worst = np.unravel_index(int(np.argmax(counted)), abs_error.shape)
    return CheckReport(
        name=name,
        method=method,
        evaluations=evaluations,
        max_abs_error=float(np.where(kinks, 0.0, abs_error).max(initial=0.0)),
        max_rel_error=float(np.where(kinks, 0.0, rel_error).max(initial=0.0)),
        worst_index=tuple(int(i) for i in worst),
        passed=bool(not np.any(failing & ~kinks)),
        kinks=int(kinks.sum()),
    )


def check_array(name, func, point, analytic, *, method="central", step=None, rtol=None, atol=None, wrt=""):
    """Check ``analytic`` against the numeric gradient of the scalar ``func(array)`` at ``point``."""
    default_rtol, default_atol = TOLERANCES[method]
    step = STEPS[method] if step is None else step
    numeric, evaluations, one_sided = numeric_gradient(func, np.array(point, dtype=np.float64), method=method, step=step)
    label = {"central": f"central difference, h={step:g}*max(1,|x|)",
             "richardson": f"4th-order Richardson, h={step:g}*max(1,|x|)", "complex": "complex step, h=1e-20"}[method]
    report = compare(name, analytic, numeric, method=label, evaluations=evaluations, one_sided=one_sided,
                     rtol=default_rtol if rtol is None else rtol, atol=default_atol if atol is None else atol)
    return replace(report, wrt=wrt)


@contextmanager
def _substituted(model, key: str, value):
    """Temporarily make ``value`` the parameter ``key`` (in the layer that owns it, for Sequential)."""
    owners = [model.params]
    if hasattr(model, "layers") and "." in key:
        index, name = key.split(".", 1)
        owners.append(model.layers[int(index)].params)
    else:
        name = key
    originals = [owner[name if owner is not model.params else key] for owner in owners]
    try:
        for owner in owners:
            owner[name if owner is not model.params else key] = value
        yield
    finally:
        for owner, original in zip(owners, originals):
            owner[name if owner is not model.params else key] = original


def _check_all(name, scalar_of_input, scalar_with_param, x, params, analytic, method, tolerances):
    reports = [check_array(f"{name} d/dinput", scalar_of_input, x, analytic["input"], method=method, wrt="input",
                           **tolerances)]
    for key, value in params.items():
        reports.append(check_array(f"{name} d/d{key}", lambda array, key=key: scalar_with_param(key, array), value,
                                   analytic[key], method=method, wrt=key, **tolerances))
    return reports


def check_layer(layer, x, *, rng, name=None, method="central", **tolerances):
    """Check ``layer.backward`` for the input and every parameter; one report each.

    The output is projected on a fixed random u, so L = sum(u * layer(x)) has dL/dy = u.
    ``method``: "central", "richardson" or "complex" (the layer must accept complex input).
    """
    name = name or type(layer).__name__
    x = np.array(x, dtype=np.float64)
    projection = rng.standard_normal(np.shape(layer.forward(x)))
    layer.forward(x)
    analytic = {"input": layer.backward(projection), **{key: value.copy() for key, value in layer.grads.items()}}

    def of_input(array):
        return np.sum(projection * layer.forward(array))

    def with_param(key, array):
        with _substituted(layer, key, array):
            return np.sum(projection * layer.forward(x))

    params = {key: value.copy() for key, value in layer.params.items()}
    return _check_all(name, of_input, with_param, x, params, analytic, method, tolerances)


def check_layer_projections(layer, x, *, rng, directions: int = 4, name=None):
    """<u, J v> (complex step along v) against <J^T u, v> (the backward pass) for random u, v."""
    name = name or type(layer).__name__
    x = np.array(x, dtype=np.float64)
    forward_values, backward_values = [], []
    for _ in range(directions):
        v = rng.standard_normal(x.shape)
        jv = np.imag(layer.forward(x + 1e-20j * v)) / 1e-20
        u = rng.standard_normal(jv.shape)
        layer.forward(x)
        backward_values.append(float(np.sum(layer.backward(u) * v)))
        forward_values.append(float(np.sum(u * jv)))
    rtol, atol = TOLERANCES["complex"]
    return compare(f"{name} <u, J v> vs <J^T u, v>", np.array(backward_values), np.array(forward_values),
                   method="random projections, complex step", evaluations=2 * directions, rtol=rtol, atol=atol)


def check_loss(loss, prediction, target, *, name=None, method="central", **tolerances):
    """Check ``loss.gradient`` against numeric derivatives of ``loss.value``."""
    name = name or repr(loss)
    prediction = np.array(prediction, dtype=np.float64)
    analytic = loss.gradient(prediction, target)
    return check_array(f"{name} d/dprediction", lambda array: loss.value(array, target), prediction, analytic,
                       method=method, wrt="prediction", **tolerances)


def check_model_with_loss(model, loss, x, target, *, name="network", method="central", **tolerances):
    """Check the full gradient of ``loss(model(x), target)`` w.r.t. the input and every parameter."""
    x = np.array(x, dtype=np.float64)
    prediction = model.forward(x)
    analytic = {"input": model.backward(loss.gradient(prediction, target)),
                **{key: value.copy() for key, value in model.grads.items()}}

    def of_input(array):
        return loss.value(model.forward(array), target)

    def with_param(key, array):
        with _substituted(model, key, array):
            return loss.value(model.forward(x), target)

    params = {key: value.copy() for key, value in model.params.items()}
    return _check_all(name, of_input, with_param, x, params, analytic, method, tolerances)


def _objective_at(model, loss, x, target, regularization):
    """f = (1/2C) ||theta||^2 + loss(model(x), target): seed 004's regularized objective."""
    penalty = sum(np.sum(p * p) for p in model.params.values()) / (2 * regularization)
    return loss.value(model.forward(x), target) + penalty


def _objective_gradients(model, loss, x, target, regularization):
    from gradproof.numeric.rules.objective import objective_grad

    grad_input = model.backward(loss.gradient(model.forward(x), target))
    grads = {name: objective_grad(model.params[name], model.grads[name], regularization) for name in model.params}
    return grad_input, grads


def check_objective(model, loss, x, target, *, regularization, name="objective", method="central", **tolerances):
    """Per-entry numeric derivatives of f with respect to the input and every parameter."""
    x = np.array(x, dtype=np.float64)
    grad_input, grads = _objective_gradients(model, loss, x, target, regularization)

    def of_input(array):
        return _objective_at(model, loss, array, target, regularization)

    def with_param(key, array):
        with _substituted(model, key, array):
            return _objective_at(model, loss, x, target, regularization)

    params = {key: value.copy() for key, value in model.params.items()}
    return _check_all(name, of_input, with_param, x, params, {"input": grad_input, **grads}, method, tolerances)


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
            values.append(float(_objective_at(model, loss, x, target, regularization)))
            for key, parameter in model.params.items():
                parameter -= sign * step * direction[key]
        numeric.append((values[0] - values[1]) / (2 * step))
    method = f"random projection, h={step:g}"
    return compare(f"{name} <grad f, v>", np.array(analytic), np.array(numeric), method=method,
                   evaluations=2 * directions, rtol=rtol, atol=atol)

"""Projection checks: a gradient tested through <gradient, v> along random directions v, for layers and
networks too large to check entry by entry.

* ``check_layer_projections``: for random u (upstream) and v, the complex-step directional derivative
  J v of the layer (no subtraction, so no truncation) against the backward pass: <u, J v> = <J^T u, v>.
  It covers every input and every parameter of the layer, each with its own directions.
* ``check_random_projections``: for the objective f of a network (seed 004's regularized objective),
  <grad f, v> against the derivative of f along unit directions v, measured by 4th-order Richardson
  on the error model of ``numeric.error_model``, for the input and for every parameter separately.

Each report's name lists the gradients it covered; its entry (g, d) is gradient g, direction d.
Importable from ``gradproof.numeric.gradcheck`` as well.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gradproof.numeric.error_model import (
    ANALYTIC_ROUNDING,
    COMPLEX_ROUNDING,
    EPSILON,
    FAIL,
    KINK,
    NONSMOOTH,
    measure,
    noise_level,
)
from gradproof.numeric.gradcheck import (
    STEPS,
    _objective_at,
    _objective_gradients,
    _replaced,
    _substituted,
    guarded,
    input_gradients,
    judge,
    layer_inputs,
    parameter_gradients,
    params_snapshot,
    require_params_unchanged,
)

WHERE = "check_layer_projections"

COMPLEX_STEP = STEPS["complex"]


def _directional_complex(layer, inputs, target, v, step=COMPLEX_STEP):
    """J v along ``v`` for input number ``target`` (an int) or the parameter ``target`` (a key), by the
    complex step: Im layer(x + i h v) / h."""
    if isinstance(target, int):
        shifted = _replaced(inputs, target, inputs[target] + 1j * step * v)
        return np.imag(guarded(layer, "forward", *shifted, where=WHERE)) / step
    with _substituted(layer, target, layer.params[target] + 1j * step * v):
        return np.imag(guarded(layer, "forward", *inputs, where=WHERE)) / step


def check_layer_projections(layer, x, *, rng, directions: int = 4, name=None):
    """<u, J v> (complex step along v) against <J^T u, v> (the backward pass) for random u, v, for every
    input (``x`` one array or a tuple of arrays, as in ``check_layer``) and every parameter: entry (g, d)
    of the report is gradient g (the inputs, then the parameters in order), direction d. Allowed error:
    C_C eps (sum |u Jv| + sum |g v|), the rounding of the two dot products. The layer gets copies of its
    inputs and of u; an in-place write to them or to a parameter raises ``ArgumentModified``."""
    name = name or type(layer).__name__
    inputs, names = layer_inputs(x, WHERE)
    targets = [*range(len(inputs)), *layer.params]
    params = params_snapshot(layer)
    analytic, numeric, allowed = (np.zeros((len(targets), directions)) for _ in range(3))
    for d in range(directions):
        u = rng.standard_normal(np.shape(guarded(layer, "forward", *inputs, where=WHERE)))
        guarded(layer, "forward", *inputs, where=WHERE)
        require_params_unchanged(layer, params, "forward", where=WHERE)
        input_grads = input_gradients(layer, u, inputs, names, WHERE)
        require_params_unchanged(layer, params, "backward", where=WHERE)
        grads = parameter_gradients(layer, WHERE)
        gradients = [*input_grads, *(grads[key] for key in layer.params)]
        for g, target in enumerate(targets):
            v = rng.standard_normal(inputs[target].shape if isinstance(target, int) else layer.params[target].shape)
            jv = _directional_complex(layer, inputs, target, v)
            analytic[g, d], numeric[g, d] = np.sum(gradients[g] * v), np.sum(u * jv)
            terms = np.sum(np.abs(u * jv)) + np.sum(np.abs(gradients[g] * v))
            allowed[g, d] = COMPLEX_ROUNDING * EPSILON * terms + ANALYTIC_ROUNDING * EPSILON * abs(analytic[g, d])
    guarded(layer, "forward", *inputs, where=WHERE)
    require_params_unchanged(layer, params, "forward", where=WHERE)
    gradient_names = ", ".join([*names, *layer.params])
    return judge(f"{name} <u, J v> vs <J^T u, v> ({gradient_names})", analytic, numeric, allowed,
                 method="random projections, complex step", evaluations=len(targets) * directions)


def _direction_line(model, loss, x, target, regularization, key, v):
    """phi(t) = f along the direction v of the input (key None) or of the parameter ``key``."""
    def phi(t):
        if key is None:
            return _objective_at(model, loss, x + t * v, target, regularization, "check_random_projections")
        with _substituted(model, key, model.params[key] + t * v):
            return _objective_at(model, loss, x, target, regularization, "check_random_projections")

    return phi


def check_random_projections(model, loss, x, target, *, regularization, rng, directions=4, step=None,
                             name="objective", rtol=None, atol=None):
    """<grad f, v> against the directional derivative of f along random unit directions v, for the input
    and for every parameter separately (entry (g, d): gradient g, direction d), each measured by
    4th-order Richardson on the error model: about 6 evaluations per direction, for networks too large
    to check per entry."""
    x = np.array(x, dtype=np.float64)
    step = STEPS["richardson"] if step is None else step
    grad_input, grads = _objective_gradients(model, loss, x, target, regularization, "check_random_projections")
    keys, gradients = [None, *model.params], [grad_input, *(grads[key] for key in model.params)]
    analytic, numeric, allowed, kinks = (np.zeros((len(keys), directions)) for _ in range(4))
    evaluations = nonsmooth = 0
    for g, key in enumerate(keys):
        for d in range(directions):
            v = rng.standard_normal(gradients[g].shape)
            v /= np.sqrt(np.sum(v * v))
            analytic[g, d] = float(np.sum(gradients[g] * v))
            line = _direction_line(model, loss, x, target, regularization, key, v)
            noise = noise_level([(line, 1e-9)])
            result = measure(line, analytic[g, d], step, "richardson", float(np.sqrt(np.sum(gradients[g] ** 2))),
                             noise)
            evaluations += 7
            numeric[g, d], allowed[g, d] = result.estimate, result.allowed
            kinks[g, d] = result.verdict in (KINK, NONSMOOTH)
            nonsmooth += result.verdict == NONSMOOTH
            if result.verdict == FAIL:
                allowed[g, d] = min(allowed[g, d], abs(analytic[g, d] - numeric[g, d]) / 2)
            evaluations += result.evaluations
    extra = None if rtol is None and atol is None else (rtol or 0.0, atol or 0.0)
    gradient_names = ", ".join(["input", *model.params])
    report = judge(f"{name} <grad f, v> ({gradient_names})", analytic, numeric, allowed, kinks=kinks.astype(bool),
                   method=f"random projections, Richardson h={step:g}", evaluations=evaluations, extra=extra)
    return replace(report, kinks=report.kinks - nonsmooth, nonsmooth=nonsmooth,
                   passed=report.passed and nonsmooth == 0,
                   undecided_only=report.undecided_only or (report.passed and nonsmooth > 0))

"""A NumPy forward and backward generated from a layer's derived expressions, and its numeric checks.

``generate(layer)`` turns the written-out equations of ``concrete_gradients`` (at the layer's check
sizes) into two NumPy functions with ``sympy.lambdify`` (common subexpressions shared), or, for a large layer,
the program of ``symbolic.layers.graph`` (one assignment per entry and adjoint, ``concrete_derivation``): ``forward``
evaluates every output entry, ``backward`` every derived dL/d(entry). The generated code is plain
NumPy (the numeric side never imports SymPy: the functions are handed to ``numeric.gradcheck``).

``check_generated`` compares the generated backward with finite differences of the generated forward,
per entry, on the error model of ``numeric.gradcheck.check_array``, for every input and parameter:
L(theta) = sum_o sum_q G_q y_q(theta) with a fixed random G, so dL/dtheta must equal the backward
with upstream G. The complex step is used where the forward accepts complex input (exp, log, tanh,
sqrt and rational operations do; a kink branches on the real part), else central differences.
``check_user_class`` checks a user's own NumPy layer the same way and against the derived gradients.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sympy import Indexed, Symbol, lambdify

from gradproof.numeric.gradcheck import check_array, compare
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.gradients import ConcreteGradients, concrete_gradients
from gradproof.symbolic.layers.graph import LayerGraph, lambdified

__all__ = ["GeneratedLayer", "check_generated", "check_user_class", "generate", "random_point"]


def _plain(symbol) -> Symbol:
    """x1[2, 3] -> the plain symbol x1_2_3 (lambdify's arguments)."""
    if isinstance(symbol, Indexed):
        return Symbol(f"{symbol.base.label}_" + "_".join(str(i) for i in symbol.indices))
    return Symbol(f"{symbol}_")


@dataclass(frozen=True)
class GeneratedLayer:
    """NumPy forward and backward of a layer at fixed sizes (``shapes``: name -> shape of each array)."""

    layer: Layer
    gradients: ConcreteGradients
    shapes: dict
    output_shapes: dict
    _forward: object
    _backward: object

    def forward(self, arrays: dict) -> dict:
        """{output name: array} for {variable name: array}."""
        values = self._forward(*self._flat(arrays, self.shapes))
        return self._split(values, self.output_shapes)

    def backward(self, arrays: dict, upstream: dict) -> dict:
        """{variable name: dL/d(variable)} for the variables ``arrays`` and upstream G ``upstream``."""
        values = self._backward(*self._flat(arrays, self.shapes), *self._flat(upstream, self.output_shapes))
        return self._split(values, self.shapes)

    def _flat(self, arrays: dict, shapes: dict) -> list:
        flat = []
        for name, shape in shapes.items():
            array = np.asarray(arrays[name])
            if array.shape != shape:
                raise InvalidInput(f"{self.layer.name}: {name} must have shape {shape}, got {array.shape}")
            flat.extend(array.reshape(-1))
        return flat

    @staticmethod
    def _split(values, shapes: dict) -> dict:
        values = list(values)
        result, start = {}, 0
        dtype = complex if any(isinstance(v, complex) or np.iscomplexobj(v) for v in values) else float
        for name, shape in shapes.items():
            size = int(np.prod(shape, dtype=int))
            result[name] = np.array(values[start:start + size], dtype=dtype).reshape(shape)
            start += size
        return result


def _shape(layer: Layer, variable, sizes) -> tuple:
    if isinstance(variable, Symbol):
        return ()
    return tuple(int(dim.subs(sizes)) for dim in variable.shape)


def generate(layer: Layer, gradients: ConcreteGradients | LayerGraph | None = None) -> GeneratedLayer:
    """The generated NumPy forward and backward of ``layer`` at its check sizes: from the written-out entries
    (``ConcreteGradients``) or from the layer's program (``LayerGraph``: one assignment per entry and adjoint)."""
    gradients = gradients or concrete_gradients(layer)
    if isinstance(gradients, LayerGraph):
        shapes = {name: _shape(layer, variable, gradients.sizes) for name, variable in layer.variables()}
        output_shapes = {str(d.base): _shape(layer, d.base, gradients.sizes) for d in layer.output_definitions()}
        forward, backward = lambdified(gradients)
        return GeneratedLayer(layer, gradients, shapes, output_shapes, forward, backward)
    sizes = gradients.sizes
    shapes = {name: _shape(layer, variable, sizes) for name, variable in layer.variables()}
    output_shapes = {str(d.base): _shape(layer, d.base, sizes) for d in layer.output_definitions()}
    inputs = [symbol for name in shapes for _, symbol in gradients.entries[name]]
    upstream = [g for name in output_shapes for g in gradients.upstream[name]]
    plain = {symbol: _plain(symbol) for symbol in inputs + upstream}
    outputs = [value.xreplace(plain) for name in output_shapes for _, value in gradients.outputs[name]]
    derived = [value.xreplace(plain) for name in shapes for value in gradients.derived[name]]
    arguments = [plain[s] for s in inputs]
    forward = lambdify(arguments, outputs, modules="numpy", cse=True)
    backward = lambdify(arguments + [plain[g] for g in upstream], derived, modules="numpy", cse=True)
    return GeneratedLayer(layer, gradients, shapes, output_shapes, forward, backward)


def random_point(shapes: dict, rng: np.random.Generator) -> dict:
    """Standard normal float64 arrays of the given shapes."""
    return {name: rng.standard_normal(shape) for name, shape in shapes.items()}


def _projection(outputs: dict, upstream: dict):
    return sum(np.sum(upstream[name] * value) for name, value in outputs.items())


def _complex_ok(forward, point: dict) -> bool:
    try:
        with np.errstate(all="ignore"):
            values = forward({name: value + 0j for name, value in point.items()})
        return all(np.all(np.isfinite(v)) for v in values.values())
    except (TypeError, ValueError):
        return False


def check_generated(generated: GeneratedLayer, *, seed: int = 0, method: str | None = None) -> list:
    """One ``CheckReport`` per input and parameter: generated backward vs finite differences of the forward.

    ``method`` None picks the complex step where the forward accepts complex input, else central
    differences; the report's ``method`` and ``resolution`` say which and how fine.
    """
    rng = np.random.default_rng(seed)
    point = random_point(generated.shapes, rng)
    upstream = random_point(generated.output_shapes, rng)
    method = method or ("complex" if _complex_ok(generated.forward, point) else "central")
    analytic = generated.backward(point, upstream)
    reports = []
    for name in generated.shapes:
        def loss(array, name=name):
            return _projection(generated.forward({**point, name: array}), upstream)

        reports.append(check_array(f"{generated.layer.name} d/d{name} (generated)", loss, point[name],
                                   analytic[name], method=method, wrt=name))
    return reports


@contextmanager
def _with_params(instance, values: dict):
    saved = dict(instance.params)
    try:
        instance.params.update(values)
        yield
    finally:
        instance.params.clear()
        instance.params.update(saved)


def _user_outputs(instance, layer: Layer, inputs: dict) -> dict:
    names = [str(d.base) for d in layer.output_definitions()]
    values = instance.forward(*(inputs[str(n)] for n, _ in layer.variables()[:len(layer.inputs)]))
    values = values if isinstance(values, tuple) else (values,)
    if len(values) != len(names):
        raise InvalidInput(f"{type(instance).__name__}.forward must return {len(names)} arrays ({names}), "
                           f"got {len(values)}")
    return dict(zip(names, values))


SAME_FORMULA_RTOL = 1e-10
"""The user's class and the generated backward evaluate the same formulas in float64 in different
orders: they agree to rounding, so the comparison allows SAME_FORMULA_RTOL relative to each entry plus
SAME_FORMULA_RTOL times the array's largest entry (as proofs/torch_oracle.py RTOL)."""


def check_user_class(generated: GeneratedLayer, cls, *, seed: int = 0, method: str = "central") -> list:
    """A user's NumPy layer ``cls`` checked for every input and parameter, two ways per gradient.

    Contract: ``cls()`` has ``params`` (name -> array) with the layer's parameters; ``forward(*inputs)``
    returns the output array (a tuple for several outputs, in the order of ``layer.outputs``);
    ``backward(*upstream)`` returns {name: gradient} for every input and parameter. Checks: (1) finite
    differences of the class's forward (``check_array``, on the error model), (2) the class's backward
    equals the gradients derived from the equations (``compare``, at the same point).
    """
    layer, instance = generated.layer, cls()
    missing = [str(n) for n, _ in layer.variables()[len(layer.inputs):] if str(n) not in getattr(instance, "params", {})]
    if missing:
        raise InvalidInput(f"{cls.__name__}: params must hold the layer's parameters; missing {missing}")
    rng = np.random.default_rng(seed)
    point = random_point(generated.shapes, rng)
    upstream = random_point(generated.output_shapes, rng)
    input_names = [str(n) for n, _ in layer.variables()[:len(layer.inputs)]]
    reports = []
    with _with_params(instance, {k: v for k, v in point.items() if k not in input_names}):
        _user_outputs(instance, layer, point)
        analytic = instance.backward(*(upstream[n] for n in generated.output_shapes))
        for name in generated.shapes:
            def loss(array, name=name):
                with _with_params(instance, {name: array} if name not in input_names else {}):
                    return _projection(_user_outputs(instance, layer, {**point, name: array}), upstream)

            reports.append(check_array(f"{cls.__name__} d/d{name} (finite differences)", loss, point[name],
                                       np.asarray(analytic[name], dtype=float), method=method, wrt=name))
    derived = generated.backward(point, upstream)
    for name in generated.shapes:
        expected = np.asarray(derived[name], dtype=float)
        scale = float(np.abs(expected).max(initial=0.0))
        reports.append(compare(f"{cls.__name__} d/d{name} (= derived)", analytic[name], expected,
                               method="equals the derived gradient at the same point (float64 rounding)",
                               evaluations=1, rtol=SAME_FORMULA_RTOL,
                               atol=SAME_FORMULA_RTOL * scale if scale > 0 else SAME_FORMULA_RTOL))
    return reports

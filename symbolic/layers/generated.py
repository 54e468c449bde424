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
``check_generated`` also evaluates each claimed closed form at the same point and compares it with the
derived gradient ("claim = derived, numeric"), so ``gradproof check FILE.py`` reports on the claims and not
only on the code generated from the derivation (a large layer on the program route has no written-out claim
entries: its rows say the claims are verified by ``gradproof derive``).
Every row checked at the random point says so ("at one random point (standard normal, seed S)"): such a
point never lies on a kink. So the claims and the user's class are also compared with the derived gradient at
points exactly on the kinks (``_kink_points``: each linear boundary of a ``Piecewise`` condition or of a
``Heaviside``/``sign`` argument, x[1] = 0 or x[1] = x[2], alone and all at once, at small dyadic rationals
exact in float32 and float64). Where the description states the convention (relu'(0) = 0, a ``Piecewise``)
a difference there is a MISMATCH; where the derived value is SymPy's Heaviside(0) = 1/2 (the derivative
of ``Max``), a difference is NOT DECIDED: the description states no convention at a tie.
``check_user_class`` checks a user's own NumPy layer the same way and against the derived gradients; the
class is handed copies of every array (``numeric.gradcheck.guarded``), and an in-place write, a contract
violation (constructor arguments, no ``params``, a missing or misshapen gradient) or an exception in its
code is ``InvalidInput`` naming the method, the argument, the expected and the actual value (exit 2).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from sympy import Indexed, Rational, Symbol, lambdify, sympify

from gradproof.numeric.gradcheck import ArgumentModified, CheckReport, check_array, compare, guarded
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.gradients import (
    ConcreteGradients,
    concrete_gradients,
    kink_boundaries,
    unstated_at,
    written_out,
)
from gradproof.symbolic.layers.graph import LayerGraph, lambdified

__all__ = ["GeneratedLayer", "check_generated", "check_user_class", "generate", "random_point", "random_point_text"]


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


def _checked_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInput(f"--seed: expected an integer >= 0, got {seed!r}")
    return int(seed)


def check_generated(generated: GeneratedLayer, *, seed: int = 0, method: str | None = None) -> list:
    """One ``CheckReport`` per input and parameter: generated backward vs finite differences of the forward,
    then one per claimed closed form: the claim evaluated at the same point vs the generated backward.

    ``method`` None picks the complex step where the forward accepts complex input, else central
    differences; the report's ``method`` and ``resolution`` say which and how fine. The finite-difference
    rows check the code generated from the derivation, not the claims: the claim rows do that
    (``_claim_reports``), and where the claims are not written out (a large layer) the row names say
    that ``gradproof derive`` verifies them.
    """
    rng = np.random.default_rng(_checked_seed(seed))
    point = random_point(generated.shapes, rng)
    upstream = random_point(generated.output_shapes, rng)
    method = method or ("complex" if _complex_ok(generated.forward, point) else "central")
    analytic = generated.backward(point, upstream)
    claims = _claim_reports(generated, point, upstream, analytic, seed)
    what = "(generated)" if claims or not _claimed(generated.layer) else (
        "(generated from the derivation; the claims are verified by gradproof derive)")
    reports = []
    for name in generated.shapes:
        def loss(array, name=name):
            return _projection(generated.forward({**point, name: array}), upstream)

        reports.append(check_array(f"{generated.layer.name} d/d{name} {what}", loss, point[name],
                                   analytic[name], method=method, wrt=name))
    return [r if "at the kinks" in r.name else _at_random_point(r, seed) for r in reports + claims]


def _at_random_point(report: CheckReport, seed: int) -> CheckReport:
    """``report`` whose method says where it was checked: one standard-normal point drawn with ``seed`` (such
    a point never lies on a kink: ``check_user_class`` adds the kinks' boundary points)."""
    return replace(report, method=f"{report.method}, {random_point_text(seed)}")


def random_point_text(seed: int) -> str:
    return f"at one random point (standard normal, seed {seed})"


def _claimed(layer: Layer) -> list:
    return [(name, variable) for name, variable in layer.variables() if layer.claim_of(variable) is not None]


def _plain_map(generated: GeneratedLayer) -> dict:
    """Each entry symbol (x[1], g[2]) -> its plain lambdify argument (x_1, g_2)."""
    gradients = generated.gradients
    inputs = [symbol for name in generated.shapes for _, symbol in gradients.entries[name]]
    upstream_symbols = [g for name in generated.output_shapes for g in gradients.upstream[name]]
    return {symbol: _plain(symbol) for symbol in inputs + upstream_symbols}


def _claim_reports(generated: GeneratedLayer, point: dict, upstream: dict, derived: dict, seed: int = 0) -> list:
    """One report per claimed closed form: its written-out entries (``gradients.written_out``, as
    ``verify_claims`` compares them exactly) evaluated numerically at ``point`` and ``upstream`` and
    compared with the generated backward at float64 rounding (SAME_FORMULA_RTOL). Empty for a layer on the
    program route (``LayerGraph``: its claim entries are never written out; ``gradproof derive`` checks
    them at random integer points)."""
    gradients = generated.gradients
    if not isinstance(gradients, ConcreteGradients):
        return []
    layer = generated.layer
    inputs = [symbol for name in generated.shapes for _, symbol in gradients.entries[name]]
    upstream_symbols = [g for name in generated.output_shapes for g in gradients.upstream[name]]
    plain = {symbol: _plain(symbol) for symbol in inputs + upstream_symbols}
    arguments = [plain[s] for s in inputs + upstream_symbols]
    values = [*generated._flat(point, generated.shapes), *generated._flat(upstream, generated.output_shapes)]
    reports = []
    for name, variable in _claimed(layer):
        key, body = layer.claim_of(variable)
        title = f"{layer.name} d/d{name} (claim = derived, numeric)"
        try:
            entries = [written_out(layer, body.xreplace(dict(zip(key, index))), gradients.sizes).xreplace(plain)
                       for index, _ in gradients.entries[name]]
            with np.errstate(all="ignore"):
                claimed = np.array(lambdify(arguments, entries, modules="numpy")(*values), dtype=float)
            claimed = claimed.reshape(generated.shapes[name])
        except Exception as error:  # a claim NumPy cannot evaluate: not decided here, derive decides it
            reports.append(CheckReport(
                name=title, method="the claimed closed form at the same point", evaluations=0, max_abs_error=0.0,
                max_rel_error=0.0, worst_index=(), passed=False, wrt=name, undecided_only=True,
                reason=f"the claim could not be evaluated numerically ({type(error).__name__}); "
                       "gradproof derive verifies it"))
            continue
        expected = np.asarray(derived[name], dtype=float)
        scale = float(np.abs(expected).max(initial=0.0))
        reports.append(replace(compare(title, claimed, expected,
                                       method="the claimed closed form at the same point (float64 rounding)",
                                       evaluations=1, rtol=SAME_FORMULA_RTOL,
                                       atol=SAME_FORMULA_RTOL * scale if scale > 0 else SAME_FORMULA_RTOL), wrt=name))
        kinks = _claim_at_kinks(generated, name, entries, arguments, upstream, seed)
        if kinks is not None:
            reports.append(kinks)
    return reports


def _claim_at_kinks(generated: GeneratedLayer, name: str, entries: list, arguments: list, upstream: dict,
                    seed: int):
    """The claim's entries against the derived gradient at points exactly on the kinks of both (``_kink_points``);
    None when there are none. As ``gradproof derive`` (``gradients.compare_concrete``) a difference is a MISMATCH
    only where the description states the convention (relu'(0) = 0)."""
    unplain = {v: k for k, v in _plain_map(generated).items()}
    exact_entries = [e.xreplace(unplain) for e in entries]
    points = _kink_points(generated, seed, extra=exact_entries)
    if not points:
        return None
    function = lambdify(arguments, entries, modules="numpy")
    gradients = generated.gradients
    actual, expected, loose = [], [], []
    for point, arrays, _ in points:
        values = [*generated._flat(arrays, generated.shapes), *generated._flat(upstream, generated.output_shapes)]
        with np.errstate(all="ignore"):
            actual.append(np.array(function(*values), dtype=float).reshape(generated.shapes[name]))
        expected.append(np.asarray(generated.backward(arrays, upstream)[name], dtype=float))
        loose.append(np.array([bool(unstated_at([d, c], point)) for d, c in zip(gradients.derived[name], exact_entries)],
                              dtype=bool).reshape(generated.shapes[name]))
    return _kink_report(f"{generated.layer.name} d/d{name} (claim = derived, at the kinks)", name, points, actual,
                        expected, loose, seed, "the claimed closed form", False)


SAME_FORMULA_RTOL = 1e-10
"""The user's class and the generated backward evaluate the same formulas in float64 in different
orders: they agree to rounding, so the comparison allows SAME_FORMULA_RTOL relative to each entry plus
SAME_FORMULA_RTOL times the array's largest entry (as proofs/torch_oracle.py RTOL)."""
FLOAT32_EPS = float(np.finfo(np.float32).eps)
FLOAT32_RTOL = 64 * FLOAT32_EPS
"""A class that computes in float32 rounds its inputs to float32 (relative eps32 / 2 each) and every
operation again: for the small layers checked here (sums of at most a few dozen terms) its outputs and
gradients agree with the exact float64 values to FLOAT32_RTOL = 64 eps32 = 7.6e-6 relative to each entry
plus FLOAT32_RTOL times the array's largest entry; an error above that is seen."""


class _UserLayer:
    """A user's layer instance behind the checks: every call gets copies (``guarded``), parameters are
    set to copies and compared afterwards, and every broken contract or exception in the user's code is
    ``InvalidInput`` naming the class, the method, the expected and the actual value."""

    def __init__(self, generated: GeneratedLayer, cls):
        self.generated, self.cls, self.layer = generated, cls, generated.layer
        self.input_names = [str(n) for n, _ in self.layer.variables()[:len(self.layer.inputs)]]
        self.param_names = [str(n) for n, _ in self.layer.variables()[len(self.layer.inputs):]]
        self.output_names = list(generated.output_shapes)
        try:
            self.instance = cls()
        except Exception as error:
            raise InvalidInput(f"{cls.__name__}() must be constructible without arguments (the check creates "
                               f"the layer itself); got {type(error).__name__}: {error}") from None
        params = getattr(self.instance, "params", None)
        if not isinstance(params, dict):
            got = "no attribute params" if params is None else f"params of type {type(params).__name__}"
            raise InvalidInput(f"{cls.__name__}: expected an attribute params, a dict name -> array holding the "
                               f"layer's parameters {self.param_names} ({{}} if it has none); got {got}")
        missing = [name for name in self.param_names if name not in params]
        if missing:
            raise InvalidInput(f"{cls.__name__}: params must hold the layer's parameters {self.param_names}; "
                               f"missing {missing}, got keys {list(params)}")
        self.float32 = False

    def _call(self, method: str, *args):
        if not callable(getattr(self.instance, method, None)):
            raise InvalidInput(f"{self.cls.__name__}: expected a method {method}; got none")
        try:
            return guarded(self.instance, method, *args, where=f"check {self.cls.__name__}")
        except ArgumentModified as error:
            raise InvalidInput(str(error)) from None
        except InvalidInput:
            raise
        except Exception as error:  # the user's code failed: say where, without gradproof's frames
            raise InvalidInput(f"{self.cls.__name__}.{method} raised {type(error).__name__}: {error}") from None

    def _note_precision(self, array, what: str) -> np.ndarray:
        array = np.asarray(array)
        if array.dtype.kind not in "fciub":
            raise InvalidInput(f"{self.cls.__name__}: {what} must be a numeric array, got dtype {array.dtype}")
        if array.dtype.kind in "fc" and array.dtype.itemsize < (8 if array.dtype.kind == "f" else 16):
            self.float32 = True
        return array

    @contextmanager
    def params_at(self, values: dict):
        """The instance's parameters set to copies of ``values`` (the rest at ``point``), restored after; a
        parameter changed in place by the call inside raises ``InvalidInput``."""
        params = self.instance.params
        saved = dict(params)
        copies = {name: np.array(value, copy=True) for name, value in values.items()}
        try:
            params.update(copies)
            yield
            for name, copy in copies.items():
                if params.get(name) is not copy or not np.array_equal(copy, values[name], equal_nan=True):
                    raise InvalidInput(f"{self.cls.__name__} modified its parameter {name} during forward or "
                                       "backward; a layer must read its parameters, not write to them")
        finally:
            params.clear()
            params.update(saved)

    def outputs(self, inputs: dict) -> dict:
        """{output name: array} from the class's forward, each checked to have its output's shape."""
        values = self._call("forward", *(inputs[name] for name in self.input_names))
        values = values if isinstance(values, tuple) else (values,)
        if len(values) != len(self.output_names):
            raise InvalidInput(f"{self.cls.__name__}.forward must return {len(self.output_names)} arrays "
                               f"({self.output_names}), got {len(values)}")
        result = {}
        for name, value in zip(self.output_names, values):
            value = self._note_precision(value, f"forward's output {name}")
            if value.shape != self.generated.output_shapes[name]:
                raise InvalidInput(f"{self.cls.__name__}.forward: output {name} must have shape "
                                   f"{self.generated.output_shapes[name]}, got {value.shape}")
            result[name] = value
        return result

    def gradients(self, upstream: dict) -> dict:
        """{name: gradient} from the class's backward, one per input and parameter, each of its shape."""
        grads = self._call("backward", *(upstream[name] for name in self.output_names))
        wanted = list(self.generated.shapes)
        if not isinstance(grads, dict):
            raise InvalidInput(f"{self.cls.__name__}.backward must return a dict {{name: gradient}} for {wanted}; "
                               f"got {type(grads).__name__}")
        missing = [name for name in wanted if name not in grads]
        if missing:
            raise InvalidInput(f"{self.cls.__name__}.backward must return a gradient for every input and "
                               f"parameter {wanted}; missing {missing}, got keys {list(grads)}")
        result = {}
        for name in wanted:
            value = self._note_precision(grads[name], f"backward's gradient for {name}")
            if value.shape != self.generated.shapes[name]:
                raise InvalidInput(f"{self.cls.__name__}.backward: the gradient for {name} must have shape "
                                   f"{self.generated.shapes[name]} (as {name}), got {value.shape}")
            result[name] = np.array(value, copy=True)
        return result


def check_user_class(generated: GeneratedLayer, cls, *, seed: int = 0, method: str = "central") -> list:
    """A user's NumPy layer ``cls`` checked for every input and parameter, two ways per gradient.

    Contract: ``cls()`` has ``params`` (name -> array) with the layer's parameters; ``forward(*inputs)``
    returns the output array (a tuple for several outputs, in the order of ``layer.outputs``);
    ``backward(*upstream)`` returns {name: gradient} for every input and parameter. Arguments and
    parameters are read-only: the class gets copies, every reference is computed from the originals, and an
    in-place write is ``InvalidInput`` naming it (so ``g *= 0.5`` in a backward can no longer fool both
    references at once). Checks: (1) finite differences of the class's forward (``check_array``, on the
    error model), (2) the class's backward equals the gradients derived from the equations (``compare``, at
    the same point, float64 rounding: SAME_FORMULA_RTOL).

    float32: a class whose forward output or gradients are float32 (or float16) is not differentiated
    numerically. Its forward rounds to float32 inside, where float64 finite differences cannot reach, and
    central differences of a float32 function resolve only ~eps32^(2/3) ~ 2e-5 of the gradient at best, at
    the wrong step for the float64 error model: its rounding steps looked like kinks ("3 at a kink" on a
    linear layer) and a correct gradient read MISMATCH. Instead its forward is compared with the generated
    forward and its backward with the derived gradients, both at float32 rounding (FLOAT32_RTOL = 64 eps32):
    the derived gradients are themselves checked against float64 finite differences of the generated
    forward (``check_generated``), so the chain "class forward = layer function, class backward = its
    derivative" is decided, with a resolution stated in float32's eps.
    """
    seed = _checked_seed(seed)
    user = _UserLayer(generated, cls)
    rng = np.random.default_rng(seed)
    point = random_point(generated.shapes, rng)
    upstream = random_point(generated.output_shapes, rng)
    pristine = {name: value.copy() for name, value in {**point, **upstream}.items()}
    params = {k: v for k, v in point.items() if k in user.param_names}
    with user.params_at(params):
        outputs = user.outputs(point)
        analytic = user.gradients(upstream)
    title, reports = cls.__name__, []
    if user.float32:
        expected_outputs = generated.forward(point)
        for name in generated.output_shapes:
            reports.append(_float32_compare(f"{title} forward {name} (= generated forward)", outputs[name],
                                            expected_outputs[name], "equals the generated forward at the same point",
                                            name))
    else:
        for name in generated.shapes:
            def loss(array, name=name):
                with user.params_at({**params, name: array} if name in user.param_names else params):
                    return _projection(user.outputs({**point, name: array}), upstream)

            reports.append(check_array(f"{title} d/d{name} (finite differences)", loss, point[name],
                                       np.asarray(analytic[name], dtype=float), method=method, wrt=name))
    for name, value in pristine.items():  # the references below use the originals: make sure they are
        if not np.array_equal(value, {**point, **upstream}[name]):
            raise RuntimeError(f"check_user_class: internal error, the reference array {name} was changed")
    derived = generated.backward(point, upstream)
    for name in generated.shapes:
        expected = np.asarray(derived[name], dtype=float)
        if user.float32:
            reports.append(_float32_compare(f"{title} d/d{name} (= derived)", analytic[name], expected,
                                            "equals the derived gradient at the same point", name))
            continue
        scale = float(np.abs(expected).max(initial=0.0))
        reports.append(replace(compare(f"{title} d/d{name} (= derived)", analytic[name], expected,
                                       method="equals the derived gradient at the same point (float64 rounding)",
                                       evaluations=1, rtol=SAME_FORMULA_RTOL,
                                       atol=SAME_FORMULA_RTOL * scale if scale > 0 else SAME_FORMULA_RTOL), wrt=name))
    reports = [_at_random_point(r, seed) for r in reports]
    return reports + _kink_reports(generated, user, title, seed, upstream)


KINK_POINTS = 12
"""At most this many boundary points per class check (each single kink boundary, then all at once)."""


def _dyadic_point(symbols: list, seed: int) -> dict:
    """A point of small dyadic rationals k/4 (exact in float32 and float64), k in +-1..+-12."""
    rng = random.Random(seed)
    return {s: Rational(rng.choice([-1, 1]) * rng.randint(1, 12), 4) for s in symbols}


def _exact_float(value) -> bool:
    """``value`` (a Rational) is exactly a float32 (so a tie stays a tie in the class's arithmetic)."""
    value = Fraction(int(value.p), int(value.q))
    return value.denominator & (value.denominator - 1) == 0 and value.denominator <= 2 ** 10 and abs(value) < 2 ** 12


def _kink_points(generated: GeneratedLayer, seed: int, extra=()) -> list[tuple[dict, dict, list]]:
    """(float arrays, the boundaries they lie on) for points exactly on the kinks of the derived gradients and
    the outputs (``gradients.kink_boundaries``: x[1] = 0 of a relu, x[1] = x[2] of a max), each boundary alone
    and then all of them at once; only points whose every entry is an exact float (the tie is a tie in float)."""
    gradients = generated.gradients
    if not isinstance(gradients, ConcreteGradients):
        return []
    expressions = [e for name in generated.shapes for e in gradients.derived[name]]
    expressions += [value for rows in gradients.outputs.values() for _, value in rows] + list(extra)
    symbols = [symbol for name in generated.shapes for _, symbol in gradients.entries[name]]
    boundaries = [b for b, _ in kink_boundaries(expressions) if sympify(b).free_symbols]
    known = set(symbols)
    boundaries = [b for b in boundaries if (b.atoms(Indexed) | (b.free_symbols - {a for e in b.atoms(Indexed)
                                                                                  for a in e.free_symbols})) <= known]
    groups = [[b] for b in boundaries] + ([boundaries] if len(boundaries) > 1 else [])
    points = []
    drawn = [(n, group, variant) for n, group in enumerate(groups) for variant in range(3)]
    for n, group, variant in drawn:
        if len(points) == KINK_POINTS - 1 and group is not groups[-1]:
            continue
        # the other entries as drawn, all positive, all negative: a kink hidden by another factor at one point
        # (relu(a) [b >= 0] on b = 0 with a < 0) shows at another (attack5 1a)
        base = _dyadic_point(symbols, seed + 101 + n)
        point, moved = {k: (v, abs(v), -abs(v))[variant] for k, v in base.items()}, set()
        for boundary in group:
            free = [v for v in sorted(boundary.atoms(Indexed) | boundary.free_symbols, key=str)
                    if v in known and v not in moved and boundary.diff(v) != 0]
            if not free:
                point = None
                break
            v = free[0]
            coefficient = boundary.diff(v)
            point[v] = -(boundary - coefficient * v).xreplace({k: w for k, w in point.items() if k != v}) / coefficient
            moved.add(v)
        if point is None or any(not (value.is_Rational and _exact_float(value)) for value in point.values()):
            continue
        if any(b.xreplace(point) != 0 for b in group) or any(point == seen for seen, _, _ in points):
            continue
        arrays = {name: np.array([float(point[s]) for _, s in gradients.entries[name]], dtype=float).reshape(shape)
                  for name, shape in generated.shapes.items()}
        points.append((point, arrays, group))
        if len(points) >= KINK_POINTS:
            break
    return points


def _kink_reports(generated: GeneratedLayer, user: _UserLayer, title: str, seed: int, upstream: dict) -> list:
    """One report per input and parameter: the class's backward equals the derived gradient at points exactly
    on the kinks (``_kink_points``), where a random point never lies. The description fixes the derivative
    there when the kink is a condition it states (relu'(0) = 0): a difference is a MISMATCH. Where the derived
    value is SymPy's Heaviside(0) = 1/2 (the derivative of Max, Min, Abs: ``gradients.UNSTATED``) the
    description states no convention: such entries are compared but a difference there is NOT DECIDED."""
    points = _kink_points(generated, seed)
    if not points:
        return []
    gradients = generated.gradients
    actual = {name: [] for name in generated.shapes}
    expected = {name: [] for name in generated.shapes}
    unstated = {name: [] for name in generated.shapes}
    for point, arrays, _ in points:
        params = {k: v for k, v in arrays.items() if k in user.param_names}
        with user.params_at(params):
            user.outputs(arrays)
            grads = user.gradients(upstream)
        derived = generated.backward(arrays, upstream)
        for name in generated.shapes:
            actual[name].append(np.asarray(grads[name], dtype=float))
            expected[name].append(np.asarray(derived[name], dtype=float))
            unstated[name].append(np.array([bool(unstated_at([e], point)) for e in gradients.derived[name]],
                                           dtype=bool).reshape(generated.shapes[name]))
    return [_kink_report(f"{title} d/d{name} (= derived, at the kinks)", name, points, actual[name], expected[name],
                         unstated[name], seed, f"{title}.backward", user.float32) for name in generated.shapes]


def _kink_report(title: str, name: str, points: list, actual: list, expected: list, loose: list, seed: int,
                 what: str, float32: bool) -> CheckReport:
    """``actual`` vs ``expected`` (one array per kink point) at float64 (or float32) rounding; entries in ``loose``
    (the derived value is SymPy's Heaviside(0) = 1/2) that differ make it NOT DECIDED, never a MISMATCH."""
    singles = list(dict.fromkeys(f"{group[0]} = 0" for _, _, group in points if len(group) == 1))
    together = [group for _, _, group in points if len(group) > 1]
    on = ", ".join(singles[:3]) + (", ..." if len(singles) > 3 else "") + (" each alone" if singles else "")
    if together:
        on += (" and " if singles else "") + f"all {len(together[0])} at once"
    a, e, loose = (np.stack(v) for v in (actual, expected, loose))
    rtol = FLOAT32_RTOL if float32 else SAME_FORMULA_RTOL
    scale = float(np.abs(e).max(initial=0.0))
    atol = rtol * scale if scale > 0 else rtol
    report = replace(compare(title, np.where(loose, e, a), e,
                             method=f"{what} equals the derived gradient at {len(points)} point"
                                    f"{'s' if len(points) > 1 else ''} exactly on the kinks ({on}; seed {seed}), "
                                    + ("float32 rounding" if float32 else "float64 rounding")
                                    + ("; the max error leaves out the entries at a tie, where the derived "
                                       "value is Heaviside(0) = 1/2" if loose.any() else ""),
                             evaluations=len(points), rtol=rtol, atol=atol), wrt=name)
    with np.errstate(invalid="ignore"):
        differing = loose & ~(np.abs(a - e) <= atol + rtol * np.abs(e))
    if report.passed and differing.any():
        report = replace(report, passed=False, undecided_only=True, reason=(
            f"{int(differing.sum())} entr{'ies' if differing.sum() > 1 else 'y'} differ where the derived value "
            "is SymPy's Heaviside(0) = 1/2 (the derivative of a Max, Min or Abs at a tie): the description "
            "states no convention there; write relu or a Piecewise to state one"))
    return report


def _float32_compare(title: str, actual, expected, what: str, wrt: str):
    """``compare`` at float32 rounding (FLOAT32_RTOL), the method text naming float32 and its eps."""
    expected = np.asarray(expected, dtype=float)
    scale = float(np.abs(expected).max(initial=0.0))
    return replace(compare(title, np.asarray(actual, dtype=float), expected,
                           method=f"{what} (the class computes in float32: float32 rounding, eps "
                                  f"{FLOAT32_EPS:.1e}, no finite differences)", evaluations=1, rtol=FLOAT32_RTOL,
                           atol=FLOAT32_RTOL * scale if scale > 0 else FLOAT32_RTOL), wrt=wrt)

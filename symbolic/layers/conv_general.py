"""General-size index proofs of Conv2d's gradients, with symbolic stride s, padding P and dilation
d, and any batch size N, channels C and O, input image n_H x n_W, kernel K_h x K_w and output image n'_H x n'_W
(1-based; x reads 0 outside 1..H, 1..W, which is the zero padding).

The scalar equation is not restated here: ``equation`` is ``conv.scalar_equation`` (the one
statement, also instantiated by the concrete checks) with ``IndexedBase`` arrays and a SymPy ``Sum``.
The closed forms are index expressions built from the same ``conv.input_position``, pos(u, p) =
(u - 1) s + (p - 1) d + 1 - P, with other arguments: the backward of a convolution is another
convolution (JAX's view; seed 003):

* dX[n, c, h, w] = sum_{o, p~, q~} g^[n, o, pos_1(h, p~), pos_1(w, q~)] w[o, c, K_h + 1 - p~, K_w + 1 - q~],
  the stride-1 correlation, with padding d(K - 1) - P and dilation d, of g^ (G with s - 1 zeros
  inserted between entries, g^[(u - 1)s + 1] = g[u], and zeros around) with the rotated,
  channel-swapped kernel;
* dW[o, c, p, q] = sum_{n, u, v} x[n, c, pos(u, p), pos(v, q)] g[n, o, u, v] (the correlation of the
  padded input with G, stride and dilation exchanged, summed over the batch);
* db[o] = sum_{n, u, v} g[n, o, u, v].

Each proof holds only if two checks pass: (1) the chain rule applied to the scalar equation, in
normal form, equals the closed form for every size (rules named below); (2) the closed form,
evaluated at concrete sizes (``INSTANCES``: rectangular kernels, stride, padding, dilation), equals
the numeric rule of ``numeric.rules.conv`` run on symbols, entry by entry. (2) is what ties the
closed forms to an independent implementation: a wrong ``input_position`` or a wrong reflection
changes (1)'s both sides alike for dW, but not the numeric rules.

Rules used, each named in the proof: chain rule; differentiation of the Indexed scalar equation
(Kronecker deltas); linearity of finite sums; sifting where the partner index is in range;
sifting with zero extension and dilation: sum_{u=1}^{n'_H} g[u] delta((u - 1)s + e, h) = g^[h - e + 1]
(the partner may leave the range or fall between two outputs: exactly the zeros that dilating and
padding G supply); reflection of a summation index, p~ = K + 1 - p (printed with a tilde: a prime on an
index would read like the output size n'_H), which maps 1..K onto itself (the 180-degree rotation of the
kernel).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import symengine as se
from sympy import Add, Derivative, Indexed, IndexedBase, Integer, KroneckerDelta, Mul, Sum, Symbol, diff, expand, solve

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.engine.general import CHAIN_RULE, NORMAL_FORMS_DIFFER, GeneralProof
from gradproof.symbolic.engine.indexed import NORMAL_FORM, normal_form
from gradproof.symbolic.layers import conv

ZERO_EXTENSION = "sifting with zero extension and dilation of G"
REFLECTION = "reflection of the kernel index, p~ = K + 1 - p"


def _integer(name):
    return Symbol(name, integer=True)


def _size(name):
    return Symbol(name, integer=True, positive=True)


N, C, O = (_size(name) for name in ("N", "C", "O"))  # noqa: E741 (O: output channels, as in the notes)
H, W = _size("n_H"), _size("n_W")  # the image is n_H x n_W (notation sheet; W is only the weight)
K_H, K_W = _size("K_h"), _size("K_w")
H_OUT, W_OUT = _size("n'_H"), _size("n'_W")  # the output image n'_H x n'_W
STRIDE, PAD, DIL = _size("s"), Symbol("P", integer=True, nonnegative=True), _size("d")
x, w, b, g = IndexedBase("x"), IndexedBase("w"), IndexedBase("b"), IndexedBase("g")
g_extended = IndexedBase(r"\hat{g}")
_X = x  # the input's IndexedBase, for functions whose argument ``x`` is an array
n, o, u, v, c, p, q = (_integer(name) for name in ("n", "o", "u", "v", "c", "p", "q"))


def _indexed_sum(term, channels, kernel_h, kernel_w):
    """sum_{c=1}^{C} sum_{p=1}^{K_h} sum_{q=1}^{K_w} term(c, p, q), as a SymPy Sum."""
    return Sum(term(c, p, q), (q, 1, kernel_w), (p, 1, kernel_h), (c, 1, channels))


def equation(n_, o_, u_, v_):
    """The scalar equation of output entry (n, o, u, v): ``conv.scalar_equation`` at general sizes."""
    return conv.scalar_equation((x, w, b), (n_, o_, u_, v_), (C, (K_H, K_W), STRIDE, PAD, DIL), _indexed_sum)


def dilated_position(output, stride):
    """The entry of g^ that holds g[u]: (u - 1) s + 1 (s - 1 zeros between neighbours)."""
    return (output - 1) * stride + 1


def reflect(index, size):
    """p~ = K + 1 - p: the 180-degree rotation of a kernel axis of size K."""
    return size + 1 - index


def _chain(entry):
    """sum over every output of g * d(output)/d(entry): the chain rule, differentiated."""
    limits = ((v, 1, W_OUT), (u, 1, H_OUT), (o, 1, O), (n, 1, N))
    return Sum(g[n, o, u, v] * diff(equation(n, o, u, v), entry), *limits)


def _sift_zero_extended(limits, body):
    """Remove the summations over output positions (ranges 1..n'_H, 1..n'_W) whose delta pins them
    to an index that may leave the range; G becomes its zero extension g^, read at (u - 1) s + 1."""
    limits = list(limits)
    for upper, slot in ((H_OUT, 2), (W_OUT, 3)):
        position = next((i for i, (_, low, high) in enumerate(limits) if low == 1 and high == upper), None)
        if position is None:
            continue
        variable = limits[position][0]
        delta = next((f for f in Mul.make_args(body) if isinstance(f, KroneckerDelta) and variable in f.free_symbols), None)
        solution = solve(delta.args[0] - delta.args[1], variable) if delta is not None else []
        if len(solution) != 1:
            continue
        body = (body / delta).xreplace({variable: solution[0]})
        body = body.replace(lambda e: getattr(e, "base", None) == g, lambda e: g_extended[e.indices])
        body = body.replace(
            lambda e: getattr(e, "base", None) == g_extended,
            lambda e, slot=slot: g_extended[tuple(expand(dilated_position(i, STRIDE)) if k == slot else i
                                                  for k, i in enumerate(e.indices))],
        )
        limits.pop(position)
    return limits, body


def _derived_normal_form(entry, ranges):
    """The chain rule for ``entry`` in normal form, with the zero-extension rule for dX."""
    return normal_form(_chain(entry), ranges, extra_rule=_sift_zero_extended)


def _prove(gradient, entry, ranges, closed, reindexed) -> GeneralProof:
    """The one general-size proof type: the chain rule in normal form against the closed form, and the
    closed form evaluated at ``INSTANCES`` against the numeric rules. True only if both pass; False with
    the refuting instance; None (not decided) if the normal forms differ and no instance refutes."""
    derived = _derived_normal_form(entry, ranges)
    closed_normal = normal_form(reindexed, ranges)
    agree = expand(derived - closed_normal) == 0
    instances = tuple((geometry, instance_mismatch(gradient, entry, closed, geometry)) for geometry in INSTANCES)
    refuted = next(((geometry, found) for geometry, found in instances if found is not None), None)
    if refuted is not None:
        geometry, (index, value, numeric) = refuted
        holds, reason = False, f"refuted at {geometry}, entry {index}: closed form {value}, numeric rule {numeric}"
    else:
        holds, reason = (True, "") if agree else (None, NORMAL_FORMS_DIFFER)
    step = f"{ZERO_EXTENSION}; {NORMAL_FORM}" if gradient == "input" else NORMAL_FORM
    return GeneralProof(
        subject=gradient, holds=holds, reason=reason, left=entry, right=closed, ranges=ranges,
        left_entry=Derivative(Symbol("L"), entry), right_entry=closed,
        left_steps=((_chain(entry), CHAIN_RULE), (derived, step)),
        right_steps=((reindexed, REFLECTION),) if reindexed is not closed else (),
        left_normal=derived, right_normal=closed_normal, wrt=str(entry.base), normal_forms_agree=agree,
        instances=instances,
    )


def grad_input_closed_form(n0, c0, h0, w0):
    """dX[n0, c0, h0, w0]: the stride-1 correlation (padding d(K - 1) - P, dilation d) of g^ with the
    rotated, channel-swapped kernel, summed over p~, q~ and o (seed 003's transposed convolution). The
    reflected kernel indices print as p with a tilde (no prime: n'_H is a size)."""
    p_r, q_r = _integer(r"\tilde{p}"), _integer(r"\tilde{q}")
    row = conv.input_position(h0, p_r, 1, DIL * (K_H - 1) - PAD, DIL)
    col = conv.input_position(w0, q_r, 1, DIL * (K_W - 1) - PAD, DIL)
    closed = Sum(g_extended[n0, o, row, col] * w[o, c0, reflect(p_r, K_H), reflect(q_r, K_W)],
                 (q_r, 1, K_W), (p_r, 1, K_H), (o, 1, O))
    reindexed = Sum(closed.function.xreplace({p_r: reflect(p, K_H), q_r: reflect(q, K_W)}),
                    (q, 1, K_W), (p, 1, K_H), (o, 1, O))
    return closed, reindexed


def prove_grad_input() -> GeneralProof:
    n0, c0, h0, w0 = (_integer(name) for name in ("n_0", "c_0", "h_0", "w_0"))
    closed, reindexed = grad_input_closed_form(n0, c0, h0, w0)
    ranges = {n0: (1, N), c0: (1, C), h0: (1, H), w0: (1, W)}
    return _prove("input", x[n0, c0, h0, w0], ranges, closed, reindexed)


def prove_grad_weight() -> GeneralProof:
    o0, c0, p0, q0 = (_integer(name) for name in ("o_0", "c_0", "p_0", "q_0"))
    # the correlation of the padded input with G, with the roles of stride and dilation exchanged
    row, col = conv.input_position(p0, u, DIL, PAD, STRIDE), conv.input_position(q0, v, DIL, PAD, STRIDE)
    closed = Sum(x[n, c0, row, col] * g[n, o0, u, v], (v, 1, W_OUT), (u, 1, H_OUT), (n, 1, N))
    ranges = {o0: (1, O), c0: (1, C), p0: (1, K_H), q0: (1, K_W)}
    return _prove("weight", w[o0, c0, p0, q0], ranges, closed, closed)


def prove_grad_bias() -> GeneralProof:
    o0 = _integer("o_0")
    closed = Sum(g[n, o0, u, v], (v, 1, W_OUT), (u, 1, H_OUT), (n, 1, N))
    return _prove("bias", b[o0], {o0: (1, O)}, closed, closed)


def general_proofs() -> tuple[GeneralProof, ...]:
    return (prove_grad_input(), prove_grad_weight(), prove_grad_bias())




INSTANCES = (conv.ConvGeometry(2, 2, 2, 5, 6, (2, 3), 2, 1, 2), conv.ConvGeometry(1, 2, 1, 5, 4, (3, 1), 3, 2, 1))
"""The concrete sizes at which every closed form is evaluated and compared with the numeric rules:
rectangular kernels, stride 2 and 3, padding 1 and 2, dilation 2, batch and channels 2."""


def instance_mismatch(gradient, entry, closed, geometry):
    """The closed form of ``gradient`` evaluated at ``geometry`` for every entry, against each numeric
    rule for that gradient (``conv.closed_forms``, on the same symbols): the first differing entry
    as (index, closed form, numeric rule), or None."""
    system = conv.symbol_system(geometry)
    numeric = conv.closed_forms(system)
    arrays = {x: conv.OneBased(system.x), w: conv.OneBased(system.weight), b: conv.OneBased(system.bias),
              g: conv.OneBased(system.grad_output), g_extended: _dilated(system.grad_output, geometry.stride)}
    sizes = _size_values(geometry)
    for form, derived_for in conv.DERIVED_FOR.items():
        if derived_for != gradient:
            continue
        evaluated = np.empty(numeric[form].shape, dtype=object)
        for index in np.ndindex(evaluated.shape):
            point = {**sizes, **{symbol: Integer(i + 1) for symbol, i in zip(entry.indices, index)}}
            evaluated[index] = evaluate(closed, point, arrays)
        found = conv.first_mismatch(evaluated, numeric[form])
        if found is not None:
            return found
    return None


def _size_values(geometry):
    gm = geometry
    values = (gm.batch, gm.in_channels, gm.out_channels, gm.height, gm.width, *gm.kernel_hw, *gm.output_shape[2:],
              gm.stride, gm.padding, gm.dilation)
    symbols = (N, C, O, H, W, K_H, K_W, H_OUT, W_OUT, STRIDE, PAD, DIL)
    return {symbol: Integer(value) for symbol, value in zip(symbols, values)}


def _dilated(grad_output, stride):
    """g^ at concrete sizes: g[n, o, u, v] stored at (dilated_position(u), dilated_position(v)), 0 elsewhere."""
    view = conv.OneBased(grad_output)
    view.entries = {(n_, o_, dilated_position(u_, stride), dilated_position(v_, stride)): value
                    for (n_, o_, u_, v_), value in view.entries.items()}
    return view


def evaluate(expr, values, arrays):
    """The value of an index expression at integer sizes and indices ``values``: each ``Sum`` written
    out over its range, each ``Indexed`` read from ``arrays`` (base -> 1-based view, 0 outside).

    >>> k, K = Symbol("k", integer=True), Symbol("K", integer=True)
    >>> a = IndexedBase("a")
    >>> evaluate(Sum(2 * a[k], (k, 1, K)), {K: Integer(2)}, {a: {(1,): se.Symbol("a1"), (2,): se.Symbol("a2")}})
    2*a1 + 2*a2
    """
    if isinstance(expr, Sum):
        variables = [limit[0] for limit in expr.limits]
        ranges = [range(_integer_value(low, values), _integer_value(high, values) + 1) for _, low, high in expr.limits]
        return se.Add(*(evaluate(expr.function, {**values, **dict(zip(variables, map(Integer, point)))}, arrays)
                        for point in itertools.product(*ranges)))
    if isinstance(expr, Indexed):
        return arrays[expr.base][tuple(_integer_value(i, values) for i in expr.indices)]
    if isinstance(expr, Add):
        return se.Add(*(evaluate(arg, values, arrays) for arg in expr.args))
    if isinstance(expr, Mul):
        return se.Mul(*(evaluate(arg, values, arrays) for arg in expr.args))
    if expr.is_Number:
        return se.sympify(expr)
    raise ValueError(f"evaluate: not an index expression of sums, products and entries: {expr}")


def _integer_value(index, values) -> int:
    value = index.xreplace(values)
    if not value.is_Integer:
        raise ValueError(f"evaluate: index {index} is not an integer at {values}: {value}")
    return int(value)


SUMMATION_NAMES = {N: "n", O: "o", C: "c", H_OUT: "u", W_OUT: "v", K_H: "p", K_W: "q"}
"""The name a summation index gets from the size it runs to, in every displayed sum: n over the batch,
o and c over the channels, (u, v) over the output image, (p, q) over the kernel (notation sheet)."""

FREE_NAMES = {"input": ("n", "c", "i", "j"), "weight": ("o", "c", "p", "q"), "bias": ("o",)}
"""The displayed names of a gradient's generic entry: dX at (n, c, i, j), dW at (o, c, p, q), db at o."""


def readable(expr, free: dict):
    """``expr`` with its free indices renamed by ``free`` (old symbol -> new symbol) and every summation
    index renamed after the size it runs to (``SUMMATION_NAMES``: the normal form's k_0, k_1, ... become
    n, u, v, ...), barred (n -> n with a bar) where the name is already taken in its scope, so no index is
    captured. A bar, not a prime: n'_H is the output height, so a primed summation index would read as a
    size.

    The result is the same function of the free indices (alpha-renaming of bound indices only):
    tests/proofs/test_conv2d_handout.py checks normal_form(readable(e)) against normal_form(e).

    >>> k, K = Symbol("k_0", integer=True), Symbol("K_h", integer=True, positive=True)
    >>> readable(Sum(w[k], (k, 1, K_H)), {})
    Sum(w[p], (p, 1, K_h))
    """
    def walk(e, mapping, taken):
        if isinstance(e, Sum):
            mapping, limits = dict(mapping), []
            for variable, low, high in e.limits:
                base = SUMMATION_NAMES.get(high, variable.name)
                name = variable.name if _undecorated(variable.name) == base else base
                while name in taken:
                    name = rf"\bar{{{name}}}"
                taken = taken | {name}
                limits.append((Symbol(name, integer=True), walk(low, mapping, taken), walk(high, mapping, taken)))
                mapping[variable] = limits[-1][0]
            return Sum(walk(e.function, mapping, taken), *limits)
        if isinstance(e, Symbol):
            return mapping.get(e, e)
        if e.args:
            return e.func(*(walk(arg, mapping, taken) for arg in e.args))
        return e

    return walk(expr, dict(free), frozenset(symbol.name for symbol in free.values()))


def _undecorated(name: str) -> str:
    r"""The letter under any bars or tildes: \bar{\bar{n}} -> n, \tilde{p} -> p (the reflected index
    keeps its tilde)."""
    while name.endswith("}") and name.startswith((r"\bar{", r"\tilde{")):
        name = name[name.index("{") + 1:-1]
    return name


def free_renaming(proof) -> dict:
    """The generic entry's internal indices (n_0, c_0, h_0, w_0, ...) -> their displayed names."""
    return {old: _integer(new) for old, new in zip(proof.left.indices, FREE_NAMES[proof.subject])}


@dataclass(frozen=True)
class WorkedExample:
    """Small integers through one layer: the forward pass and the three gradients, each computed twice
    (the closed forms of the general-size proofs, evaluated; the numeric rules), ``agrees`` per result."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    grad_output: np.ndarray
    geometry: conv.ConvGeometry
    y: np.ndarray
    gradients: dict  # "input" / "weight" / "bias" -> the closed form's integer array
    agrees: dict  # "forward" / "input" / "weight" / "bias" -> bool

    @property
    def holds(self) -> bool:
        return all(self.agrees.values())


def _integers(array, name):
    array = np.asarray(array)
    if array.dtype.kind not in "iu":
        raise ValueError(f"worked_example: {name} must be an integer array, got dtype {array.dtype}")
    return array.astype(np.int64)


def _one_based(array):
    return conv.OneBased(np.vectorize(se.Integer, otypes=[object])(array))


def worked_example(proofs, x, weight, bias, grad_output, stride=1, padding=0, dilation=1) -> WorkedExample:
    """Evaluate the displayed closed forms of ``proofs`` (the general-size proofs, by subject) at small
    integers and compare each with the numeric rule of ``numeric.rules.conv``; the forward pass is the
    scalar equation evaluated, compared with ``conv2d_forward``. Exact integer arithmetic throughout."""
    x, weight, bias, grad_output = (_integers(a, name) for a, name in ((x, "x"), (weight, "weight"), (bias, "bias"),
                                                                        (grad_output, "grad_output")))
    (batch, channels, height, width), (out_channels, _, k_h, k_w) = x.shape, weight.shape
    geometry = conv.ConvGeometry(batch, channels, out_channels, height, width, (k_h, k_w), stride, padding, dilation)
    if grad_output.shape != geometry.output_shape:
        raise ValueError(f"worked_example: grad_output must have the output's shape {geometry.output_shape}, "
                         f"got {grad_output.shape}")
    arrays = (_one_based(x), _one_based(weight), _one_based(bias))
    sizes = (channels, (k_h, k_w), stride, padding, dilation)
    y = np.empty(geometry.output_shape, dtype=np.int64)
    for index in np.ndindex(y.shape):
        y[index] = int(conv.scalar_equation(arrays, tuple(i + 1 for i in index), sizes, conv.explicit_total))
    indexed = {
        _X: arrays[0], w: arrays[1], b: arrays[2], g: _one_based(grad_output),
        g_extended: _dilated(np.vectorize(se.Integer, otypes=[object])(grad_output), stride)}
    values = _size_values(geometry)
    shapes = {"input": x.shape, "weight": weight.shape, "bias": bias.shape}
    gradients = {}
    for subject, shape in shapes.items():
        proof = proofs[subject]
        result = np.empty(shape, dtype=np.int64)
        for index in np.ndindex(shape):
            point = {**values, **{symbol: Integer(i + 1) for symbol, i in zip(proof.left.indices, index)}}
            result[index] = int(evaluate(proof.closed_form, point, indexed))
        gradients[subject] = result
    numeric = {
        "forward": (conv_rules.conv2d_forward(x, weight, bias, stride, padding, dilation), y),
        "input": (conv_rules.conv2d_grad_input(grad_output, weight, x.shape, stride, padding, dilation), gradients["input"]),
        "weight": (conv_rules.conv2d_grad_weight(grad_output, x, (k_h, k_w), stride, padding, dilation),
                   gradients["weight"]),
        "bias": (conv_rules.conv2d_grad_bias(grad_output), gradients["bias"]),
    }
    agrees = {name: bool(np.array_equal(np.asarray(rule), ours)) for name, (rule, ours) in numeric.items()}
    return WorkedExample(x, weight, bias, grad_output, geometry, y, gradients, agrees)

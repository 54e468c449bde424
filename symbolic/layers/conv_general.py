"""General-size index proofs of Conv2d's gradients, with symbolic stride s, padding P and dilation
d, and any batch size N, channels C and O, input H x W, kernel K_h x K_w and output H_out x W_out
(1-based; x reads 0 outside 1..H, 1..W, which is the zero padding).

The scalar equation is not restated here: ``equation`` is ``conv.scalar_equation`` (the one
statement, also instantiated by the concrete checks) with ``IndexedBase`` arrays and a SymPy ``Sum``.
The closed forms are index expressions built from the same ``conv.input_position``, pos(u, p) =
(u - 1) s + (p - 1) d + 1 - P, with other arguments: the backward of a convolution is another
convolution (JAX's view; seed 003):

* dX[n, c, h, w] = sum_{o, p', q'} g^[n, o, pos_1(h, p'), pos_1(w, q')] w[o, c, K_h + 1 - p', K_w + 1 - q'],
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
sifting with zero extension and dilation: sum_{u=1}^{H_out} g[u] delta((u - 1)s + e, h) = g^[h - e + 1]
(the partner may leave the range or fall between two outputs: exactly the zeros that dilating and
padding G supply); reflection of a summation index, p' = K + 1 - p, which maps 1..K onto itself
(the 180-degree rotation of the kernel).
"""

from __future__ import annotations

import itertools

import numpy as np
import symengine as se
from sympy import Add, Derivative, Indexed, IndexedBase, Integer, KroneckerDelta, Mul, Sum, Symbol, diff, expand, solve

from gradproof.symbolic.engine.general import CHAIN_RULE, NORMAL_FORMS_DIFFER, GeneralProof
from gradproof.symbolic.engine.indexed import NORMAL_FORM, normal_form
from gradproof.symbolic.layers import conv

ZERO_EXTENSION = "sifting with zero extension and dilation of G"
REFLECTION = "reflection of the kernel index, p' = K + 1 - p"


def _integer(name):
    return Symbol(name, integer=True)


def _size(name):
    return Symbol(name, integer=True, positive=True)


N, C, O, H, W = (_size(name) for name in ("N", "C", "O", "H", "W"))  # noqa: E741 (O: output channels, as in the notes)
K_H, K_W = _size("K_h"), _size("K_w")
H_OUT, W_OUT = _size("H_{out}"), _size("W_{out}")
STRIDE, PAD, DIL = _size("s"), Symbol("P", integer=True, nonnegative=True), _size("d")
x, w, b, g = IndexedBase("x"), IndexedBase("w"), IndexedBase("b"), IndexedBase("g")
g_extended = IndexedBase(r"\hat{g}")
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
    """p' = K + 1 - p: the 180-degree rotation of a kernel axis of size K."""
    return size + 1 - index


def _chain(entry):
    """sum over every output of g * d(output)/d(entry): the chain rule, differentiated."""
    limits = ((v, 1, W_OUT), (u, 1, H_OUT), (o, 1, O), (n, 1, N))
    return Sum(g[n, o, u, v] * diff(equation(n, o, u, v), entry), *limits)


def _sift_zero_extended(limits, body):
    """Remove the summations over output positions (ranges 1..H_out, 1..W_out) whose delta pins them
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
    rotated, channel-swapped kernel, summed over p', q' and o (seed 003's transposed convolution)."""
    p_r, q_r = _integer("p'"), _integer("q'")
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

"""General-size index proofs of Conv2d's gradients, with symbolic stride s, padding P and dilation
d, and any batch size N, channels C and O, input H x W, kernel K x K and output H_out x W_out
(1-based; x reads 0 outside 1..H, 1..W, which is the zero padding):

    y[n, o, u, v] = b[o] + sum_{c, p, q} w[o, c, p, q] x[n, c, (u-1)s + (p-1)d + 1 - P, (v-1)s + (q-1)d + 1 - P].

Rules used, each named in the proof:

* chain rule; differentiation of the Indexed scalar equation (Kronecker deltas);
* linearity of finite sums and the sifting property where the partner index is in range;
* sifting with zero extension and dilation: sum_{u=1}^{H_out} g[u] delta((u-1)s + e, h) = g^[h - e],
  where g^ is G with s - 1 zeros inserted between entries (g^[(u-1)s] = g[u]) and extended by zeros
  (the partner may leave the range or fall between two outputs: exactly the zeros that dilating
  and padding G supply in the transposed convolution);
* reflection of a summation index, p' = K + 1 - p, which maps 1..K onto itself (the 180-degree
  rotation of the kernel).

The closed forms are written here in index notation (seed 003: the full correlation of the
stride-dilated, zero-padded G with the rotated, channel-swapped kernel, cropped by P; the correlation of X with G summed over
the batch; the sum of G); the numeric functions that implement them are compared with the
derivation for concrete sizes in ``symbolic.conv``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import IndexedBase, KroneckerDelta, Mul, Sum, Symbol, diff, expand, solve

from gradproof.symbolic.engine.indexed import normal_form

ZERO_EXTENSION = "sifting with zero extension and dilation of G"
REFLECTION = "reflection of the kernel index, p' = K + 1 - p"


def _integer(name):
    return Symbol(name, integer=True)


def _size(name):
    return Symbol(name, integer=True, positive=True)


N, C, O, H, W, K = (_size(name) for name in ("N", "C", "O", "H", "W", "K"))  # noqa: E741 (O: output channels, as in the notes)
H_OUT, W_OUT = _size("H_{out}"), _size("W_{out}")
STRIDE, PAD, DIL = _size("s"), Symbol("P", integer=True, nonnegative=True), _size("d")
x, w, b, g = IndexedBase("x"), IndexedBase("w"), IndexedBase("b"), IndexedBase("g")
g_extended = IndexedBase(r"\hat{g}")
n, o, u, v, c, p, q = (_integer(name) for name in ("n", "o", "u", "v", "c", "p", "q"))


def _input_index(output, kernel):
    return (output - 1) * STRIDE + (kernel - 1) * DIL + 1 - PAD


def equation(n_, o_, u_, v_):
    """The scalar equation of one output entry (stride s, padding P, dilation d)."""
    return b[o_] + Sum(w[o_, c, p, q] * x[n_, c, _input_index(u_, p), _input_index(v_, q)], (q, 1, K), (p, 1, K), (c, 1, C))


def _chain(entry):
    """sum over every output of g * d(output)/d(entry): the chain rule, differentiated."""
    limits = ((v, 1, W_OUT), (u, 1, H_OUT), (o, 1, O), (n, 1, N))
    return Sum(g[n, o, u, v] * diff(equation(n, o, u, v), entry), *limits)


def _sift_zero_extended(limits, body):
    """Remove the summations over output positions (ranges 1..H_out, 1..W_out) whose delta pins them
    to an index that may leave the range; G becomes its zero extension."""
    limits = list(limits)
    for upper in (H_OUT, W_OUT):
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
        slot = 2 if upper == H_OUT else 3
        # g^ is indexed by the offset (u - 1) s into the dilated G: rewrite this slot's index
        body = body.replace(
            lambda e: getattr(e, "base", None) == g_extended,
            lambda e, slot=slot: g_extended[tuple(expand(STRIDE * (i - 1)) if k == slot else i
                                                  for k, i in enumerate(e.indices))],
        )
        limits.pop(position)
    return limits, body


def _derived_normal_form(entry, ranges):
    """The chain rule for ``entry`` in normal form, with the zero-extension rule for dX."""
    return normal_form(_chain(entry), ranges, extra_rule=_sift_zero_extended)


@dataclass(frozen=True)
class ConvGeneralProof:
    gradient: str
    entry: object
    chain: object
    derived: object
    closed_form: object
    closed_reindexed: object
    holds: bool


def prove_grad_input() -> ConvGeneralProof:
    n0, c0, h0, w0 = (_integer(name) for name in ("n_0", "c_0", "h_0", "w_0"))
    ranges = {n0: (1, N), c0: (1, C), h0: (1, H), w0: (1, W)}
    entry = x[n0, c0, h0, w0]
    p_r, q_r = _integer("p'"), _integer("q'")
    # dilate G by s (g^), pad by d(K - 1), correlate with the rotated, channel-swapped kernel at
    # dilation d, crop P: entry (h0 + P) of the correlation reads g^ at h0 + P + (p' - 1)d - d(K - 1) - 1
    reach = DIL * (K - 1) + 1 - PAD

    def read(index, kernel):
        return index + (kernel - 1) * DIL - reach

    closed = Sum(g_extended[n0, o, read(h0, p_r), read(w0, q_r)] * w[o, c0, K + 1 - p_r, K + 1 - q_r],
                 (q_r, 1, K), (p_r, 1, K), (o, 1, O))
    reindexed = Sum(closed.function.xreplace({p_r: K + 1 - p, q_r: K + 1 - q}), (q, 1, K), (p, 1, K), (o, 1, O))
    derived = _derived_normal_form(entry, ranges)
    holds = expand(derived - normal_form(reindexed, ranges)) == 0
    return ConvGeneralProof("input", entry, _chain(entry), derived, closed, reindexed, holds)


def prove_grad_weight() -> ConvGeneralProof:
    o0, c0, p0, q0 = (_integer(name) for name in ("o_0", "c_0", "p_0", "q_0"))
    ranges = {o0: (1, O), c0: (1, C), p0: (1, K), q0: (1, K)}
    entry = w[o0, c0, p0, q0]
    closed = Sum(x[n, c0, _input_index(u, p0), _input_index(v, q0)] * g[n, o0, u, v],
                 (v, 1, W_OUT), (u, 1, H_OUT), (n, 1, N))
    derived = _derived_normal_form(entry, ranges)
    return ConvGeneralProof("weight", entry, _chain(entry), derived, closed, closed,
                            expand(derived - normal_form(closed, ranges)) == 0)


def prove_grad_bias() -> ConvGeneralProof:
    o0 = _integer("o_0")
    ranges = {o0: (1, O)}
    entry = b[o0]
    closed = Sum(g[n, o0, u, v], (v, 1, W_OUT), (u, 1, H_OUT), (n, 1, N))
    derived = _derived_normal_form(entry, ranges)
    return ConvGeneralProof("bias", entry, _chain(entry), derived, closed, closed,
                            expand(derived - normal_form(closed, ranges)) == 0)


def general_proofs() -> tuple[ConvGeneralProof, ...]:
    return (prove_grad_input(), prove_grad_weight(), prove_grad_bias())



"""The built-in layers as layer descriptions: the toolkit's own layers in the language users write theirs in.

Each built-in layer is a ``Layer`` (``gradproof.symbolic.layers.description``) shipped with the toolkit,
so ``gradproof derive linear`` runs the same engine as ``gradproof derive examples/bilinear.py``
(``symbolic.layers.gradients``: chain rule entry by entry, claims exact at the check sizes and, where
the index algebra applies, for general sizes). The rule table (``symbolic.layers.table``) consumes them:

* the **scalar equations** of the rule table's canonical presentations (``symbolic.layers.fc``:
  ``LINEAR_TORCH``, ``RELU``, ``SQUARED_LOSS``, and the seeds' layouts ``LINEAR_SEED000``,
  ``LINEAR_SEED001_*``) are the descriptions' equations, turned into ``LayerEquations`` by
  ``equation_of`` (one source of truth: nothing is typed twice);
* the **claims** of a description with a rule-table closed form are that closed form's generic entry,
  ``(G^T X)_pq = sum_i g_ip x_iq`` (``engine.indexed.matrix_entry``), so the matrix expression the proof
  documents print and the index claim the description engine verifies are one object;
* the **claims** of Conv2d, pooling, Flatten and softmax cross-entropy decide those rules' verdicts in the
  rule table (``symbolic.layers.verify``): the rule table has no separate closed form for them;
* ``symbol_arrays`` lays the description's entries out as NumPy object arrays, so a numeric rule run on
  them can be compared exactly with the description engine's derived gradient (``symbolic.layers.verify``).

Layouts and conventions (DESIGN.md section 4): PyTorch's batch layout Y = X W^T + 1 b^T with W of shape
(D_out, D_in); ReLU with derivative 0 at 0; the squared loss summed over the batch; softmax
cross-entropy averaged over the batch; Conv2d in NCHW, cross-correlation, zero padding P, stride s,
dilation d, n'_H = floor((n_H + 2P - d(K_h - 1) - 1)/s) + 1. A loss's output is a one-entry tensor
xi[o]; its upstream gradient dL/dxi is 1 when the loss is the objective, so its claims carry that
factor (``G_xi[1]``) and the rule-table check sets it to 1.

Seeds 000-004; Matrix Cookbook section 1 (index notation); PyTorch's conv2d and cross_entropy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sympy import (
    Eq,
    HadamardProduct,
    Indexed,
    IndexedBase,
    MatrixSymbol,
    OneMatrix,
    Piecewise,
    Symbol,
    floor,
)
from sympy import Sum as _SympySum

from gradproof.symbolic.engine import functions
from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.engine.indexed import matrix_entry
from gradproof.symbolic.layers.description import Layer, Sum, exp, indices, log, padded, relu, sizes, step, tensor

__all__ = ["BUILTINS", "BUILTIN_NAMES", "Builtin", "CROSS_ENTROPY", "FLATTEN", "LINEAR", "LINEAR_SEED000", "LINEAR_SEED001",
           "OBJECTIVE", "RELU",
           "SQUARED_LOSS", "avgpool2d", "builtin_named", "conv2d", "equation_of", "for_presentation", "maxpool2d",
           "symbol_arrays"]


# --- the rule table's closed forms, written once (matrix expressions of the canonical operands) ---------

def linear_weight_closed_form(o):
    """dJ/dW = G^T X (seed 000: dW = dy x^T; seed 002 (1))."""
    return o["grad_output"].T * o["x"]


def linear_bias_closed_form(o):
    """dJ/db = G^T 1 (seed 000: db = dy; seed 001: sum over the batch; seed 002 (2))."""
    grad = o["grad_output"]
    return grad.T * OneMatrix(grad.rows, 1)


def linear_input_closed_form(o):
    """dJ/dX = G W (seed 000: dx = W^T dy; seed 002 (3))."""
    return o["grad_output"] * o["weight"]


def relu_input_closed_form(o):
    """dJ/dS = G ⊙ I[S] (seed 002 (4))."""
    return HadamardProduct(o["grad_output"], o["mask"])


def squared_loss_closed_form(o):
    """d xi/dZ = 2 (Z - Y) (seed 002, the start of the backward pass)."""
    return 2 * (o["prediction"] - o["target"])


def seed000_canonical(symbols):
    """Seed 000's column vectors in PyTorch's operands: X = x^T, G = (Delta y)^T (W and b as they are)."""
    return {"x": symbols["x"].T, "weight": symbols["weight"], "bias": symbols["bias"],
            "grad_output": symbols["grad_output"].T}


def seed001_canonical(symbols, batch_factor=1):
    """Seed 001's rows in PyTorch's operands: W_torch = W^T; G = D, or D / N for the averaged loss."""
    grad = symbols["grad_output"]
    return {"x": symbols["x"], "weight": symbols["weight"].T, "bias": symbols["bias"],
            "grad_output": batch_factor * grad}


_LINEAR_CLOSED_FORMS = {"weight": linear_weight_closed_form, "bias": linear_bias_closed_form,
                        "x": linear_input_closed_form}


def _in_layout(canonical, transposed: set) -> dict:
    """The Linear closed forms written in a seed's layout: evaluated on the translated operands, and
    transposed where the layout's variable is the transpose of PyTorch's (denominator layout)."""
    def translated(key, closed_form):
        def closed(symbols):
            value = closed_form(canonical(symbols))
            return (value.T if key in transposed else value).doit()
        return closed
    return {key: translated(key, closed_form) for key, closed_form in _LINEAR_CLOSED_FORMS.items()}


# --- the record ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Builtin:
    """A layer description shipped with the toolkit, and how it meets the rule table.

    ``operands`` maps each rule-table operand key ("x", "weight", "grad_output", "mask", ...) to the
    description's tensor, or to a function of 1-based indices giving an entry (the ReLU mask I[S] is
    ``step(S[i, j])``); ``presentation`` names the ``LayerEquations`` built from it (None: no rule-table
    presentation); ``loss``: the output is the objective, so dL/d(output) = 1.
    """

    layer: Layer
    operands: Mapping[str, object]
    presentation: str | None = None
    loss: bool = False
    roles: Mapping[str, object] = None  # rule-table size role ("batch", "in", ...) -> the description's size

    def entry(self, key: str) -> Callable:
        """Operand ``key`` -> function of 1-based indices giving its entry in the description's symbols."""
        value = self.operands[key]
        if isinstance(value, IndexedBase):
            return lambda *ix: value[ix[: len(value.shape)]]
        return value

    def upstream_one(self, sizes: Mapping) -> dict:
        """For a loss: {G_xi[1]: 1} (L is the loss itself); otherwise nothing to substitute."""
        if not self.loss:
            return {}
        (definition,) = self.layer.output_definitions()
        return {self.layer.upstream_of(definition.base).subs(sizes)[1]: 1}


def _matrix_symbols(operands: Mapping[str, object], shapes: Mapping[str, tuple]) -> dict[str, MatrixSymbol]:
    return {key: MatrixSymbol(key, *(shape if len(shape) == 2 else (shape[0], 1))) for key, shape in shapes.items()}


def _entry_functions(operands: Mapping[str, object]) -> dict[str, Callable]:
    def of(value):
        if isinstance(value, IndexedBase):
            return (lambda i, j: value[i, j]) if len(value.shape) == 2 else (lambda i, j: value[i])
        return value
    return {key: of(value) for key, value in operands.items()}


_READABLE = tuple(Symbol(name, integer=True) for name in ("i", "j", "k", "n", "m", "r", "t"))


def _readable(expr):
    """``expr`` with each sum's dummy variable renamed to a letter not used in it (i, j, k, n, ...)."""
    def rename(node):
        used = node.free_symbols
        fresh, replaced = [s for s in _READABLE if s not in used], {}
        for variable, _, _ in node.limits:
            if variable.is_Dummy:
                replaced[variable] = fresh.pop(0)
        body = _readable(node.function).xreplace(replaced)
        return _SympySum(body, *[(replaced.get(v, v), low, high) for v, low, high in node.limits])
    return expr.replace(lambda e: isinstance(e, _SympySum), rename)


def _claims(operands, shapes, closed_forms, scale=1) -> dict:
    """{variable[p, q]: scale * entry (p, q) of its closed form}: the closed form's generic entry."""
    symbols = _matrix_symbols(operands, shapes)
    entry_of = _entry_functions(operands)
    p, q = indices("p q")
    claims = {}
    for key, closed_form in closed_forms.items():
        variable = operands[key]
        rank = len(variable.shape)
        value = matrix_entry(closed_form(symbols), p, q if rank == 2 else 1, entry_of)
        claims[variable[(p, q)[:rank]]] = scale * _readable(value)
    return claims


def _shapes(operands) -> dict:
    return {key: tuple(value.shape) for key, value in operands.items() if isinstance(value, IndexedBase)}


# --- the descriptions ------------------------------------------------------------------------------

def _rule_layer(name: str, **parts) -> Layer:
    """A description whose claims are the rule table's closed forms (``Layer.rule_claims``)."""
    return Layer(name, rule_claims=True, **parts)


def _linear_torch() -> Builtin:
    B, M, N = sizes("N D_in D_out")  # the notation sheet's batch, D_in, D_out (fc.LINEAR_TORCH: roles batch, in, out)
    i, j, k = indices("i j k")
    X, W, b, Y, G = tensor("X", B, M), tensor("W", N, M), tensor("b", N), tensor("Y", B, N), tensor("G", B, N)
    operands = {"x": X, "weight": W, "bias": b, "grad_output": G}
    claims = _claims(operands, _shapes(operands), _LINEAR_CLOSED_FORMS)
    layer = _rule_layer("linear", inputs=(X,), parameters=(W, b),
                  outputs={Y[i, j]: Sum(X[i, k] * W[j, k], (k, M)) + b[j]}, upstream={Y: G}, claims=claims,
                  at={B: 2, M: 3, N: 2}, title="The Linear layer (PyTorch layout, a batch)",
                  reference="seed 000, seed 001, seed 002 (1)-(3), in PyTorch's layout",
                  conventions="PyTorch's layout: row i of X and of Y is sample i of the batch; W has one row per output "
                              "feature (D_out rows, D_in columns).")
    return Builtin(layer, {**operands, "y": Y}, "linear.torch", roles={"batch": B, "in": M, "out": N})


def _linear_seed000() -> Builtin:
    M, N = sizes("D_in D_out")  # seed 000 writes M and N
    n, m = indices("n m")
    x, W, b, y, g = tensor("x", M), tensor("W", N, M), tensor("b", N), tensor("y", N), tensor("g", N)
    operands = {"x": x, "weight": W, "bias": b, "grad_output": g}
    claims = _claims(operands, _shapes(operands), _in_layout(seed000_canonical, {"x"}))
    layer = _rule_layer("linear_column", inputs=(x,), parameters=(W, b),
                  outputs={y[n]: Sum(W[n, m] * x[m], (m, M)) + b[n]}, upstream={y: g}, claims=claims, at={M: 3, N: 2},
                  title="The Linear layer, one sample as a column (seed 000)", reference="seed 000")
    return Builtin(layer, {**operands, "y": y}, "linear.seed000", roles={"in": M, "out": N})


def _linear_seed001() -> Builtin:
    N, m, n = sizes("N D_in D_out")  # seed 001 writes m and n
    i, j, k = indices("i j k")
    X, W, b, Y, D = tensor("X", N, m), tensor("W", m, n), tensor("b", n), tensor("Y", N, n), tensor("D", N, n)
    operands = {"x": X, "weight": W, "bias": b, "grad_output": D}
    claims = _claims(operands, _shapes(operands), _in_layout(seed001_canonical, {"weight"}))
    layer = _rule_layer("linear_rows", inputs=(X,), parameters=(W, b),
                  outputs={Y[i, j]: Sum(X[i, k] * W[k, j], (k, m)) + b[j]}, upstream={Y: D}, claims=claims,
                  at={N: 2, m: 3, n: 2}, title="The Linear layer, samples as rows (seed 001, summed loss)",
                  reference="seed 001")
    return Builtin(layer, {**operands, "y": Y}, "linear.seed001", roles={"batch": N, "in": m, "out": n})


def _relu() -> Builtin:
    B, F = sizes("N D")
    i, j = indices("i j")
    S, Z, G = tensor("S", B, F), tensor("Z", B, F), tensor("G", B, F)
    operands = {"pre_activation": S, "grad_output": G, "mask": lambda r, c: step(S[r, c])}
    claims = _claims(operands, {**_shapes(operands), "mask": S.shape}, {"pre_activation": relu_input_closed_form})
    layer = _rule_layer("relu", inputs=(S,), outputs={Z[i, j]: relu(S[i, j])}, upstream={Z: G}, claims=claims,
                  at={B: 2, F: 2}, title="ReLU, entry by entry", reference="seed 001; seed 002 (4)",
                  conventions="ReLU keeps a positive entry and sets the others to 0; its derivative is taken as 0 "
                              "at the kink 0, as PyTorch does.")
    return Builtin(layer, {**operands, "z": Z}, "relu", roles={"batch": B, "features": F})


def _squared_loss() -> Builtin:
    B, N = sizes("N D")
    i, j, o = indices("i j o")
    Zp, Yt, xi, G = tensor("Z", B, N), tensor("Y", B, N), tensor("xi", 1), tensor("G_xi", 1)
    operands = {"prediction": Zp, "target": Yt}
    claims = _claims(operands, _shapes(operands), {"prediction": squared_loss_closed_form}, scale=G[1])
    layer = _rule_layer("squared_loss", inputs=(Zp, Yt), outputs={xi[o]: Sum((Zp[i, j] - Yt[i, j]) ** 2, (j, N), (i, B))},
                  upstream={xi: G}, claims=claims, at={B: 2, N: 2}, title="The squared loss, summed over the batch",
                  reference="seed 002", conventions="The output is the loss itself, so its upstream gradient is 1 when the loss is the objective.")
    return Builtin(layer, {**operands, "loss": xi}, "squared_loss", loss=True, roles={"batch": B, "out": N})


def _cross_entropy() -> Builtin:
    B, C = sizes("N K")  # batch, classes (C counts channels on the notation sheet)
    i, c, e, o, p, q = indices("i c e o p q")
    Z, T, P, xi, G = tensor("Z", B, C), tensor("T", B, C), tensor("P", B, C), tensor("xi", 1), tensor("G_xi", 1)
    layer = _rule_layer("cross_entropy", inputs=(Z, T),
                  intermediates={P[i, c]: exp(Z[i, c]) / Sum(exp(Z[i, e]), (e, C))},
                  outputs={xi[o]: Sum(log(Sum(exp(Z[i, c]), (c, C))) - Sum(T[i, c] * Z[i, c], (c, C)), (i, B)) / B},
                  upstream={xi: G}, claims={Z[p, q]: G[1] * (P[p, q] - T[p, q]) / B}, at={B: 3, C: 3},
                  title="Softmax cross-entropy, averaged over the batch", reference="PyTorch's cross_entropy",
                  conventions="T holds the labels one-hot, row by row; P is the softmax of each row of Z.")
    return Builtin(layer, {"logits": Z, "one_hot": T, "probabilities": P}, None, loss=True)


def _equal(a, b):
    """[a = b]: 1 if the integers a and b are equal, else 0, as a Piecewise.

    Not KroneckerDelta: SymPy sums a delta over one variable by solving for it without asking for an
    integer solution, so sum_{p, u} g_p delta(2, 2(p - 1) + u) becomes g_1 + g_{3/2} (a wrong
    refutation of a true claim); a Piecewise with numbers in it is decided term by term."""
    return Piecewise((1, Eq(a, b)), (0, True))


def conv2d(stride: int = 1, padding: int = 0, dilation: int = 1) -> Builtin:
    """Conv2d (NCHW, cross-correlation, zero padding) at one stride, padding and dilation, as a description.

    y[n, o, p, q] = sum_{c, u, v} w[o, c, u, v] x_pad[n, c, s(p - 1) + d(u - 1) + 1 - P,
    s(q - 1) + d(v - 1) + 1 - P] + b[o], where x_pad is x inside the image and 0 outside (``padded``);
    the output is n'_H x n'_W with n'_H = floor((n_H + 2P - d(K_h - 1) - 1)/s) + 1 (PyTorch). Claims:
    db_o = sum_{n,p,q} g_nopq; dW_ocuv = sum_{n,p,q} g_nopq x_pad[n, c, s(p-1)+d(u-1)+1-P, ...] (seed 003's
    correlation of the padded input with G); dX_ncae = sum g_nopq w_ocuv [a = s(p-1)+d(u-1)+1-P][e = ...]
    (seed 004's P_pad^T P_phi^T: each output position sends G back to the input entries it read; [.] is 1 when
    its two sides are equal, else 0). These claims decide the rule table's Conv2d verdicts
    (``verify.verify_conv``, at ``verify.CONV_GEOMETRIES``): exact at each geometry's sizes, for every size at
    each geometry, and with ``conv_general``'s proof at symbolic geometry; the numeric rules are compared
    with the derived gradients there. Seed 003, seed 004.
    """
    for name, value, low in (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidInput(f"conv2d: {name} must be an integer >= {low}, got {value!r}")
    s, P, d = stride, padding, dilation
    Nb, C, Co, nH, nW, Kh, Kw = sizes("N C O n_H n_W K_h K_w")
    n, o, p, q, c, u, v = indices("n o p q c u v")
    oH, oW = (floor((size + 2 * P - d * (k - 1) - 1) / s) + 1 for size, k in ((nH, Kh), (nW, Kw)))
    X, W, b = tensor("X", Nb, C, nH, nW), tensor("W", Co, C, Kh, Kw), tensor("b", Co)
    Y, G = tensor("Y", Nb, Co, oH, oW), tensor("G", Nb, Co, oH, oW)
    row, col = s * (p - 1) + d * (u - 1) + 1 - P, s * (q - 1) + d * (v - 1) + 1 - P
    tap = padded(X, n, c, row, col)
    a, e = indices("a e")
    claims = {b[o]: Sum(G[n, o, p, q], (n, Nb), (p, oH), (q, oW)),
              W[o, c, u, v]: Sum(G[n, o, p, q] * tap, (n, Nb), (p, oH), (q, oW)),
              X[n, c, a, e]: Sum(G[n, o, p, q] * W[o, c, u, v] * _equal(a, row) * _equal(e, col),
                                 (o, Co), (u, Kh), (v, Kw), (p, oH), (q, oW))}
    layer = _rule_layer(f"conv2d_s{s}_p{P}_d{d}", inputs=(X,), parameters=(W, b),
                  outputs={Y[n, o, p, q]: Sum(W[o, c, u, v] * tap, (c, C), (u, Kh), (v, Kw)) + b[o]}, upstream={Y: G},
                  claims=claims,
                  at={Nb: 1, C: 2, Co: 2, nH: 4, nW: 3, Kh: 2, Kw: 2},
                  title=f"Conv2d, stride {s}, padding {P}, dilation {d}", reference="seed 003; seed 004; PyTorch conv2d",
                  conventions="Cross-correlation in NCHW; the input is 0 outside the image (zero padding).")
    return Builtin(layer, {"input": X, "weight": W, "bias": b, "grad_output": G, "output": Y})


def _pool_geometry(name: str, kernel: int, stride: int, padding: int) -> None:
    for what, value, low in (("kernel", kernel, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidInput(f"{name}: {what} must be an integer >= {low}, got {value!r}")
    if 2 * padding > kernel:
        raise InvalidInput(f"{name}: padding must be at most half the kernel (PyTorch), got padding {padding}, "
                           f"kernel {kernel}")


def _pool(kind: str, kernel: int, stride: int, padding: int) -> Builtin:
    """Average or max pooling over k x k windows, stride s, padding P (PyTorch, ceil_mode=False).

    average: y[n, c, p, q] = (1/k^2) sum_{u, v} x_pad[n, c, s(p - 1) + u - P, s(q - 1) + v - P]
    (count_include_pad=True: the padding counts as 0); max: the same sum weighted by A[n, c, p, q, u, v],
    the one-hot matrix of each window's argmax, which the forward pass computes on numbers and hands in
    as data (seed 002's P_pool); for a fixed A the layer is linear in x, so dx is P_pool^T G.
    Claims: dx[n, c, a, e] = sum over the windows and taps that read (a, e) of G (times 1/k^2, or A); they
    decide the rule table's pooling verdicts (``verify.verify_pooling``, at ``verify.POOL_GEOMETRIES``).
    """
    name = f"{kind}pool2d_k{kernel}_s{stride}_p{padding}"
    _pool_geometry(name, kernel, stride, padding)
    k, s, P = kernel, stride, padding
    Nb, C, nH, nW = sizes("N C n_H n_W")
    n, c, p, q, u, v, a, e = indices("n c p q u v a e")
    oH, oW = (floor((size + 2 * P - k) / s) + 1 for size in (nH, nW))
    X, Y, G = tensor("X", Nb, C, nH, nW), tensor("Y", Nb, C, oH, oW), tensor("G", Nb, C, oH, oW)
    row, col = s * (p - 1) + u - P, s * (q - 1) + v - P
    back = _equal(a, row) * _equal(e, col)
    windows = ((p, oH), (q, oW), (u, k), (v, k))
    operands = {"input": X, "grad_output": G, "output": Y}
    if kind == "avg":
        outputs = {Y[n, c, p, q]: Sum(padded(X, n, c, row, col), (u, k), (v, k)) / k**2}
        claims = {X[n, c, a, e]: Sum(G[n, c, p, q] * back, *windows) / k**2}
        inputs, note = (X,), "The window's mean counts the zero padding, as PyTorch's default does."
    else:
        A = tensor("A", Nb, C, oH, oW, k, k)
        outputs = {Y[n, c, p, q]: Sum(A[n, c, p, q, u, v] * padded(X, n, c, row, col), (u, k), (v, k))}
        claims = {X[n, c, a, e]: Sum(G[n, c, p, q] * A[n, c, p, q, u, v] * back, *windows)}
        inputs, note = (X, A), ("A holds, window by window, 1 at the argmax and 0 elsewhere: the nonlinear "
                                "piece, computed in the forward pass and handed in as data.")
        operands["selection"] = A
    layer = _rule_layer(name, inputs=inputs, outputs=outputs, upstream={Y: G}, claims=claims,
                  at={Nb: 1, C: 2, nH: 4, nW: 5}, title=f"{'Average' if kind == 'avg' else 'Max'} pooling, "
                  f"kernel {k}, stride {s}, padding {P}", reference="seed 002 (P_pool); PyTorch pooling",
                  conventions=note)
    return Builtin(layer, operands)


def avgpool2d(kernel: int = 2, stride: int = 2, padding: int = 0) -> Builtin:
    """Average pooling as a description (see ``_pool``)."""
    return _pool("avg", kernel, stride, padding)


def maxpool2d(kernel: int = 2, stride: int = 2, padding: int = 0) -> Builtin:
    """Max pooling as a description, the argmax handed in as the one-hot data A (see ``_pool``)."""
    return _pool("max", kernel, stride, padding)


def _flatten() -> Builtin:
    """Flatten, C order as torch.flatten(x, 1): y[n, f] = x[n, c, h, w] with f = (c - 1) n_H n_W + (h - 1) n_W + w.

    Written in the encoding direction, y[n, f] = sum_{c, h, w} x[n, c, h, w] [f = (c - 1) n_H n_W + (h - 1) n_W + w]
    (exactly one term is 1: the mixed-radix digits (c, h, w) of f - 1 are unique), so the index algebra
    applies: the derived dx[n, c, h, w] is a sum over f of g[n, f] [f = ...], which ``indicators.sift_in_range``
    sifts (the flat index lies in 1..C n_H n_W). Claim: dx[n, c, h, w] is the entry of G at the same flat
    position. (The decode direction, x[n, floor((f - 1)/(n_H n_W)) + 1, ...], is the same map; its floor and Mod
    are outside the index algebra.)"""
    Nb, C, nH, nW = sizes("N C n_H n_W")
    n, f, c, h, w = indices("n f c h w")
    X, Y, G = tensor("X", Nb, C, nH, nW), tensor("Y", Nb, C * nH * nW), tensor("G", Nb, C * nH * nW)
    flat = (c - 1) * nH * nW + (h - 1) * nW + w
    layer = _rule_layer("flatten", inputs=(X,), outputs={Y[n, f]: Sum(X[n, c, h, w] * _equal(f, flat), (c, C), (h, nH), (w, nW))},
                  upstream={Y: G}, claims={X[n, c, h, w]: G[n, flat]},
                  at={Nb: 2, C: 2, nH: 2, nW: 3}, title="Flatten (C order)", reference="seed 004's vec; torch.flatten",
                  conventions="Flatten keeps the batch and lists each sample's entries channel by channel, row by row.")
    return Builtin(layer, {"input": X, "grad_output": G, "output": Y})


def _objective() -> Builtin:
    """Seed 004's regularized objective (1), (2), its per-sample loss a Linear layer's squared error:

        f = (1/(2 lambda)) (sum_{k,j} W_kj^2 + sum_k b_k^2) + (1/l) sum_{i=1}^{l} xi_i,
        xi_i = sum_k (Y_ik - T_ik)^2,  Y_ik = sum_j W_kj X_ij + b_k;

    claims: df/dW_pq = W_pq / lambda + (1/l) sum_i 2 (Y_ip - T_ip) X_iq and df/db_p = b_p / lambda + (1/l)
    sum_i 2 (Y_ip - T_ip), i.e. theta / lambda plus the mean of the per-sample gradients (seed 004 writes the
    regularization constant C; C counts channels on the notation sheet, so it is lambda here, as in
    network.pdf). The rule table's objective.theta is the generic form (any per-sample losses, unknown
    functions of theta, ``losses.objective_check``); this description is the instance the engine decides for
    every l, D_in, D_out."""
    L_, M, N = sizes("l D_in D_out")  # L_: the sample count l (ruff E741)
    i, j, k, o, p, q = indices("i j k o p q")
    X, T, lam = tensor("X", L_, M), tensor("T", L_, N), tensor("lambda", 1)
    W, b, Y = tensor("W", N, M), tensor("b", N), tensor("Y", L_, N)
    f, G = tensor("f", 1), tensor("G_f", 1)
    layer = _rule_layer("objective", inputs=(X, T, lam), parameters=(W, b),
                  intermediates={Y[i, k]: Sum(W[k, j] * X[i, j], (j, M)) + b[k]},
                  outputs={f[o]: (Sum(W[k, j] ** 2, (k, N), (j, M)) + Sum(b[k] ** 2, (k, N))) / (2 * lam[1])
                           + Sum((Y[i, k] - T[i, k]) ** 2, (i, L_), (k, N)) / L_},
                  upstream={f: G},
                  claims={W[p, q]: G[1] * (W[p, q] / lam[1] + Sum(2 * (Y[i, p] - T[i, p]) * X[i, q], (i, L_)) / L_),
                          b[p]: G[1] * (b[p] / lam[1] + Sum(2 * (Y[i, p] - T[i, p]), (i, L_)) / L_)},
                  at={L_: 2, M: 2, N: 2}, title="Seed 004's regularized objective, a Linear layer's squared error",
                  reference="seed 004 (1), (2)",
                  conventions="lambda is seed 004's regularization constant C (C counts channels on the notation "
                              "sheet); the objective is the loss itself, so its upstream gradient is 1.")
    return Builtin(layer, {"weight": W, "bias": b, "x": X, "target": T, "objective": f}, None, loss=True)


LINEAR = _linear_torch()
LINEAR_SEED000 = _linear_seed000()
LINEAR_SEED001 = _linear_seed001()
RELU = _relu()
SQUARED_LOSS = _squared_loss()
CROSS_ENTROPY = _cross_entropy()
FLATTEN = _flatten()
OBJECTIVE = _objective()

BUILTINS: tuple[Builtin, ...] = (LINEAR, LINEAR_SEED000, LINEAR_SEED001, RELU, SQUARED_LOSS, CROSS_ENTROPY, FLATTEN,
                                  OBJECTIVE, conv2d(), avgpool2d(), maxpool2d())
_PATTERNS = {r"conv2d_s(\d+)_p(\d+)_d(\d+)": conv2d, r"avgpool2d_k(\d+)_s(\d+)_p(\d+)": avgpool2d,
             r"maxpool2d_k(\d+)_s(\d+)_p(\d+)": maxpool2d}


BUILTIN_NAMES = tuple(builtin.layer.name for builtin in BUILTINS[:-3]) + (
    "conv2d_s<S>_p<P>_d<D>", "avgpool2d_k<K>_s<S>_p<P>", "maxpool2d_k<K>_s<S>_p<P>")


def builtin_named(name: str) -> Builtin:
    """The built-in description called ``name``: ``linear``, ``relu``, ``squared_loss``, ..., or a geometry:
    ``conv2d_s2_p1_d2`` (Conv2d at stride 2, padding 1, dilation 2), ``avgpool2d_k3_s2_p1``, ``maxpool2d_k2_s2_p0``."""
    for builtin in BUILTINS:
        if builtin.layer.name == name:
            return builtin
    for pattern, make in _PATTERNS.items():
        geometry = re.fullmatch(pattern, name)
        if geometry:
            return make(*(int(value) for value in geometry.groups()))
    raise KeyError(f"no built-in layer {name!r}; built-in layers are {', '.join(BUILTIN_NAMES)}")


def for_presentation(name: str) -> Builtin | None:
    """The description whose equations the rule-table presentation ``name`` uses (None if there is none)."""
    return next((builtin for builtin in BUILTINS if builtin.presentation == name), None)


# --- from a description to the rule table's forms --------------------------------------------------

def _engine_relu(expr):
    """The description's relu (a Piecewise) as the engine's named function relu (same values, relu'(0) = 0),
    so the rule table's derivations produce the seeds' I[s] (``engine.functions.indicator``)."""
    return expr.replace(lambda e: isinstance(e, Piecewise) and e == relu(e.args[0][0]),
                        lambda e: functions.relu(e.args[0][0]))


def equation_of(builtin: Builtin) -> Callable:
    """The description's output equation as a ``LayerEquations.equation``: ``(ops, *index) -> expression``.

    Each description tensor's entry T[ix] becomes ``ops[key](*ix)`` (the presentation's own entry
    symbols); a loss's one-entry output index is 1. A bound index that would capture a given index is
    refused (InvalidInput) rather than renamed silently.
    """
    (definition,) = builtin.layer.output_definitions()
    labels = {value.label: key for key, value in builtin.operands.items() if isinstance(value, IndexedBase)}

    def equation(ops, *index):
        given = tuple(index) + (1,) * (len(definition.indices) - len(index))
        bound = {limit[0] for node in definition.body.atoms(_SympySum) for limit in node.limits}
        clash = bound & set().union(*(getattr(i, "free_symbols", set()) for i in given))
        if clash:
            raise InvalidInput(f"{builtin.layer.name}: indices {sorted(map(str, clash))} are summed over in the "
                               f"equation; pass other index symbols")
        body = definition.body.xreplace(dict(zip(definition.indices, given)))
        # the description's size names -> the presentation's (one simultaneous replacement), then each tensor's
        # entry -> the presentation's entry, the tensor found by its name (its shape has been renamed too)
        body = body.xreplace({size: ops[f"size:{role}"] for role, size in (builtin.roles or {}).items()
                              if f"size:{role}" in ops})
        body = body.replace(lambda e: isinstance(e, Indexed) and e.base.label in labels,
                            lambda e: ops[labels[e.base.label]](*e.indices))
        return _engine_relu(body)

    return equation


def symbol_arrays(builtin: Builtin, keys, sizes: Mapping) -> list[np.ndarray]:
    """The operands ``keys`` as NumPy object arrays of the description's entries at ``sizes`` (symbol -> int),
    to run a numeric rule on (DESIGN.md section 2: the same function runs on symbols)."""
    arrays = []
    for key in keys:
        value = builtin.operands[key]
        base = value if isinstance(value, IndexedBase) else builtin.operands[_shape_source(builtin, key)]
        shape = tuple(int(dim.subs(sizes)) if hasattr(dim, "subs") else int(dim) for dim in base.shape)
        entry = builtin.entry(key)
        cells = [builtin.layer.expand(entry(*(i + 1 for i in ix))).subs(sizes).doit() for ix in np.ndindex(*shape)]
        array = np.empty(len(cells), dtype=object)
        array[:] = cells
        arrays.append(array.reshape(shape))
    return arrays


def _shape_source(builtin: Builtin, key: str) -> str:
    """An operand given by a function (the ReLU mask) has the shape of the first tensor operand."""
    return next(k for k, v in builtin.operands.items() if isinstance(v, IndexedBase))

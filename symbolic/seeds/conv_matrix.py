"""Seed 003's worked example: a 3 x 3 input, a 3 x 3 kernel, zero padding 1, as matrix products.

* the convolution is y = M x for the 9 x 9 matrix M = dy/dx (row-major order a..i, alpha..kappa);
* the backward pass is dL/dx = M^T dL/dy, and M^T is itself the matrix of a convolution with the
  kernel rotated by 180 degrees (the full correlation of the numeric rule);
* the weight gradient is dL/dw = Q^T dL/dy with Q = dy/dw, the correlation of the padded input
  with dL/dy.

The route to dL/dx is seed 003's: dL = tr(G^T dY) = g^T dy (g, dy: G and dY read row by row), dy = M dx,
so dL = (M^T g)^T dx and dL/dx = M^T g. Each step is checked on its own (``route``): the trace identity
with a symbolic dY, y = M x, y = Q m (m the kernel read row by row), M^T g and Q^T g against the chain
rule, M^T against the rotated-kernel convolution and Q^T g against the correlation of the padded input
with G. The upstream gradient's entries are printed G_11 ... G_33 (the seed's dL/dalpha ... dL/dkappa).

Names: the code calls the input Jacobian M and the kernel vector m (the check names keep them), but
conv2d.pdf prints them as A and M: the seed's own M is the kernel vector (M_new = M_old - mu (dL/dM)^T),
its unnamed 9 x 9 matrix becomes A, and the upstream gradient read row by row is printed dL/dy, since
g is the seed's seventh input entry. ``update_checks`` and ``elementwise_rule`` add the seed's weight
update and its element-wise case Y = phi(X).

M and Q are derived as Jacobians of the scalar equations of ``symbolic.layers.conv`` (not typed in), and
each statement is checked exactly against the derivation by the local chain rule and against the
numeric rules of ``numeric.rules.conv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import Function, Matrix, Symbol, sympify

from gradproof.numeric.rules import conv as conv_rules
from gradproof.symbolic.layers.conv import ConvGeometry, derive, scalar_equations

INPUT_NAMES = "abcdefghi"
OUTPUT_NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa")


@dataclass(frozen=True)
class Seed003Example:
    x: Matrix
    weight: Matrix
    grad_output: Matrix
    outputs: Matrix
    conv_matrix: Matrix  # M
    rotated_matrix: Matrix  # matrix of the convolution with the rotated kernel, applied to dL/dy
    weight_matrix: Matrix  # Q
    grad_input: Matrix  # derived by the local chain rule
    grad_weight: Matrix
    backward_is_transpose: bool
    transpose_is_rotated_convolution: bool
    weight_gradient_is_q_transpose: bool
    padded_input: Matrix = None  # the 5 x 5 zero-padded input
    grad_grid: Matrix = None  # G as 3 x 3
    grad_weight_grid: Matrix = None  # dL/dW as 3 x 3, from the chain rule
    route: dict = None  # step of seed 003's route -> bool (exact)

    @property
    def holds(self) -> bool:
        return (self.backward_is_transpose and self.transpose_is_rotated_convolution
                and self.weight_gradient_is_q_transpose and all((self.route or {None: False}).values()))


def _renaming(system):
    rename = {}
    for (r, c), name in zip(np.ndindex(3, 3), INPUT_NAMES):
        rename[sympify(system.x[0, 0, r, c])] = Symbol(name)
        rename[sympify(system.weight[0, 0, r, c])] = Symbol(f"w_{{{r + 1}{c + 1}}}")
    for (u, v), name in zip(np.ndindex(3, 3), OUTPUT_NAMES):
        rename[sympify(system.grad_output[0, 0, u, v])] = Symbol(f"G_{{{u + 1}{v + 1}}}")  # the seed's dL/d{name}
    rename[sympify(system.bias[0])] = Symbol("b")
    return rename


def _column(array, rename):
    return Matrix([sympify(value).xreplace(rename) for value in np.asarray(array).reshape(-1)])


def seed003_example() -> Seed003Example:
    system = scalar_equations(ConvGeometry(1, 1, 1, 3, 3, 3, 1, 1, 1))
    rename = _renaming(system)
    outputs = Matrix([sympify(system.outputs[index][0]).xreplace(rename) - Symbol("b") for index in sorted(system.outputs)])
    x, weight, grad = (_column(a, rename) for a in (system.x, system.weight, system.grad_output))
    conv_matrix, weight_matrix = outputs.jacobian(x), outputs.jacobian(weight)
    derived = derive(system)
    grad_input, grad_weight = _column(derived["input"], rename), _column(derived["weight"], rename)
    # The backward pass as a convolution: G fully padded, correlated with the rotated kernel.
    symbolic_g = np.array(list(grad), dtype=object).reshape(1, 1, 3, 3)
    symbolic_w = np.array(list(weight), dtype=object).reshape(1, 1, 3, 3)
    rotated = conv_rules.conv2d_forward(symbolic_g, conv_rules.rot180_swap(symbolic_w), np.zeros(1, dtype=object), 1, 1, 1)
    rotated_matrix = Matrix(list(rotated.reshape(-1))).jacobian(grad)
    route, padded, grad_grid = _route(system, rename, outputs, x, weight, grad, conv_matrix, weight_matrix,
                                      grad_input, grad_weight)
    return Seed003Example(
        x, weight, grad, outputs, conv_matrix, rotated_matrix, weight_matrix, grad_input, grad_weight,
        backward_is_transpose=(conv_matrix.T * grad - grad_input).expand() == Matrix.zeros(9, 1),
        transpose_is_rotated_convolution=conv_matrix.T == rotated_matrix,
        weight_gradient_is_q_transpose=(weight_matrix.T * grad - grad_weight).expand() == Matrix.zeros(9, 1),
        padded_input=padded, grad_grid=grad_grid, grad_weight_grid=grad_weight.reshape(3, 3), route=route,
    )


def _is_zero(matrix: Matrix) -> bool:
    return matrix.expand() == Matrix.zeros(*matrix.shape)


def _route(system, rename, outputs, x, weight, grad, conv_matrix, weight_matrix, grad_input, grad_weight):
    """Each step of seed 003's route, checked exactly at the 3 x 3 example (see the module docstring)."""
    grad_grid = grad.reshape(3, 3)
    dy = Matrix(3, 3, lambda u, v: Symbol(f"dy_{{{u + 1}{v + 1}}}"))
    padded = Matrix(np.vectorize(sympify, otypes=[object])(conv_rules.pad2d(system.x, 1)[0, 0]).tolist()).xreplace(rename)
    symbolic_g = np.array(list(grad), dtype=object).reshape(1, 1, 3, 3)
    correlation = conv_rules.correlate(np.array(padded.tolist(), dtype=object)[None, None], symbolic_g, 1, 1)
    correlation = Matrix(list(np.asarray(correlation).reshape(-1)))
    route = {
        "tr(G^T dY) = g^T dy": (grad_grid.T * dy).trace() - (grad.T * dy.reshape(9, 1))[0] == 0,
        "y = M x": _is_zero(outputs - conv_matrix * x),
        "dL/dx = M^T g (the chain rule)": _is_zero(conv_matrix.T * grad - grad_input),
        "y = Q m": _is_zero(outputs - weight_matrix * weight),
        "dL/dm = Q^T g (the chain rule)": _is_zero(weight_matrix.T * grad - grad_weight),
        "Q^T g = the correlation of the padded input with G": _is_zero(weight_matrix.T * grad - correlation),
    }
    return route, padded, grad_grid


# ---------------------------------------------------------------------------- seed 003's weight update

def update_checks(example: Seed003Example) -> dict:
    """Seed 003's update M_new = M_old - mu (dL/dM)^T, with M = (w_11, ..., w_33)^T the kernel read row by
    row, against the library's SGD step, exactly, on the 3 x 3 example's symbols:

    * the seed's dL/dM is a row (numerator layout: Delta L ~ dL/dM Delta M, so dL/dM = dL/dY Q); its
      transpose is Q^T dL/dy, the denominator-layout gradient (Theorem: dL/dM = Q^T dL/dy);
    * ``numeric.optim.SGD`` (plain, no regularization) with learning rate mu, given the numeric rule's
      weight gradient ``conv2d_grad_weight`` on the same symbols, moves the kernel to M_old - mu Q^T dL/dy:
      the library's step is the seed's step, with no transpose because its gradient has M's shape.
    """
    from gradproof.numeric.optim import SGD

    mu = Symbol("mu", positive=True)
    q, g, m = example.weight_matrix, example.grad_output, example.weight
    seed_row = g.T * q  # the seed's dL/dM = dL/dY Q, a 1 x 9 row
    column = q.T * g  # denominator layout
    kernel = np.array(list(m), dtype=object).reshape(1, 1, 3, 3)
    x = np.array(list(example.x), dtype=object).reshape(1, 1, 3, 3)
    grad = np.array(list(g), dtype=object).reshape(1, 1, 3, 3)
    params = {"weight": kernel.copy()}
    SGD(params, lr=mu).step({"weight": conv_rules.conv2d_grad_weight(grad, x, (3, 3), 1, 1, 1)})
    stepped = Matrix([sympify(value) for value in params["weight"].reshape(-1)])
    return {
        "the seed's dL/dM is a row, M a column: the update needs the transpose":
            seed_row.shape == (1, 9) and m.shape == (9, 1) == column.shape,
        "the seed's row gradient, transposed, is Q^T dL/dy": _is_zero(seed_row.T - column),
        "the SGD step is M - mu Q^T dL/dy": _is_zero(stepped - (m - mu * column)),
    }


# ---------------------------------------------------------------------- seed 003's element-wise case

class phi(Function):  # noqa: N801 (seed 003's name)
    """An abstract differentiable scalar function (seed 003's element-wise phi), printed as sigma, the
    activation's letter in network.pdf (conv2d.pdf's phi is seed 004's im2col); its derivative is
    ``phi_prime``, printed as sigma'."""

    def fdiff(self, argindex=1):
        return phi_prime(self.args[0])

    def _latex(self, printer, exp=None):
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"


class phi_prime(Function):  # noqa: N801
    """phi' of ``phi``, printed as sigma'(x)."""

    def _latex(self, printer, exp=None):
        return r"\sigma'\left(" + printer._print(self.args[0]) + r"\right)"


@dataclass(frozen=True)
class ElementwiseRule:
    """Seed 003's Y = phi(X) case at a symbolic size m: y_j = phi(x_j) for j = 1..m, any differentiable phi.

    ``chain`` is the chain rule sum_j dL/dy_j dy_j/dx_i (unevaluated), ``differentiated`` the same sum with
    dy_j/dx_i = phi'(x_j) delta_ij (SymPy's derivative of the Indexed equation), ``closed`` the seed's rule
    phi'(x_i) dL/dy_i. ``holds`` iff the normal form of ``differentiated`` (sifting, for every i in 1..m)
    equals that of ``closed``, exactly."""

    chain: object
    differentiated: object
    closed: object
    holds: bool
    entry: object
    size: object


def elementwise_rule(closed=None) -> ElementwiseRule:
    """dL/dx_i = phi'(x_i) dL/dy_i for y = phi(x) elementwise (seed 003, "Y = phi(X) case"), proved at a
    symbolic size m by the chain rule and sifting (``engine.indexed.normal_form``). ``closed`` replaces
    the claimed right-hand side (tests plant wrong ones)."""
    from sympy import Derivative, IndexedBase, Sum, diff

    from gradproof.symbolic.engine.indexed import normal_form

    x, y = IndexedBase("x"), IndexedBase("y")
    i, j = Symbol("i", integer=True), Symbol("j", integer=True)
    size, loss = Symbol("m", integer=True, positive=True), Symbol("L")
    chain = Sum(Derivative(loss, y[j]) * Derivative(y[j], x[i]), (j, 1, size))
    differentiated = Sum(Derivative(loss, y[j]) * diff(phi(x[j]), x[i]), (j, 1, size))
    claimed = phi_prime(x[i]) * Derivative(loss, y[i]) if closed is None else closed
    ranges = {i: (1, size)}
    holds = normal_form(differentiated, ranges) == normal_form(claimed, ranges)
    return ElementwiseRule(chain, differentiated, claimed, bool(holds), Derivative(loss, x[i]), size)

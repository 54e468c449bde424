"""General-size proofs of the loss end of a network: softmax cross-entropy for any number of classes K
and any batch N, and seed 004's regularized objective for any number of samples l (eqs. (1), (2)).

Each displayed step is checked exactly with SymPy at SYMBOLIC sizes: the step, written with ``Sum``
over ``Indexed`` entries, has the same normal form (``engine.indexed.normal_form``: linearity, sifting,
interchange and renaming of finite sums) as SymPy's own derivative of the scalar equation. The
hypothesis of the cross-entropy (each label row sums to 1) is used as a named rewrite:
sum_i y_ni = 1 replaces that sum wherever it appears once the sums are split into single sums.
The closed forms are then evaluated at concrete sizes and compared exactly with the numeric rules
(``numeric.rules.cross_entropy``, ``numeric.rules.objective``) run on symbols.

* L = -(1/N) sum_n sum_i y_ni log softmax(z_n)_i, sum_i y_ni = 1  =>  dL/dz_nj = (softmax(z_n)_j - y_nj)/N,
  i.e. dL/dZ = (softmax(Z) - Y)/N (softmax along each row; PyTorch's ``cross_entropy``, mean reduction).
* f = (1/2C) ||theta||^2 + (1/l) sum_i xi_i  =>  df/dW = W/C + (1/l) sum_i dxi_i/dW (seed 004 (1)), and
  df/db likewise (seed 004 (2)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sympy import (
    Derivative,
    Function,
    Indexed,
    IndexedBase,
    KroneckerDelta,
    Mul,
    Sum,
    Symbol,
    diff,
    exp,
    expand,
    log,
)

from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.symbolic.engine.indexed import equivalent, normal_form
from gradproof.symbolic.layers.losses import objective_check
from gradproof.symbolic.seeds.pooling_general import CheckedRows


def _integer(name):
    return Symbol(name, integer=True)


def _size(name):
    return Symbol(name, integer=True, positive=True)


L = Symbol("L")
N, K = _size("N"), _size("K")
n, m, i, j, k = (_integer(name) for name in "nmijk")
# logits x (the loss layer's input X, N x K) and labels t (targets T): the document's Z is the pooled image
# and Y a layer's output (notation sheet)
Z, Y = IndexedBase("x"), IndexedBase("t")

SUM_TO_ONE = "each label row sums to 1"


@dataclass(frozen=True)
class GeneralDerivation(CheckedRows):
    """lhs = rows[0] = rows[1] = ..., each row checked (``row_checks``) against SymPy's derivative of the
    scalar equation at symbolic sizes; ``instances`` compare the closed form with a numeric rule."""

    lhs: object
    rows: tuple[tuple[object, str], ...]
    row_checks: tuple[bool, ...]
    instances: tuple[tuple[str, bool], ...] = ()


# ---------------------------------------------------------------------------------- cross-entropy

def log_softmax(row, index):
    """log softmax(z_row)_index = z_{row,index} - log sum_k exp z_{row,k}."""
    return Z[row, index] - log(Sum(exp(Z[row, k]), (k, 1, K)))


def softmax(row, index):
    return exp(Z[row, index]) / Sum(exp(Z[row, k]), (k, 1, K))


def loss() -> object:
    """L = -(1/N) sum_n sum_i y_ni log softmax(z_n)_i."""
    return -Sum(Y[n, i] * log_softmax(n, i), (i, 1, K), (n, 1, N)) / N


def ce_closed_form(row, index):
    return (softmax(row, index) - Y[row, index]) / N


def _split_sums(expr):
    """A multiple sum whose body is a product of factors each depending on one summation variable is the
    product of single sums (distributivity of finite sums); single sums get one bound name, k."""
    def split(e):
        body, limits = e.function, e.limits
        if len(limits) > 1:
            factors = Mul.make_args(body)
            groups = {limit[0]: [f for f in factors if limit[0] in f.free_symbols] for limit in limits}
            constant = [f for f in factors if not any(limit[0] in f.free_symbols for limit in limits)]
            if sum(len(g) for g in groups.values()) + len(constant) == len(factors):
                return Mul(*constant) * Mul(*(Sum(Mul(*groups[lim[0]]), lim) for lim in limits))
            return e
        variable, low, high = limits[0]
        return Sum(body.xreplace({variable: k}), (k, low, high))
    return expr.replace(lambda e: isinstance(e, Sum), split)


def _labels_sum_to_one(expr):
    """sum_k y_{row,k} = 1 (the hypothesis), wherever such a single sum appears."""
    return expr.replace(lambda e: isinstance(e, Sum) and len(e.limits) == 1 and isinstance(e.function, Indexed)
                        and e.function.base == Y and e.function.indices[1] == e.limits[0][0]
                        and tuple(e.limits[0][1:]) == (1, K), lambda e: 1)


def _ce_canonical(expr, ranges, hypothesis=True):
    form = _split_sums(normal_form(expr, ranges))
    if hypothesis:
        form = _labels_sum_to_one(form)
    return form


def _differentiate(expr):
    """Carry out the derivatives a displayed step leaves written (and nothing else: no Sum is evaluated)."""
    return expr.replace(lambda e: isinstance(e, Derivative), lambda e: diff(e.expr, *e.variables))


def cross_entropy_proof(closed_form=ce_closed_form, instances=((2, 3), (1, 4), (3, 2)),
                        hypothesis: bool = True) -> GeneralDerivation:
    """dL/dz_mj for symbolic N and K, each step checked; the closed form at (N, K) in ``instances``
    against ``cross_entropy_grad`` (softmax and one-hot labels as symbols). ``hypothesis=False`` drops the
    rewrite sum_i y_ni = 1 (then the last step cannot be checked: soft labels need not sum to 1)."""
    ranges = {m: (1, N), j: (1, K)}
    reference = diff(loss(), Z[m, j])
    rows = (
        (-Sum(Y[n, i] * Derivative(log_softmax(n, i), Z[m, j]), (i, 1, K), (n, 1, N)) / N,
         "linearity of the derivative"),
        (-Sum(Y[n, i] * KroneckerDelta(n, m) * (KroneckerDelta(i, j) - softmax(m, j)), (i, 1, K), (n, 1, N)) / N,
         "derivative of log softmax"),
        (-(Y[m, j] - Sum(Y[m, i], (i, 1, K)) * softmax(m, j)) / N, "sifting over n and i"),
        (closed_form(m, j), SUM_TO_ONE),
    )
    target = _ce_canonical(reference, ranges, hypothesis)
    checks = tuple(equivalent(_ce_canonical(_differentiate(row), ranges, hypothesis), target) for row, _ in rows)
    found = tuple((f"N = {batch}, K = {classes}", ce_instance(batch, classes, closed_form))
                  for batch, classes in instances)
    return GeneralDerivation(Derivative(L, Z[m, j]), rows, checks, found)


def ce_instance(batch: int, classes: int, closed_form=ce_closed_form) -> bool:
    """The closed form at N = batch, K = classes, labels (n mod K), equals ``cross_entropy_grad`` exactly."""
    labels = [row % classes for row in range(batch)]
    logits = [[Symbol(f"x_{{{r + 1},{c + 1}}}") for c in range(classes)] for r in range(batch)]
    probabilities = np.array([[exp(z) / sum(exp(w) for w in row) for z in row] for row in logits], dtype=object)
    one_hot = np.eye(classes, dtype=int)[labels]
    numeric = cross_entropy_rules.cross_entropy_grad(probabilities, one_hot)
    values = {N: batch, K: classes}
    for r in range(batch):
        for c in range(classes):
            closed = closed_form(r + 1, c + 1).xreplace(values).doit()
            closed = closed.replace(lambda e: isinstance(e, Indexed) and e.base == Z,
                                    lambda e: logits[int(e.indices[0]) - 1][int(e.indices[1]) - 1])
            closed = closed.replace(lambda e: isinstance(e, Indexed) and e.base == Y,
                                    lambda e: int(one_hot[int(e.indices[0]) - 1, int(e.indices[1]) - 1]))
            if expand(closed - numeric[r, c]) != 0:
                return False
    return True


# -------------------------------------------------------------------------------------- objective

# seed 004's C, printed as lambda: the notation sheet's C counts a convolution's input channels
C = Symbol(r"\lambda", positive=True)
SAMPLES = _size("l")
D_OUT, D_IN = _size(r"D_{\mathrm{out}}"), _size(r"D_{\mathrm{in}}")
WEIGHT, BIAS = IndexedBase("W"), IndexedBase("b")


class XI(Function):
    """xi_i(w): the loss of sample i as a function of the one parameter entry w being differentiated (the
    other entries held constant), printed xi_i(w), seed 004's xi_i: a function of a number, not of a matrix."""

    def _latex(self, printer, exp=None):
        index, entry = self.args
        text = rf"\xi_{{{printer._print(index)}}}\left({printer._print(entry)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


REST = Symbol(r"\rho")  # the squares of every other parameter (other layers): constant in W and b
p, q, a, c = (_integer(name) for name in "pqac")  # c, not b: b is the bias


def objective(parameter: str):
    """f = (1/2C)(sum of squares of W and b + rho) + (1/l) sum_i xi_i; for a partial derivative with respect
    to one entry, the other entries are constants, so xi_i is written as a function of i and that entry."""
    entry = WEIGHT[p, q] if parameter == "W" else BIAS[p]
    squares = Sum(WEIGHT[a, c] ** 2, (a, 1, D_OUT), (c, 1, D_IN)) + Sum(BIAS[a] ** 2, (a, 1, D_OUT)) + REST
    return squares / (2 * C) + Sum(XI(i, entry), (i, 1, SAMPLES)) / SAMPLES, entry


def objective_closed_form(entry):
    return entry / C + Sum(Derivative(XI(i, entry), entry), (i, 1, SAMPLES)) / SAMPLES


def objective_proof(parameter: str = "W", closed_form=objective_closed_form) -> GeneralDerivation:
    """df/dW_pq (or df/db_p) for symbolic l, D_out, D_in, each step checked; the closed form also at
    concrete sizes against ``numeric.rules.objective.objective_grad`` (``layers.losses.objective_check``)."""
    f, entry = objective(parameter)
    ranges = {p: (1, D_OUT), q: (1, D_IN)} if parameter == "W" else {p: (1, D_OUT)}
    reference = diff(f, entry)
    if parameter == "W":
        squares = Sum(2 * WEIGHT[a, c] * KroneckerDelta(a, p) * KroneckerDelta(c, q), (a, 1, D_OUT), (c, 1, D_IN))
    else:
        squares = Sum(2 * BIAS[a] * KroneckerDelta(a, p), (a, 1, D_OUT))
    rows = (
        (squares / (2 * C) + Sum(Derivative(XI(i, entry), entry), (i, 1, SAMPLES)) / SAMPLES,
         "linearity of the derivative; the other parameters are constants"),
        (closed_form(entry), "sifting"),
    )
    checks = tuple(equivalent(normal_form(row, ranges), normal_form(reference, ranges)) for row, _ in rows)
    instances = tuple((f"{count} parameters, l = {samples}", _objective_instance(count, samples, closed_form))
                      for count, samples in ((3, 2), (4, 3)))
    return GeneralDerivation(Derivative(Symbol("f"), entry), rows, checks, instances)


def _objective_instance(count: int, samples: int, closed_form) -> bool:
    """The closed form at ``samples`` samples, for each of ``count`` parameters theta_t, equals the numeric
    ``objective_grad`` (via ``objective_check``, which also holds it against SymPy's derivative)."""
    check = objective_check(parameters=count, samples=samples)
    if not check["holds"]:
        return False
    theta = check["theta"]
    losses = [Function(f"xi_{s + 1}")(*theta) for s in range(samples)]
    for t, expected in zip(theta, check["closed"]):
        expected = expected.xreplace({symbol: C for symbol in expected.free_symbols if symbol.name == "C"})  # C is λ here
        value = closed_form(t).xreplace({SAMPLES: samples}).doit()
        value = value.replace(lambda e: isinstance(e, Derivative) and e.expr.func == XI,
                              lambda e: diff(losses[int(e.expr.args[0]) - 1], t))
        if expand(value - expected) != 0:
            return False
    return True


def update_rule() -> dict:
    """Seed 003's update W_new = W - mu df/dW, on symbols: the numeric sgd_update equals W minus mu times the
    closed form (``objective_check``'s ``update_holds``)."""
    check = objective_check()
    return {"holds": check["update_holds"], "mu": check["mu"]}


"""Scalar equations of the fully-connected layer, ReLU and the squared loss (seeds 000-002).

The canonical presentation is PyTorch's (the numeric layer's): a batch X of shape (B, M),
W of shape (N, M), y_{ij} = sum_k x_{ik} w_{jk} + b_j. The seeds' own layouts are further
presentations of the same layer; each says how its operands translate to the canonical ones,
so the rule table's single closed form serves them all:

* seed 000: one sample as column vectors, y = W x + b: X = x^T, G = (Delta y)^T, dx = (dX)^T.
* seed 001: rows, Y = X W + B with W of shape (m, n): W_torch = W^T, so dW = (dW_torch)^T;
  J is the sum, or the average (1/N), of the per-sample losses, whose gradients are the rows of D:
  G = D or G = D / N.

The scalar equations themselves are the built-in layer descriptions' (``symbolic.layers.builtin``:
``LINEAR``, ``LINEAR_SEED000``, ``LINEAR_SEED001``, ``RELU``, ``SQUARED_LOSS``), read by
``builtin.equation_of``: the same equations ``gradproof derive linear`` derives from. What this module
adds per presentation is the rule table's view: operand names and shapes for the matrix closed forms,
the upstream gradient (seed 001's batch factor), the translation to the canonical operands.
"""

from __future__ import annotations

from sympy import OneMatrix, Rational, S, Symbol, Trace

from gradproof.symbolic.engine.equations import LayerEquations, Operand
from gradproof.symbolic.engine.functions import indicator
from gradproof.symbolic.layers import builtin


def _size(name: str) -> Symbol:
    return Symbol(name, integer=True, positive=True)


def _identity(symbols):
    return dict(symbols)


# --- PyTorch batch layout: the numeric layer's own -----------------------------------------

LINEAR_TORCH = LayerEquations(
    name="linear.torch",
    title="Batch layout of the numeric layer (PyTorch)",
    matrix_form=lambda o: o["x"] * o["weight"].T + OneMatrix(o["x"].rows, 1) * o["bias"].T,
    seed_ref="seed 000 and seed 001, in PyTorch's layout",
    sizes={"batch": _size("B"), "in": _size("M"), "out": _size("N")},
    operands=(
        Operand("x", "X", "x", "batch", "in"),
        Operand("weight", "W", "w", "out", "in"),
        Operand("bias", "b", "b", "out"),
        Operand("grad_output", "G", "g", "batch", "out"),
    ),
    output=Operand("y", "Y", "y", "batch", "out"),
    equation=builtin.equation_of(builtin.LINEAR),
    upstream=lambda ops, i, j: ops["grad_output"](i, j),
    canonical=_identity,
    variables={"x": ("x", False), "weight": ("weight", False), "bias": ("bias", False)},
    loss_note="The upstream gradient G holds the derivatives of the loss L with respect to the outputs.",
)


# --- seed 000: one sample, column vectors ------------------------------------------------

LINEAR_SEED000 = LayerEquations(
    name="linear.seed000",
    title="Seed 000: one sample as column vectors",
    matrix_form=lambda o: o["weight"] * o["x"] + o["bias"],
    seed_ref="seed 000",
    sizes={"in": _size("M"), "out": _size("N")},
    operands=(
        Operand("x", "x", "x", "in"),
        Operand("weight", "W", "w", "out", "in"),
        Operand("bias", "b", "b", "out"),
        Operand("grad_output", r"{\Delta y}", r"\delta y", "out"),
    ),
    output=Operand("y", "y", "y", "out"),
    equation=builtin.equation_of(builtin.LINEAR_SEED000),
    upstream=lambda ops, n: ops["grad_output"](n),
    canonical=builtin.seed000_canonical,
    variables={"x": ("x", True), "weight": ("weight", False), "bias": ("bias", False)},
    loss_note="The upstream gradient (seed 000 writes it with deltas) holds the derivatives of the loss L with respect to the outputs.",
)


# --- seed 001: rows, W of shape (in, out), summed or averaged loss -----------------------------

def _seed001(averaged: bool) -> LayerEquations:
    def batch_factor(batch_size):
        return S.One / batch_size if averaged else Rational(1)  # exact: never a float 1/N

    def canonical(symbols):
        return builtin.seed001_canonical(symbols, batch_factor(symbols["grad_output"].rows))

    def upstream(ops, i, j):
        return batch_factor(ops["size:batch"]) * ops["grad_output"](i, j)

    kind = "averaged" if averaged else "summed"
    return LayerEquations(
        name="linear.seed001." + ("mean" if averaged else "sum"),
        title=f"Seed 001: samples as rows, weight of shape (in, out), {kind} loss",
        matrix_form=lambda o: o["x"] * o["weight"] + OneMatrix(o["x"].rows, 1) * o["bias"].T,
        seed_ref="seed 001",
        sizes={"batch": _size("N"), "in": _size("m"), "out": _size("n")},
        operands=(
            Operand("x", "X", "x", "batch", "in"),
            Operand("weight", "W", "w", "in", "out"),
            Operand("bias", "b", "b", "out"),
            Operand("grad_output", "D", "d", "batch", "out"),
        ),
        output=Operand("y", "Y", "y", "batch", "out"),
        equation=builtin.equation_of(builtin.LINEAR_SEED001),
        upstream=upstream,
        canonical=canonical,
        variables={"x": ("x", False), "weight": ("weight", True), "bias": ("bias", False)},
        loss_note=(
            "J is the average over the batch of the per-sample losses"
            if averaged
            else "J is the sum over the batch of the per-sample losses"
        )
        + "; row i of D is the gradient of sample i's loss with respect to row i of Y.",
    )


LINEAR_SEED001_SUM = _seed001(averaged=False)
LINEAR_SEED001_MEAN = _seed001(averaged=True)


# --- ReLU (seed 001, seed 002 (4)) -----------------------------------------------------------

RELU = LayerEquations(
    name="relu",
    title="ReLU, element by element",
    seed_ref="seed 001; seed 002 (4); seed 003 (element-wise case)",
    sizes={"batch": _size("B"), "features": _size("F")},
    operands=(
        Operand("pre_activation", "S", "s", "batch", "features"),
        Operand("mask", r"{\mathbb{I}[S]}", "mask", "batch", "features"),
        Operand("grad_output", "G", "g", "batch", "features"),
    ),
    output=Operand("z", "Z", "z", "batch", "features"),
    equation=builtin.equation_of(builtin.RELU),
    upstream=lambda ops, i, j: ops["grad_output"](i, j),
    canonical=_identity,
    variables={"pre_activation": ("pre_activation", False)},
    loss_note="G holds the derivatives of the loss L with respect to the outputs; the mask is computed in the forward pass.",
    derived_entries={"mask": lambda ops, i, j: indicator(ops["pre_activation"](i, j))},
)


# --- squared loss (seed 002) -------------------------------------------------------------------

SQUARED_LOSS = LayerEquations(
    name="squared_loss",
    title="Squared loss, summed over the batch",
    matrix_form=lambda o: Trace((o["prediction"] - o["target"]).T * (o["prediction"] - o["target"])),
    seed_ref="seed 002 (squared loss, identity last activation)",
    sizes={"batch": _size("B"), "out": _size("N")},
    operands=(
        Operand("prediction", "Z", "z", "batch", "out"),
        Operand("target", "Y", "y", "batch", "out"),
    ),
    output=Operand("loss", r"\xi", r"\xi", None),
    equation=builtin.equation_of(builtin.SQUARED_LOSS),
    upstream=lambda ops: Rational(1),
    canonical=_identity,
    variables={"prediction": ("prediction", False)},
    loss_note="The loss is the objective itself.",
)


def parameter_count(equations: LayerEquations = LINEAR_SEED000, sizes=None):
    """Learnable scalars of a Linear layer: entries of the weight plus entries of the bias.

    With symbolic sizes this is seed 000's M*N + N; with ``sizes`` (role -> int) a number.

    >>> parameter_count()
    M*N + N
    """
    symbols = equations.matrix_symbols(sizes)
    return sum(symbols[key].rows * symbols[key].cols for key in ("weight", "bias"))

"""The hand-made mutants of the gradient rules: data, one ``Mutant`` per deliberate bug.

Each mutant names a file (relative to the repository root), an exact source snippet that must occur
exactly once in it, and the replacement. ``run_mutants.py`` applies one mutant at a time to a copy of
the repository and runs the tests there; a test suite that bites fails for every one of them.

When the code changes, update the snippet from the current file; never weaken a mutant so that it
dies: a survivor means a test is missing. Mutants must change behaviour (no equivalent rewrites).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    """One deliberate bug: replace ``find`` (which must occur exactly once in ``path``) by ``replace``."""

    name: str
    path: str
    find: str
    replace: str
    description: str
    tests: tuple[str, ...] | None = None  # test paths to run first; None: the runner's default subset


FC = "numeric/rules/fc.py"
CONV = "numeric/rules/conv.py"
POOL = "numeric/rules/pooling.py"
XENT = "numeric/rules/cross_entropy.py"
OBJ = "numeric/rules/objective.py"
TABLE = "symbolic/layers/builtin.py"  # the rule table's closed forms live next to the built-in descriptions
SYM_CONV = "symbolic/layers/conv.py"
GEN_CONV = "symbolic/layers/conv_general.py"

_FC_MUTANTS = (
    Mutant("fc.weight.scale", FC, "return grad_output.T @ x", "return 1.001 * (grad_output.T @ x)",
           "Linear dW = G^T X scaled by 1.001"),
    Mutant("fc.weight.transpose", FC, "return grad_output.T @ x", "return x.T @ grad_output",
           "Linear dW = X^T G (operands swapped: the transpose of the right answer)"),
    Mutant("fc.bias.mean", FC, "return grad_output.sum(axis=0)", "return grad_output.mean(axis=0)",
           "Linear db averaged over the batch instead of summed"),
    Mutant("fc.input.scale", FC, "return grad_output @ weight", "return 2 * (grad_output @ weight)",
           "Linear dX = G W scaled by 2"),
    Mutant("fc.forward.no_bias", FC, "return x @ weight.T + bias", "return x @ weight.T",
           "Linear forward drops the bias"),
    Mutant("fc.relu_mask.ge", FC, "np.real(pre_activation) > 0)", "np.real(pre_activation) >= 0)",
           "ReLU mask convention at the kink flipped: I[S >= 0] instead of PyTorch's I[S > 0]"),
    Mutant("fc.squared_loss.no_two", FC, "return 2 * (prediction - target)", "return (prediction - target)",
           "squared-loss gradient loses its factor 2"),
)

_CONV_MUTANTS = (
    Mutant("conv.input.crop_side", CONV,
           "grad_output.shape[2:])\n    return padded[:, :, padding : padding + h, padding : padding + w]",
           "grad_output.shape[2:])\n    return padded[:, :, :h, :w]",
           "Conv2d dX (col2im form) crops the padding from the wrong side"),
    Mutant("conv.input.no_rotation", CONV, "return weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]",
           "return weight.transpose(1, 0, 2, 3)",
           "transposed-convolution dX forgets to rotate the kernel by 180 degrees"),
    Mutant("conv.input.no_channel_swap", CONV, "return weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]",
           "return weight[:, :, ::-1, ::-1]",
           "transposed-convolution dX rotates the kernel but does not swap in/out channels"),
    Mutant("conv.forward.no_bias", CONV, "    result += bias.reshape(1, -1, 1)", "    pass",
           "Conv2d forward drops the bias"),
    Mutant("conv.bias.first_sample", CONV, "return grad_output.sum(axis=(0, 2, 3))",
           "return grad_output[0].sum(axis=(1, 2))",
           "Conv2d db sums over positions of the first sample only (batch sum dropped)"),
    Mutant("conv.weight.kernel_transpose", CONV, "return per_sample.sum(axis=0).reshape(c_out, in_channels, *kernel)",
           "return per_sample.sum(axis=0).reshape(c_out, in_channels, *kernel).swapaxes(2, 3)",
           "Conv2d dW with the kernel's spatial axes transposed"),
    Mutant("conv.weight.stride_dilation_swapped", CONV,
           "columns, _ = im2col(pad2d(x, padding), kernel, stride, dilation)",
           "columns, _ = im2col(pad2d(x, padding), kernel, dilation, stride)",
           "Conv2d dW (from x) passes dilation as stride and stride as dilation"),
    Mutant("conv.input.col2im_stride_off_by_one", CONV,
           "cols = slice(j * dilation, j * dilation + stride * (w_out - 1) + 1, stride)",
           "cols = slice(j * dilation + stride - 1, j * dilation + stride * w_out, stride)",
           "col2im (P_phi^T, Conv2d dX) writes columns shifted by stride - 1"),
    Mutant("conv.output_size.off_by_one", CONV, "- dilation * (kernel - 1) - 1) // stride + 1",
           "- dilation * (kernel - 1)) // stride + 1",
           "output size floor((n + 2p - d(k-1))/s) + 1: one too many when divisible"),
    Mutant("conv.equation.padding_sign", SYM_CONV,
           "return (output - 1) * stride + (tap - 1) * dilation + 1 - padding",
           "return (output - 1) * stride + (tap - 1) * dilation + 1 + padding",
           "Conv2d scalar equation pos(u, p) reads x at +P instead of -P"),
    Mutant("conv.equation.stride_off_by_one", SYM_CONV,
           "return (output - 1) * stride + (tap - 1) * dilation + 1 - padding",
           "return output * stride + (tap - 1) * dilation + 1 - padding",
           "Conv2d scalar equation pos(u, p) one stride off: u s instead of (u - 1) s"),
    Mutant("conv_general.input.reach_padding_sign", GEN_CONV,
           "row = conv.input_position(h0, p_r, 1, DIL * (K_H - 1) - PAD, DIL)",
           "row = conv.input_position(h0, p_r, 1, DIL * (K_H - 1) + PAD, DIL)",
           "general-size dX closed form: rows read with the padding sign flipped"),
    Mutant("conv_general.input.no_rotation", GEN_CONV, "w[o, c0, reflect(p_r, K_H), reflect(q_r, K_W)]",
           "w[o, c0, p_r, q_r]", "general-size dX closed form without the 180-degree kernel rotation"),
    Mutant("conv_general.weight.stride_dilation_swapped", GEN_CONV,
           "conv.input_position(p0, u, DIL, PAD, STRIDE), conv.input_position(q0, v, DIL, PAD, STRIDE)",
           "conv.input_position(p0, u, STRIDE, PAD, DIL), conv.input_position(q0, v, STRIDE, PAD, DIL)",
           "general-size dW closed form reads x at (p - 1) s + (u - 1) d: stride and dilation swapped"),
    Mutant("conv_general.sift.stride_off_by_one", GEN_CONV, "return (output - 1) * stride + 1",
           "return output * stride + 1", "the sifting rule of the general dX derivation reads g^ one stride off"),
)

_POOL_LOSS_MUTANTS = (
    Mutant("pool.max.last_max", POOL, "return pool_windows(np.real(x), kernel, stride).argmax(axis=-1)",
           "return kernel * kernel - 1 - pool_windows(np.real(x), kernel, stride)[..., ::-1].argmax(axis=-1)",
           "max pooling selects the last maximum of a window instead of the first (PyTorch)"),
    Mutant("pool.avg.grad_divides_by_k", POOL, "kernel * kernel)) / (kernel * kernel)", "kernel * kernel)) / kernel",
           "average-pooling dS divides by k instead of k*k"),
    Mutant("pool.avg.forward_divides_by_k", POOL, ".sum(axis=-1) / (kernel * kernel)", ".sum(axis=-1) / kernel",
           "average-pooling forward divides by k instead of k*k"),
    Mutant("pool.flatten.fortran_order", POOL, "return grad_output.reshape(input_shape)",
           'return grad_output.reshape(input_shape, order="F")',
           "Flatten backward reshapes in Fortran order: not the inverse of the forward C-order reshape"),
    Mutant("xent.grad.no_mean", XENT, "return (probabilities - one_hot) / probabilities.shape[0]",
           "return probabilities - one_hot", "cross-entropy gradient misses the 1/N of the batch mean"),
    Mutant("objective.no_regularizer", OBJ, "return parameter / regularization + data_grad", "return data_grad",
           "objective gradient misses theta / C"),
    Mutant("sgd.sign", OBJ, "return parameter - learning_rate * gradient", "return parameter + learning_rate * gradient",
           "SGD step goes uphill"),
)

_TABLE_MUTANTS = (
    Mutant("table.linear_weight.scale", TABLE, 'return o["grad_output"].T * o["x"]', 'return 2 * o["grad_output"].T * o["x"]',
           "closed form dJ/dW = 2 G^T X"),
    Mutant("table.linear_input.transpose", TABLE, 'return o["grad_output"] * o["weight"]',
           'return (o["grad_output"] * o["weight"]).T', "closed form dJ/dX = (G W)^T"),
    Mutant("table.linear_bias.mean", TABLE, "return grad.T * OneMatrix(grad.rows, 1)",
           "return grad.T * OneMatrix(grad.rows, 1) / grad.rows", "closed form dJ/db = G^T 1 / N (mean, not sum)"),
    Mutant("table.relu.no_mask", TABLE, 'return HadamardProduct(o["grad_output"], o["mask"])', 'return o["grad_output"]',
           "closed form dJ/dS = G (the ReLU mask dropped)"),
    Mutant("table.squared_loss.no_two", TABLE, 'return 2 * (o["prediction"] - o["target"])',
           'return (o["prediction"] - o["target"])', "closed form d xi/dZ = Z - Y (the 2 dropped)"),
)

MUTANTS: tuple[Mutant, ...] = _FC_MUTANTS + _CONV_MUTANTS + _POOL_LOSS_MUTANTS + _TABLE_MUTANTS

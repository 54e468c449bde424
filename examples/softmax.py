"""Softmax y_i = exp(z_i) / sum_j exp(z_j); claim dz = (diag(y) - y y^T) g, entry i: y_i g_i - y_i sum_j y_j g_j."""
import sys

from gradproof.symbolic.layers.description import Layer, Sum, exp, indices, sizes, tensor

(N,) = sizes("N")
i, j = indices("i j")
z, y, g = tensor("z", N), tensor("y", N), tensor("g", N)

softmax = Layer(
    "softmax", inputs=(z,), outputs={y[i]: exp(z[i]) / Sum(exp(z[j]), (j, N))}, upstream={y: g},
    claims={z[i]: y[i] * g[i] - y[i] * Sum(y[j] * g[j], (j, N))},  # ((diag(y) - y y^T) g)_i
    at={N: 4}, reference="issue 16: dz = (diag(y) - y y^T) g")

if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(softmax, None, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

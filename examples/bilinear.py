"""A bilinear layer y_k = sum_ij x1_i W_kij x2_j + b_k: equations, claimed gradients, a NumPy class.
Run: python examples/bilinear.py  (or gradproof derive|prove|check examples/bilinear.py[:Bilinear])."""
import sys

import numpy as np

from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor

M, N, K = sizes("M N K")
i, j, k = indices("i j k")
x1, x2, W, b = tensor("x1", M), tensor("x2", N), tensor("W", K, M, N), tensor("b", K)
y, G = tensor("y", K), tensor("G", K)  # G = dL/dy, the upstream gradient

bilinear = Layer(
    "bilinear", inputs=(x1, x2), parameters=(W, b),
    outputs={y[k]: Sum(x1[i] * W[k, i, j] * x2[j], (i, M), (j, N)) + b[k]}, upstream={y: G},
    claims={x1[i]: Sum(G[k] * W[k, i, j] * x2[j], (k, K), (j, N)), x2[j]: Sum(G[k] * W[k, i, j] * x1[i], (k, K), (i, M)),
            W[k, i, j]: G[k] * x1[i] * x2[j], b[k]: G[k]},
    at={M: 3, N: 2, K: 2})


class Bilinear:
    def __init__(self):
        self.params = {"W": np.zeros((2, 3, 2)), "b": np.zeros(2)}

    def forward(self, x1, x2):
        self.x1, self.x2 = x1, x2
        return np.einsum("i,kij,j->k", x1, self.params["W"], x2) + self.params["b"]

    def backward(self, g):
        W = self.params["W"]
        return {"x1": np.einsum("k,kij,j->i", g, W, self.x2), "x2": np.einsum("k,kij,i->j", g, W, self.x1),
                "W": np.einsum("k,i,j->kij", g, self.x1, self.x2), "b": g}


if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(bilinear, Bilinear, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

"""SiLU with a scalar gain, y_i = x_i sigmoid(beta x_i): claims for the input and the scalar parameter beta."""
import sys

from gradproof.symbolic.layers.description import Layer, Sum, indices, scalar, sigmoid, sizes, tensor

(N,) = sizes("N")
(i,) = indices("i")
x, y, g, beta = tensor("x", N), tensor("y", N), tensor("g", N), scalar("beta")
s = sigmoid(beta * x[i])

silu = Layer(
    "silu", inputs=(x,), parameters=(beta,), outputs={y[i]: x[i] * s}, upstream={y: g},
    claims={x[i]: g[i] * (s + beta * x[i] * s * (1 - s)),  # sigma' = sigma (1 - sigma)
            beta: Sum(g[i] * x[i] ** 2 * s * (1 - s), (i, N))},
    at={N: 4})

if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(silu, None, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

"""LayerNorm over N features: y_i = gamma_i (x_i - mu) / sqrt(v + eps) + beta_i, mu and v the mean and variance.

Claim (with xhat_i = (x_i - mu)/sqrt(v + eps), h_i = gamma_i g_i):
dx_i = (h_i - mean(h) - xhat_i mean(h xhat)) / sqrt(v + eps).
"""
import sys

from sympy import Rational

from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, sqrt, tensor

(N,) = sizes("N")
i, j = indices("i j")
x, gamma, beta, y, g = (tensor(name, N) for name in ("x", "gamma", "beta", "y", "g"))
mu, v, xhat = tensor("mu", 1), tensor("v", 1), tensor("xhat", N)
eps = Rational(1, 100000)
one = indices("o")[0]

layernorm = Layer(
    "layernorm", inputs=(x,), parameters=(gamma, beta),
    intermediates={mu[one]: Sum(x[j], (j, N)) / N, v[one]: Sum((x[j] - mu[1]) ** 2, (j, N)) / N,
                   xhat[i]: (x[i] - mu[1]) / sqrt(v[1] + eps)},
    outputs={y[i]: gamma[i] * xhat[i] + beta[i]}, upstream={y: g},
    claims={x[i]: (gamma[i] * g[i] - Sum(gamma[j] * g[j], (j, N)) / N
                   - xhat[i] * Sum(gamma[j] * g[j] * xhat[j], (j, N)) / N) / sqrt(v[1] + eps),
            gamma[i]: g[i] * xhat[i], beta[i]: g[i]},
    at={N: 3}, conventions="eps = 1/100000; mean and variance over the N features (biased variance, as PyTorch).")

if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(layernorm, None, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

"""Depthwise Conv2d (stride 1, no padding): y_cpq = sum_uv w_cuv x_c,p+u-1,q+v-1 + b_c, cross-correlation as PyTorch.

Claims: dw = correlation of x with g per channel; db = sum of g; dx = full convolution of g with w (JAX's
"the backward of a convolution is a convolution"), written with the sum limits that keep g's indices in range.
"""
import sys

from sympy import Max, Min

from gradproof.symbolic.layers.description import Layer, Sum, indices, sizes, tensor

C, H, Wd, R, S = sizes("C H Wd R S")
c, p, q, u, v, a, e = indices("c p q u v a e")
Ho, Wo = H - R + 1, Wd - S + 1
x, w, b = tensor("x", C, H, Wd), tensor("w", C, R, S), tensor("b", C)
y, g = tensor("y", C, Ho, Wo), tensor("g", C, Ho, Wo)

depthwise = Layer(
    "depthwise_conv2d", inputs=(x,), parameters=(w, b),
    outputs={y[c, p, q]: Sum(w[c, u, v] * x[c, p + u - 1, q + v - 1], (u, R), (v, S)) + b[c]}, upstream={y: g},
    claims={w[c, u, v]: Sum(g[c, p, q] * x[c, p + u - 1, q + v - 1], (p, Ho), (q, Wo)),
            b[c]: Sum(g[c, p, q], (p, Ho), (q, Wo)),
            x[c, a, e]: Sum(g[c, a - u + 1, e - v + 1] * w[c, u, v],
                            (u, Max(1, a - Ho + 1), Min(R, a)), (v, Max(1, e - Wo + 1), Min(S, e)))},
    at={C: 2, H: 4, Wd: 4, R: 2, S: 2})

if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(depthwise, None, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

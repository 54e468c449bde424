"""Single-head scaled dot-product attention (checked at sequence length T = 3, width D = 2, head size d = 4).

Q = X Wq, K = X Wk, V = X Wv, S = Q K^T / sqrt(d), P = row-softmax(S), Y = P V. Claims (G = dL/dY):
dV = P^T G, dP = G V^T, dS = P o (dP - rowsum(P o dP)), dQ = dS K / sqrt(d), dK = dS^T Q / sqrt(d),
dWq = X^T dQ, dWk = X^T dK, dWv = X^T dV, dX = dQ Wq^T + dK Wk^T + dV Wv^T.
"""
import sys

from gradproof.symbolic.layers.description import Layer, Sum, exp, indices, sizes, sqrt, tensor

T, D, d = sizes("T D d")
a, b, c, e, f = indices("a b c e f")
X, Wq, Wk, Wv = tensor("X", T, D), tensor("W_q", D, d), tensor("W_k", D, d), tensor("W_v", D, d)
Q, K, V, S, P = tensor("Q", T, d), tensor("K", T, d), tensor("V", T, d), tensor("S", T, T), tensor("P", T, T)
Y, G = tensor("Y", T, d), tensor("G", T, d)
dV, dP, dS = tensor("dV", T, d), tensor("dP", T, T), tensor("dS", T, T)
dQ, dK = tensor("dQ", T, d), tensor("dK", T, d)

attention = Layer(
    "attention", inputs=(X,), parameters=(Wq, Wk, Wv),
    intermediates={Q[a, e]: Sum(X[a, f] * Wq[f, e], (f, D)), K[a, e]: Sum(X[a, f] * Wk[f, e], (f, D)),
                   V[a, e]: Sum(X[a, f] * Wv[f, e], (f, D)), S[a, b]: Sum(Q[a, e] * K[b, e], (e, d)) / sqrt(d),
                   P[a, b]: exp(S[a, b]) / Sum(exp(S[a, c]), (c, T)),
                   # the claimed backward's own names (they use G, so they are never differentiated)
                   dV[b, e]: Sum(P[a, b] * G[a, e], (a, T)), dP[a, b]: Sum(G[a, e] * V[b, e], (e, d)),
                   dS[a, b]: P[a, b] * (dP[a, b] - Sum(P[a, c] * dP[a, c], (c, T))),
                   dQ[a, e]: Sum(dS[a, b] * K[b, e], (b, T)) / sqrt(d),
                   dK[b, e]: Sum(dS[a, b] * Q[a, e], (a, T)) / sqrt(d)},
    outputs={Y[a, e]: Sum(P[a, b] * V[b, e], (b, T))}, upstream={Y: G},
    claims={Wq[f, e]: Sum(X[a, f] * dQ[a, e], (a, T)), Wk[f, e]: Sum(X[b, f] * dK[b, e], (b, T)),
            Wv[f, e]: Sum(X[b, f] * dV[b, e], (b, T)),
            X[a, f]: Sum(dQ[a, e] * Wq[f, e] + dK[a, e] * Wk[f, e] + dV[a, e] * Wv[f, e], (e, d))},
    at={T: 3, D: 2, d: 4})

if __name__ == "__main__":
    from gradproof.proofs.layer_command import run_example
    sys.exit(0 if run_example(attention, None, sys.argv[1] if len(sys.argv) > 1 else "examples-out") else 1)

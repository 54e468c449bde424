"""Display helpers of network.pdf (``proofs.network_proof``, ``proofs.network_seed002``): prose with the
notation's symbols, single letters, index pairs and sizes as inline math (references of ``proofs.document.ref``
kept whole for ``render`` to number), sources of checks, ``display_row`` (several sourced equations side by side
in one centred display: a worked example's matrices) and ``steps`` (one derivation)."""

from __future__ import annotations

import re

from sympy import (
    ImmutableMatrix,
    Symbol,
)

from gradproof.proofs.document import (
    Derivation,
    Equation,
    Math,
    SideBySide,
    Source,
    Text,
    Title,
    Verbatim,
    paragraph,
)

NOTATION = Source("definition", "notation sheet")



SYMBOLS = {"σ'": r"\sigma'", "λ": r"\lambda", "σ": r"\sigma", "θ": r"\theta", "ξ_i": r"\xi_i", "ξ": r"\xi", "ρ": r"\rho",
            "α": r"\alpha", "β": r"\beta", "P_pool^T": r"P_{\mathrm{pool}}^{T}", "P_pool": r"P_{\mathrm{pool}}",
            "D_out × D_in": r"D_{\mathrm{out}} \times D_{\mathrm{in}}", "D_out": r"D_{\mathrm{out}}", "D_in": r"D_{\mathrm{in}}", "K_h": "K_h", "K_w": "K_w", "n_H": "n_H",
            "n_W": "n_W", "W^T": "W^{T}", "dL/dZ": r"\partial L/\partial Z", "G = dL/dZ": r"G = \partial L/\partial Z",
            "g = dL/dy": r"g = \partial L/\partial y",
            "dL/dvec(Z)": r"\partial L/\partial \operatorname{vec}(Z)", "z_k": "z_k", "y_i": "y_i", "x = vec(A)": r"x = \operatorname{vec}(A)", "y = vec(Z)": r"y = \operatorname{vec}(Z)",
            "Q = P_pool": r"Q = P_{\mathrm{pool}}",
            "sel(k) = j": r"\operatorname{sel}(k) = j", "sel(k)": r"\operatorname{sel}(k)", "I[z]": r"\mathbb{I}[z]", "I[Z]": r"\mathbb{I}[Z]", "h(σ)": r"h(\sigma)",
            "h(z)": "h(z)", "1/(K_h K_w)": r"1/(K_h K_w)", "mat(P_pool^T vec(G))": r"\operatorname{mat}(P_{\mathrm{pool}}^{T} \operatorname{vec}(G))",
            "vec(A)": r"\operatorname{vec}(A)", "relu(S)": r"\operatorname{relu}(S)", "A = σ(S)": r"A = \sigma(S)", "vec(Z)": r"\operatorname{vec}(Z)", "vec(S)": r"\operatorname{vec}(S)"}
# a size or value in the prose: "N = 2", "P = 0", "4 × 4", "1 × 2 × 3 × 2"
NUMBERS = r"\b[A-Za-z] = (?:-?\d+|[A-Za-z])\b|\b\d+(?: × \d+)+\b"
# an index pair "(i, j)", and a single letter standing alone: a size, an index or a matrix of the notation
# (not the articles "a", "A", the pronoun "I", nor the condition labels "(i)", "(ii)"); "S'" is a prime
PAIRS = r"\((?:[a-z]|\d+)(?:, (?:[a-z]|\d+))+\)"
LETTERS = (r"(?<![\w\\'(])[B-HJ-Zb-z]'?(?![\w'])"  # a letter alone, or with a prime: S, S'
           r"|(?<=\()(?:[B-HJ-Zb-z](?![\w')])|[B-HJ-Z](?=\)))"  # after a parenthesis: "(s less", "(S)", not "(i)"
           r"|(?<![\w\\'(])[B-HJ-Zb-z](?='s\b)")  # a possessive: S's
# a reference marker of proofs.document.ref, kept whole for render to number
REFERENCE = "\x00ref:[^\x00]*\x00"
SYMBOL_SPLIT = re.compile("(" + REFERENCE + "|" + NUMBERS + "|" + PAIRS + "|"
                          + "|".join(re.escape(key) for key in sorted(SYMBOLS, key=len, reverse=True))
                          + "|" + LETTERS + ")")
MATH_PIECE = re.compile(NUMBERS + "|" + PAIRS + "|" + LETTERS)


def prose(text: str) -> list:
    """Plain text with each Greek letter and subscripted name (P_pool, D_out, ...) and each size or value
    ("N = 2", "4 × 4") as an inline formula of the notation (the rest is escaped, not typeset as math)."""
    def piece_of(piece):
        if piece in SYMBOLS:
            return Math(Verbatim(SYMBOLS[piece]), NOTATION)
        if piece.startswith("\x00"):
            return piece
        if MATH_PIECE.fullmatch(piece):
            return Math(Verbatim(piece.replace("×", r"\times")), NOTATION)
        return piece
    return [piece_of(piece) for piece in SYMBOL_SPLIT.split(text) if piece]


def heading(text: str) -> str:
    """A section's or a numbered block's title with its symbol letters as formulas, by the prose's rule
    ("SiLU: S must be stored" prints S as math): a ``Title`` whose plain reading is ``text``, so references to
    the block by its title still name it; a title without symbols stays a plain string."""
    if isinstance(text, Title):
        return text
    parts = prose(text)
    if not any(isinstance(part, Math) for part in parts):
        return text
    return Title(parts, text)


def para(*parts) -> Text:
    """A paragraph whose non-string parts are formulas restating displayed ones or the notation."""
    return paragraph(prose, *parts)


def verdict(holds) -> str:
    return "holds" if holds else "FAILS"


def d_of(name: str) -> Symbol:
    return Verbatim(rf"\frac{{\partial L}}{{\partial {name}}}")


def checked(ref: str, passed: bool) -> Source:
    return Source("check", ref, bool(passed))


def derivation_rows(proof, source):
    """The proof's rows with each justification as prose whose symbols are set as formulas."""
    return tuple((rhs, para(why), source) for rhs, why in proof.rows)


def instances_text(proof) -> str:
    return "; ".join(f"{where}: {verdict(equal)}" for where, equal in proof.instances)


def display_row(*items) -> SideBySide:
    """name = value side by side in one centred display (a worked example's matrices), each with its source;
    ``name`` is LaTeX."""
    return SideBySide(tuple(Equation(Verbatim(name), ImmutableMatrix(value), "", source) for name, value, source in items))


def steps(lhs, rows) -> Derivation:
    return Derivation(lhs, tuple(rows))

"""The proof document of a user's layer (``symbolic.layers.description.Layer``), in the built-in style.

Every displayed formula is a checked object of the same run: the layer's own scalar equations (its
input), the chain-rule sum, the differentiated sum and its normal form from the general-size proof
(``symbolic.layers.gradients.general_verdict``), the claimed closed form and its normal form. A claim
that is not proved for general sizes shows no derivation chain, only its verdicts in prose (with the
counterexample when refuted). The numeric checks are listed with their method and resolution.
"""

from __future__ import annotations

from sympy import Derivative, Eq, Indexed, Symbol

from gradproof.proofs.document import Aligned, Chain, Document, Equation, Math, Section, Text
from gradproof.symbolic.engine.indexed import NORMAL_FORM

__all__ = ["layer_document"]


def _layer_section(layer) -> Section:
    outputs = [Equation(d.entry, d.body, "scalar equation") for d in layer.output_definitions()]
    middles = [Equation(d.entry, d.body, "intermediate") for d in layer.intermediate_definitions()]
    names = ", ".join(name for name, _ in layer.variables())
    blocks = [Text.of(f"Inputs and parameters: {names}. Indices run from 1; gradients are in denominator layout "
                      "(the gradient of a tensor has its shape). The sizes are symbols; the exact check uses "
                      + ", ".join(f"{k} = {v}" for k, v in layer.at.items()) + "."),
              Aligned(tuple(middles + outputs))]
    for d in layer.output_definitions():
        G = layer.upstream_of(d.base)
        blocks.append(Text.of("Upstream gradient: ", Math(Eq(G[d.indices], Derivative(Symbol("L"), d.entry))), "."))
    if layer.conventions:
        blocks.append(Text.of(layer.conventions))
    return Section("The layer", tuple(blocks))


def _claim_section(layer, verdict) -> Section:
    proof = verdict.general
    blocks = []
    if proof.holds is True:
        target = proof.left_entry
        blocks.append(Text.of("For general sizes, entry by entry (the free indices range over the dimensions of "
                              f"{verdict.name}):"))
        steps = tuple(proof.left_steps) + ((proof.left_normal, NORMAL_FORM),)
        blocks.append(Chain(target, steps))
        blocks.append(Chain(proof.right_entry, ((proof.right_normal, NORMAL_FORM),)))
        blocks.append(Text.of("The two normal forms are the same expression (up to the names of summation indices): "
                              "the claimed closed form holds for every size."))
    else:
        blocks.append(Text.of(f"General sizes: {_general_text(proof)}"))
    claim = layer.claim_of(dict(layer.variables())[verdict.name])
    key, body = claim
    lhs = Derivative(Symbol("L"), Indexed(dict(layer.variables())[verdict.name], *key) if key else
                     dict(layer.variables())[verdict.name])
    blocks.append(Equation(lhs, body, "claimed closed form"))
    exactly = "holds" if verdict.detail.startswith("probabilistic") else "holds, exactly"
    concrete = {True: exactly, False: "DOES NOT HOLD", None: "not decided"}[verdict.concrete]
    blocks.append(Text.of(f"At the sizes {_sizes(verdict.sizes)}: {concrete} ({verdict.detail})."))
    return Section(f"Gradient with respect to {verdict.name}", tuple(blocks))


def _general_text(proof) -> str:
    if proof.holds is False:
        return "does not hold: " + proof.reason
    return proof.reason or "not decided"


def _sizes(sizes: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


def _numeric_section(reports) -> Section:
    lines = [Text.of(f"{r.name}: {r.method}, {r.evaluations} evaluations, largest relative error "
                     f"{r.max_rel_error:.1e}: {r.row()[-1]}.") for r in reports]
    intro = Text.of("The NumPy forward and backward generated from the derived expressions, at the check sizes and a "
                    "random point, against finite differences of the forward, entry by entry (and the user's own "
                    "NumPy class, if given).")
    return Section("Numeric checks", (intro, *lines))


def layer_document(layer, verdicts, reports) -> Document:
    """The document: the layer, one section per claimed gradient, the numeric checks."""
    sections = [_layer_section(layer)] + [_claim_section(layer, v) for v in verdicts]
    unclaimed = [name for name, v in layer.variables() if layer.claim_of(v) is None]
    if unclaimed:
        sections.append(Section("Gradients without a claim", (Text.of(
            "Derived and checked numerically, no closed form stated: " + ", ".join(unclaimed) + "."),)))
    sections.append(_numeric_section(reports))
    return Document(layer.title, tuple(sections))

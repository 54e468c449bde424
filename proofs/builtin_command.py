"""``gradproof derive|check|prove linear`` (and every built-in layer): the layer-file path, without a file.

A built-in layer (``gradproof.symbolic.layers.builtin``: ``linear``, ``linear_column``, ``linear_rows``,
``relu``, ``squared_loss``, ``cross_entropy``, ``flatten``, ``conv2d_s<S>_p<P>_d<D>``,
``avgpool2d_k<K>_s<S>_p<P>``, ``maxpool2d_k<K>_s<S>_p<P>``) is a layer description shipped
with the toolkit. Each verb runs exactly what it runs for ``examples/bilinear.py``
(``proofs.layer_command``): the chain rule entry by entry and the claims verified exactly and, where
the index algebra applies, for general sizes (derive); the generated NumPy backward against finite
differences (check); both written as a proof document (prove). Nothing here is Python from the user:
the name selects a description, it is never executed.
"""

from __future__ import annotations

import re
from pathlib import Path

from gradproof.proofs import layer_command
from gradproof.symbolic.layers.builtin import BUILTIN_NAMES, builtin_named
from gradproof.symbolic.layers.gradients import concrete_gradients, verify_claims

__all__ = ["check_builtin", "derive_builtin", "is_builtin", "prove_builtin"]

GEOMETRIES = (r"conv2d_s\d+_p\d+_d\d+", r"avgpool2d_k\d+_s\d+_p\d+", r"maxpool2d_k\d+_s\d+_p\d+")


def is_builtin(text: str) -> bool:
    """A built-in layer's name (``linear``, ``relu``, ..., ``conv2d_s2_p1_d2``)."""
    return text in BUILTIN_NAMES or any(re.fullmatch(pattern, text) for pattern in GEOMETRIES)


def derive_builtin(name: str, seed: int = 0, sizes: dict | None = None) -> bool:
    """Every gradient derived, every claim verified (at the layer's own check sizes, with ``sizes``: size name ->
    int applied, as for a layer file: a large kernel needs a larger image); True when none is refuted or
    undecided."""
    layer = builtin_named(name).layer
    at = layer_command.layer_sizes(layer, sizes)  # the check sizes must fit the geometry (every dimension >= 1)
    return layer_command.print_verdicts(layer, verify_claims(layer, concrete_gradients(layer, at), seed=seed),
                                        seed=seed)


def check_builtin(name: str, seed: int = 0, method: str | None = None) -> bool:
    """The generated NumPy backward of the description against finite differences, per input and parameter."""
    layer = builtin_named(name).layer
    _, reports = layer_command.run_layer(layer, seed=seed, method=method)
    print(layer_command.check_header(layer, None, reports, seed, layer_command.layer_sizes(layer, None)))
    return layer_command.print_reports(reports)


def prove_builtin(name: str, out: Path, pdf: bool, write_document, seed: int = 0, sizes: dict | None = None) -> bool:
    """Derive, verify, check and write ``<layer name>.tex`` (and .pdf) into ``out`` (``sizes`` as for derive)."""
    from gradproof.proofs.layer_proof import layer_document

    layer = builtin_named(name).layer
    verdicts, reports = layer_command.run_layer(layer, seed=seed, sizes=sizes)
    ok = layer_command.print_verdicts(layer, verdicts)
    ok = layer_command.print_reports(reports) and ok
    for path in write_document(layer_document(layer, verdicts, reports), out, layer.name, pdf):
        print(f"wrote {path}")
    return ok

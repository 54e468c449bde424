"""``gradproof derive|prove|check FILE.py[:Class]``: a user's layer file through the existing verbs.

A layer file is Python that defines one ``Layer`` (``gradproof.symbolic.layers.description``) at module
level and optionally a NumPy class (``FILE.py:Class``). Loading it RUNS the user's own Python, as pytest
runs a test file: it is their code, not data (the expression language of ``gradproof verify`` stays
data-only). What each verb does:

* derive: every gradient by the chain rule; each claim verified at the layer's sizes (exactly, or for a
  layer too large to write out, such as attention, at random points with its Schwartz-Zippel bound:
  ``gradients.concrete_derivation``) and, where the index algebra applies, for general sizes (three verdicts);
* check: the generated NumPy backward (and the user's class, if named) against finite differences,
  one report per input and parameter, saying which gradient and how;
* prove: the same, written as LaTeX (and PDF with --pdf) via ``proofs.layer_proof``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from gradproof.symbolic.engine.errors import InvalidInput
from gradproof.symbolic.layers.description import Layer
from gradproof.symbolic.layers.generated import check_generated, check_user_class, generate
from gradproof.symbolic.layers.gradients import concrete_derivation, verify_claims

__all__ = ["check_file", "derive_file", "is_layer_file", "load", "prove_file", "run_example", "run_layer"]

VERDICT = {True: "holds", False: "DOES NOT HOLD", None: "not decided"}


def is_layer_file(text: str) -> bool:
    """FILE.py or FILE.py:Name where FILE.py exists."""
    path = text.split(":", 1)[0]
    return path.endswith(".py") and Path(path).is_file()


def load(text: str):
    """(layer, class or None) from FILE.py[:Class]; runs the file's Python (the user's own code)."""
    path, _, class_name = text.partition(":")
    spec = importlib.util.spec_from_file_location(f"gradproof_layer_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    layers = [value for value in vars(module).values() if isinstance(value, Layer)]
    if len(layers) != 1:
        raise InvalidInput(f"{path}: expected exactly one Layer defined at module level, got {len(layers)}")
    cls = None
    if class_name:
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            raise InvalidInput(f"{path}: no class {class_name!r}; classes defined: "
                               f"{[n for n, v in vars(module).items() if isinstance(v, type)]}")
    return layers[0], cls


def run_layer(layer: Layer, cls=None, *, seed: int = 0, method: str | None = None):
    """(claim verdicts, numeric reports) of one layer: derive, verify, generate, check."""
    gradients = concrete_derivation(layer)
    verdicts = verify_claims(layer, gradients, seed=seed)
    generated = generate(layer, gradients)
    reports = check_generated(generated, seed=seed, method=method)
    if cls is not None:
        reports += check_user_class(generated, cls, seed=seed, method=method or "central")
    return verdicts, reports


def _general_text(proof) -> str:
    if proof.holds is True:
        return "holds (index notation: normal forms agree)"
    return proof.reason


def print_verdicts(layer: Layer, verdicts) -> bool:
    """Print one block per gradient; True when no claim is refuted or undecided."""
    print(f"layer {layer.name}: sizes {', '.join(f'{k}={v}' for k, v in layer.at.items())}")
    claimed = {v.name for v in verdicts}
    for verdict in verdicts:
        print(f"dL/d{verdict.name}:")
        label = "at these sizes" if verdict.detail.startswith("probabilistic") else "exact at these sizes"
        print(f"  {label}: {VERDICT[verdict.concrete]} ({verdict.detail})")
        print(f"  general sizes: {_general_text(verdict.general)}")
    for name, _ in layer.variables():
        if name not in claimed:
            print(f"dL/d{name}: derived (chain rule), no closed form claimed")
    return all(v.holds for v in verdicts)


def print_reports(reports) -> bool:
    for report in reports:
        cells = report.row()
        print(f"  {cells[0]}: {cells[1]}, {cells[2]} evaluations, max rel {cells[4]}: {cells[6]}")
    return all(report.passed for report in reports)


def derive_file(text: str, seed: int = 0) -> bool:
    layer, _ = load(text)
    verdicts = verify_claims(layer, concrete_derivation(layer), seed=seed)
    return print_verdicts(layer, verdicts)


def check_file(text: str, seed: int = 0, method: str | None = None) -> bool:
    layer, cls = load(text)
    _, reports = run_layer(layer, cls, seed=seed, method=method)
    print(f"layer {layer.name}: numeric checks (one per input and parameter"
          + (f"; {cls.__name__} two ways" if cls else "") + ")")
    return print_reports(reports)


def prove_file(text: str, out: Path, pdf: bool, write_document, seed: int = 0) -> bool:
    """Derive, verify, check and write ``<layer name>.tex`` (and .pdf) into ``out``."""
    from gradproof.proofs.layer_proof import layer_document

    layer, cls = load(text)
    verdicts, reports = run_layer(layer, cls, seed=seed)
    ok = print_verdicts(layer, verdicts)
    ok = print_reports(reports) and ok
    for path in write_document(layer_document(layer, verdicts, reports), out, layer.name, pdf):
        print(f"wrote {path}")
    sys.stdout.flush()
    return ok


def run_example(layer: Layer, cls=None, out: Path | str = "examples-out", pdf: bool = True) -> bool:
    """What an example script does when run: derive, verify, check and write OUT/<name>.tex and .pdf."""
    from gradproof.proofs.cli import write_document
    from gradproof.proofs.layer_proof import layer_document

    verdicts, reports = run_layer(layer, cls)
    ok = print_verdicts(layer, verdicts)
    ok = print_reports(reports) and ok
    for path in write_document(layer_document(layer, verdicts, reports), Path(out), layer.name, pdf):
        print(f"wrote {path}")
    return ok

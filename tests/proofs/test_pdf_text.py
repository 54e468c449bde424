"""What a student sees in the four proof PDFs: vector fonts and no machine residue in the text
(issue 14 acceptance: no Type 3 font; no Python dict, no ``Function``, no ``KroneckerProduct(``, no
"x" as a multiplication sign, no dummy symbols, no code identifiers)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from gradproof.proofs import cli

FORBIDDEN = {
    "a Python dict": re.compile(r"\{['’]"),
    "a SymPy Function placeholder": re.compile(r"Function"),
    "a SymPy class name": re.compile(r"KroneckerProduct\(|MatrixSymbol|Dummy"),
    "x as a multiplication sign": re.compile(r"[0-9A-Za-z}] x [0-9A-Za-z{]"),
    "a code identifier": re.compile(r"\bnumeric\.|\bsymbolic\.|\.py\b|\b[a-z]+_[a-z]+_[a-z_]+\b|\b[a-z_]+\.(weight|bias|input|logits)\b"),
}


def residue(text: str) -> list[str]:
    """The forbidden patterns found in ``text``, each with the line it is on."""
    found = []
    for what, pattern in FORBIDDEN.items():
        for line in text.splitlines():
            if pattern.search(line):
                found.append(f"{what}: {line.strip()[:120]}")
    return found


def test_the_residue_finder_sees_each_kind_of_residue():
    planted = ["sizes {'m': 1}", "Function('corr_d')", "KroneckerProduct(A, I)", "input N x C x H x W",
               "Jacobian of numeric.conv.pad2d", "fc_weight_gradient_vector_form", "(linear.weight)"]
    for text in planted:
        assert residue(text), text
    assert residue("a 3 × 3 kernel; x is 0 outside the image; vec(AXB) = (Bᵀ ⊗ A) vec(X)") == []


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if shutil.which("pdftotext") is None or shutil.which("pdffonts") is None:
        pytest.fail("pdftotext and pdffonts (poppler-utils) are needed to read the PDFs; .ci/run installs them")
    out = tmp_path_factory.mktemp("proofs")
    assert cli.main(["prove", "--out", str(out), "--pdf"]) == 0
    return out


@pytest.mark.parametrize("stem", ["fc", "kron", "conv2d", "network"])
def test_each_pdf_has_vector_fonts_and_no_machine_residue(require_tex, built, stem):
    pdf = built / f"{stem}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Type 3" not in fonts, fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert residue(text) == []


def test_fc_pdf_is_at_most_ten_pages(require_tex, built):
    # issue 14: the layouts after the first show their equations and verdicts, not the same steps again
    info = subprocess.run(["pdfinfo", str(built / "fc.pdf")], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages <= 10, pages


def test_every_document_opens_with_the_notation_sheet_and_the_readme_lists_it():
    from pathlib import Path

    from gradproof.proofs.conv_proof import conv_document
    from gradproof.proofs.fc_proof import fc_document
    from gradproof.proofs.kron_proof import kron_document
    from gradproof.proofs.network_proof import network_document
    from gradproof.proofs.notation import readme_rows
    from gradproof.proofs.targets import run_target, target_named

    builders = {"fc": fc_document, "kron": kron_document, "conv2d": conv_document, "network": network_document}
    for name, build in builders.items():
        document = build(run_target(target_named(name), numeric=False))
        assert document.sections[0].title == "Notation", name
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for symbol, meaning in readme_rows():
        assert f"| {symbol} | {meaning} |" in readme, symbol

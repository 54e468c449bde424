"""fc.pdf as typeset: at most 10 pages, no overfull box, no page more than half empty but the last (issue 14
item 6)."""

import shutil
import subprocess

import numpy as np
import pytest

from gradproof.proofs.compile import compile_pdf, overfull_boxes
from gradproof.proofs.document import render
from gradproof.proofs.fc_proof import fc_document
from gradproof.proofs.targets import run_target, target_named


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    tex = tmp_path_factory.mktemp("fc") / "fc.tex"
    tex.write_text(render(fc_document(run_target(target_named("fc"), numeric=False))))
    return tex


def _pgm(path) -> np.ndarray:
    """A binary PGM (P5, 8 bit) as a 2-d array."""
    data = path.read_bytes()
    magic, width, height, depth, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and depth == b"255", magic
    return np.frombuffer(pixels[: int(width) * int(height)], dtype=np.uint8).reshape(int(height), int(width))


FOOTER = 0.95  # fc.pdf has 1.6 cm margins: the text ends at 94 % of the page height, the page number below


def filled_fractions(pdf, workdir) -> list[float]:
    """For each page, how far down the page (0..1) the last non-white pixel row above the footer is."""
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(workdir / "page")], check=True)
    fractions = []
    for page in sorted(workdir.glob("page*.pgm")):
        pixels = _pgm(page)
        body = pixels[: int(FOOTER * pixels.shape[0])]
        ink = np.nonzero((body < 200).any(axis=1))[0]
        fractions.append((ink.max() + 1) / pixels.shape[0] if ink.size else 0.0)
    return fractions


def test_filled_fractions_sees_a_half_empty_page(require_tex, tmp_path):
    # the measure must be able to fail: a page with one line of text (and its page number) is mostly empty
    tex = tmp_path / "short.tex"
    tex.write_text("\\documentclass{article}\\usepackage[margin=1.6cm]{geometry}\\begin{document}One line."
                   "\\end{document}\n")
    pdf = subprocess.run(["pdflatex", "-interaction=nonstopmode", tex.name], cwd=tmp_path, capture_output=True)
    assert pdf.returncode == 0
    (tmp_path / "pages").mkdir()
    assert filled_fractions(tmp_path / "short.pdf", tmp_path / "pages")[0] < 0.3


def test_fc_pdf_has_no_overfull_box_and_no_half_empty_page(require_tex, compiled, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is needed to measure the pages")
    pdf = compile_pdf(compiled)
    assert overfull_boxes(compiled) == []
    fractions = filled_fractions(pdf, tmp_path)
    assert 1 <= len(fractions) <= 10, len(fractions)
    half_empty = [number + 1 for number, filled in enumerate(fractions[:-1]) if filled < 0.5]
    assert half_empty == [], f"pages filled less than half (page number: filled to) {fractions}"

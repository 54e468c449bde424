"""conv2d.pdf and network.pdf read back as a student reads them (issue 14 item 6): pdftotext shows no
code reprs, SymPy class names, placeholders, dummy symbols or " x " for multiplication; pdffonts shows
no bitmap (Type 3) fonts."""

import re
import shutil
import subprocess

import pytest

from gradproof.proofs.compile import compile_pdf, tex_available
from gradproof.proofs.conv_proof import conv_document
from gradproof.proofs.document import render
from gradproof.proofs.network_proof import network_document
from gradproof.proofs.targets import run_target, target_named

# code reprs, SymPy class names and placeholders that must not reach the page
FORBIDDEN = ("{'", "Function", "KroneckerProduct(", "MatrixSymbol", "Dummy", "corr_d", "numeric.", "gradproof.",
             "∂J/∂i")
# " x " used as multiplication between sizes: "3 x 3", "C x H", "N x C x H x W"
TIMES_AS_X = re.compile(r"(?:\b\w\b|\d)[ \t]+x[ \t]+(?:\b\w\b|\d)")
# SymPy's Dummy symbols print with a leading underscore (_x, _Dummy_12)
DUMMY = re.compile(r"(?<![\w\\])_[a-zA-Z]\w*")

DOCUMENTS = {"conv2d": (conv_document, "Seed 003"), "network": (network_document, "Seed 002")}


def _poppler(tool: str, pdf) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} (poppler-utils) is required to read the PDF back: apt-get install poppler-utils")
    args = [tool, str(pdf), "-"] if tool == "pdftotext" else [tool, str(pdf)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def bad_text(text: str) -> list[str]:
    found = [word for word in FORBIDDEN if word in text]
    found += [f"x as multiplication: {m.group(0)!r}" for m in TIMES_AS_X.finditer(text)]
    found += [f"dummy symbol: {m.group(0)!r}" for m in DUMMY.finditer(text)]
    return found


@pytest.fixture(scope="module", params=sorted(DOCUMENTS))
def pdf(request, tmp_path_factory):
    if not tex_available():
        return None  # the require_tex fixture of each test skips locally, fails in CI
    document, _ = DOCUMENTS[request.param]
    path = tmp_path_factory.mktemp(request.param) / f"{request.param}.tex"
    path.write_text(render(document(run_target(target_named(request.param), numeric=False))))
    return request.param, compile_pdf(path)


def test_pdf_text_has_no_code_reprs_placeholders_or_x_for_times(require_tex, pdf):
    name, path = pdf
    text = _poppler("pdftotext", path)
    assert DOCUMENTS[name][1] in text
    assert bad_text(text) == []


def test_pdf_has_no_type3_fonts(require_tex, pdf):
    _, path = pdf
    fonts = _poppler("pdffonts", path).splitlines()[2:]
    assert fonts and [line for line in fonts if "Type 3" in line] == []


def test_the_text_check_catches_what_it_forbids():
    assert len(bad_text("input N x C x H x W, sizes {'a': 1}, Function('f'), _Dummy_12")) >= 4
    assert bad_text("x is 0 outside the image; input N × C × H × W") == []

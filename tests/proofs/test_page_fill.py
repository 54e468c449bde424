"""Page fill of the four proof PDFs (issue 14 item 6: "no page more than half empty except a
document's last").

Each PDF is read with ``pdftotext -bbox-layout``: for every page the lowest line of text (the page
number in the footer left out) must reach the lower half of the page, i.e. its bottom edge must lie
below half the page height. A document's last page may end anywhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from gradproof.proofs import cli
from gradproof.proofs.document import Document, Section, Text

DOCUMENTS = ("fc", "kron", "conv2d", "network")
_XHTML = "{http://www.w3.org/1999/xhtml}"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class PageFill:
    """One page: its number (from 1), its height and the bottom edge of its lowest text line (points,
    measured from the top of the page; None for a page without text)."""

    number: int
    height: float
    lowest: float | None

    @property
    def more_than_half_empty(self) -> bool:
        return self.lowest is None or self.lowest < self.height / 2


def page_fill(pdf: Path) -> list[PageFill]:
    """The lowest text line of each page of ``pdf``, the footer's page number left out."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    xml = _CONTROL.sub("", xml)  # math fonts put control characters in words, which XML does not allow
    pages = []
    for number, page in enumerate(ET.fromstring(xml).iter(f"{_XHTML}page"), start=1):
        height = float(page.get("height"))
        bottoms = []
        for line in page.iter(f"{_XHTML}line"):
            words = [word.text or "" for word in line.iter(f"{_XHTML}word")]
            y_max = float(line.get("yMax"))
            if words == [str(number)] and y_max > 0.85 * height:  # the page number in the footer
                continue
            bottoms.append(y_max)
        pages.append(PageFill(number, height, max(bottoms, default=None)))
    return pages


def half_empty_pages(pdf: Path) -> list[str]:
    """Each page except the last whose text ends above half the page height, described for a reader."""
    pages = page_fill(pdf)
    return [
        f"{pdf.name} page {page.number} of {len(pages)}: "
        + ("no text" if page.lowest is None else
           f"text ends at {page.lowest:.0f} pt of {page.height:.0f} pt ({page.lowest / page.height:.0%} of the page)")
        for page in pages[:-1] if page.more_than_half_empty
    ]


def _require_poppler():
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the PDFs; .ci/run installs it")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    _require_poppler()
    out = tmp_path_factory.mktemp("proofs")
    assert cli.main(["prove", "--out", str(out), "--pdf"]) == 0
    return out


@pytest.mark.parametrize("stem", DOCUMENTS)
def test_no_page_but_the_last_is_more_than_half_empty(require_tex, built, stem):
    assert half_empty_pages(built / f"{stem}.pdf") == []


class _NewPage:
    """A planted page break (the renderer calls ``to_latex`` on blocks it does not know)."""

    def to_latex(self) -> str:
        return "\\newpage\n"


def _small_document(*, page_break: bool) -> Document:
    paragraph = Text.of("A paragraph of prose that fills a few lines of the page. " * 6)
    blocks = (paragraph, _NewPage(), paragraph) if page_break else (paragraph, paragraph)
    return Document("A small document", (Section("One section", blocks),), landscape=False)


def test_a_planted_page_break_is_seen(require_tex, tmp_path):
    _require_poppler()
    broken = cli.write_document(_small_document(page_break=True), tmp_path / "broken", "small", pdf=True)
    found = half_empty_pages(next(path for path in broken if path.suffix == ".pdf"))
    assert len(found) == 1 and found[0].startswith("small.pdf page 1 of 2: text ends at"), found

    whole = cli.write_document(_small_document(page_break=False), tmp_path / "whole", "small", pdf=True)
    pdf = next(path for path in whole if path.suffix == ".pdf")
    assert len(page_fill(pdf)) == 1
    assert half_empty_pages(pdf) == []  # one page: it is the last, and may end anywhere

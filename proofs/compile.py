"""Compile LaTeX to PDF with latexmk, and write output directories whole or not at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TEX_INSTALL_HINT = (
    "no TeX found (latexmk, pdflatex and the lmodern fonts are needed for PDFs). On Debian/Ubuntu: "
    "apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-recommended latexmk lmodern; "
    "then run: latexmk -pdf FILE.tex"
)


class OutputError(Exception):
    """The output directory cannot be written."""


class LatexError(Exception):
    """latexmk failed; the message carries the tail of the log."""


def tex_available() -> bool:
    """latexmk, pdflatex and the Latin Modern fonts (the documents use T1 + lmodern: vector fonts)."""
    if shutil.which("latexmk") is None or shutil.which("pdflatex") is None or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", "lmodern.sty"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def compile_pdf(tex_path: Path, timeout: float = 300) -> Path:
    """Run latexmk on ``tex_path`` in its own directory; return the PDF path or raise LatexError."""
    if not tex_available():
        raise LatexError(TEX_INSTALL_HINT)
    command = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex_path.name]
    result = subprocess.run(
        command, cwd=tex_path.parent, capture_output=True, text=True, timeout=timeout, check=False
    )
    pdf = tex_path.with_suffix(".pdf")
    if result.returncode != 0 or not pdf.exists():
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
        raise LatexError(f"latexmk failed on {tex_path.name}:\n{tail}")
    return pdf


def overfull_boxes(tex_path: Path) -> list[str]:
    """The "Overfull" lines of the log ``compile_pdf(tex_path)`` left: text or a display running off the page."""
    log = Path(tex_path).with_suffix(".log").read_text(encoding="latin-1")
    return [line for line in log.splitlines() if "Overfull" in line]


def staging_directory(out: Path) -> Path:
    """A fresh temporary directory beside ``out``; raises OutputError if ``out`` is unwritable."""
    out = Path(out)
    _require_writable(out)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=parent))
    except OSError as error:
        raise OutputError(f"--out {out}: cannot write there ({error.strerror})") from error


def _require_writable(out: Path) -> None:
    """Raise OutputError naming the reason if ``out`` cannot be created or written."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out}: exists and is not a directory")
    existing = out.resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--out {out}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: no permission to write in {existing}")


def publish(staging: Path, out: Path, keep: tuple[str, ...]) -> list[Path]:
    """Move the files named in ``keep`` from ``staging`` into ``out``, then remove ``staging``.

    Each file is moved with an atomic rename, so a reader never sees a half-written file.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        published = []
        for name in keep:
            os.replace(staging / name, out / name)
            published.append(out / name)
        return published
    except OSError as error:
        raise OutputError(f"--out {out}: cannot write there ({error.strerror})") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)

"""Figure blocks for the proof handouts, drawn with amsmath arrays (TikZ is not assumed installed).

A figure is built from the checked objects of a proof, never from typed numbers: the pooled-image
figure reads the selected entries from the pooling matrix P_pool (seed 002) that the theorem check
used, and the pooled values from P_pool vec(S).

The renderer (``document.py``) calls ``to_latex`` on blocks it does not know, so these blocks are placed
in conv2d.pdf and network.pdf as they are. Each figure keeps its display and its caption in one minipage,
so no page break separates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sympy import Matrix

from gradproof.proofs.document import Math, Text, escape, latex


def _caption(caption) -> str:
    """A caption: plain words, or a ``Text`` whose ``Math`` parts print as inline formulas."""
    if isinstance(caption, Text):
        return "".join(f"${latex(part.value)}$" if isinstance(part, Math) else escape(part) for part in caption.parts)
    return escape(caption)


def _figure(display: str, caption) -> str:
    """A centred display and its caption in one minipage, which TeX never breaks: a page break between a
    figure and its caption left conv2d.pdf's band-matrix caption alone at the top of the next page."""
    return ("\\begin{center}\\begin{minipage}{\\linewidth}\\centering\n\\[" + display + "\\]\n"
            + _caption(caption) + "\n\\end{minipage}\\end{center}\n")


def selected_positions(p_pool: Matrix, height: int) -> tuple[tuple[int, int], ...]:
    """The (row, column) of the image entry each pooled value selects, 0-based: row r of P_pool has its
    single 1 at column j of vec(S), and vec stacks columns, so j = column * height + row.

    >>> selected_positions(Matrix([[0, 1, 0, 0], [0, 0, 0, 1]]), 2)
    ((1, 0), (1, 1))
    """
    positions = []
    for r in range(p_pool.rows):
        ones = [j for j in range(p_pool.cols) if p_pool[r, j] != 0]
        if len(ones) != 1 or p_pool[r, ones[0]] != 1:
            raise ValueError(f"selected_positions: p_pool row {r} must hold a single 1 (a max-pooling "
                             f"selection), got {list(p_pool.row(r))}")
        positions.append((ones[0] % height, ones[0] // height))
    return tuple(positions)


def _array(entries, column_rules: int | None, row_rules: int | None) -> str:
    rows, cols = len(entries), len(entries[0])
    spec = "".join("c" + ("|" if column_rules and (k + 1) % column_rules == 0 and k + 1 < cols else "")
                   for k in range(cols))
    lines = []
    for i, row in enumerate(entries):
        line = " & ".join(row) + r" \\"
        if row_rules and (i + 1) % row_rules == 0 and i + 1 < rows:
            line += r" \hline"
        lines.append(line)
    return r"\left[\begin{array}{" + spec + "}" + "\n".join(lines) + r"\end{array}\right]"


@dataclass(frozen=True)
class PooledImageFigure:
    """Seed 002's picture: the image cut into its pooling windows, the entry each window selects boxed,
    and the pooled image (P_pool vec(S) read back column by column)."""

    image: Matrix
    p_pool: Matrix
    window: int
    caption: object  # words, or a Text with formulas

    def to_latex(self) -> str:
        height = self.image.rows
        chosen = set(selected_positions(self.p_pool, height))
        cells = [[(rf"\boxed{{{latex(self.image[i, j])}}}" if (i, j) in chosen else latex(self.image[i, j]))
                  for j in range(self.image.cols)] for i in range(height)]
        pooled = self.p_pool * Matrix(self.image.T.reshape(self.image.rows * self.image.cols, 1))
        out_h = (height + self.window - 1) // self.window
        out = [[latex(pooled[j * out_h + i]) for j in range(len(pooled) // out_h)] for i in range(out_h)]
        return _figure(_array(cells, self.window, self.window) + r"\;\xrightarrow{\ \text{max pool}\ }\;"
                       + _array(out, None, None), self.caption)


@dataclass(frozen=True)
class BandFigure:
    """The band structure of a convolution matrix (seed 003): every entry of the checked matrix M is
    printed, its zeros as a centred dot, so the shifted copies of the kernel rows stand out."""

    matrix: Matrix
    caption: object  # words, or a Text with formulas

    def to_latex(self) -> str:
        rows = [[r"\cdot" if self.matrix[i, j] == 0 else latex(self.matrix[i, j]) for j in range(self.matrix.cols)]
                for i in range(self.matrix.rows)]
        return _figure(_array(rows, None, None), self.caption)


@dataclass(frozen=True)
class KernelFlipFigure:
    """Seed 003's second route for dX (stride 1, one channel): G zero padded by K - 1 - P, the kernel
    rotated by 180 degrees, and the window of the padded G that the rotated kernel covers for the
    entry ``position`` (0-based) of dX boxed. The value shown is the sum of the boxed entries times
    the rotated kernel, the same numbers the numeric rules use (``pad2d``, ``rot180_swap``)."""

    grad_output: tuple
    kernel: tuple
    padding: int
    position: tuple[int, int]
    caption: object  # words, or a Text with formulas

    def parts(self):
        """(padded G, rotated kernel, the window's top-left corner, the dX entry) as integer arrays."""
        import numpy as np

        from gradproof.numeric.rules.conv import pad2d, rot180_swap

        g = np.array(self.grad_output)[None, None]
        k = np.array(self.kernel)[None, None]
        k_h, k_w = k.shape[2:]
        if k_h != k_w or not 0 <= self.padding <= k_h - 1:
            raise ValueError(f"KernelFlipFigure: padding must be in [0, K - 1] for a square K x K kernel, "
                             f"got padding {self.padding} and kernel {k_h} x {k_w}")
        padded = pad2d(g, k_h - 1 - self.padding)[0, 0]
        rotated = rot180_swap(k)[0, 0]
        i, j = self.position
        value = int((padded[i:i + k_h, j:j + k_w] * rotated).sum())
        return padded, rotated, (i, j), value

    def to_latex(self) -> str:
        padded, rotated, (i, j), value = self.parts()
        k_h, k_w = rotated.shape
        cells = [[(rf"\boxed{{{padded[r, c]}}}" if i <= r < i + k_h and j <= c < j + k_w else str(padded[r, c]))
                  for c in range(padded.shape[1])] for r in range(padded.shape[0])]
        kernel = [[str(entry) for entry in row] for row in rotated]
        return _figure(_array(cells, None, None) + r"\;\star\;" + _array(kernel, None, None)
                       + rf"\quad\Longrightarrow\quad \left(\frac{{\partial L}}{{\partial X}}\right)_{{{i + 1},{j + 1}}}"
                       + f" = {value}", self.caption)

"""README.md's Python examples run as written, and print what their comments say they print.

Each ```python block runs in a fresh namespace; a ``# prints: VALUE`` comment on a ``print(...)`` line
must be printed by the block, exactly (text after three spaces and a parenthesis is a remark). Blocks
marked ```py are excerpts of the library (the rule table's entry) and are not run.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_python_examples_with_stated_outputs():
    assert len(BLOCKS) >= 3
    assert sum(len(_expected_outputs(block)) for block in BLOCKS) >= 3


def _expected_outputs(block: str) -> list[str]:
    expected = []
    for line in block.splitlines():
        match = re.match(r"\s*print\(.*\)\s+#\s*prints:\s*(.+)$", line)
        if match:
            expected.append(match.group(1).split("   (")[0].strip())
    return expected


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs_and_prints_what_it_says(block):
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 - the README's own example code
    printed = [line for line in output.getvalue().splitlines() if line.strip()]
    for expected in _expected_outputs(block):
        assert expected in printed, (expected, printed)


EXCERPTS = re.findall(r"```py\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
SOURCES = "\n".join(path.read_text(encoding="utf-8") for folder in ("numeric", "symbolic", "proofs", "examples")
                    for path in (README.parent / folder).rglob("*.py"))


@pytest.mark.parametrize("excerpt", EXCERPTS, ids=[f"excerpt{i}" for i in range(len(EXCERPTS))])
def test_readme_excerpts_are_the_library_code_verbatim(excerpt):
    def squeeze(text):
        return " ".join(text.split())  # indentation and line breaks aside

    assert squeeze(excerpt) in squeeze(SOURCES), "README excerpt drifted from the code it quotes"

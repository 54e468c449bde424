"""pyproject.toml lists every package folder under the gradproof import root, so the wheel ships all of them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = set()
    for top in ("numeric", "symbolic", "proofs"):
        assert config["package-dir"][f"gradproof.{top}"] == top
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT).parts
            on_disk.add(".".join(("gradproof", *relative)))
    assert listed == on_disk, f"missing from pyproject: {on_disk - listed}; listed but absent: {listed - on_disk}"

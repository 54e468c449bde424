"""Benchmark: the examples/ layers end to end (issue 16 target: each <= 10 s; attention at T = 3, d = 4).

For each example, in a fresh process, the time of what ``python examples/NAME.py OUT`` does: derive every
gradient, verify each claim at the check sizes and for general sizes, generate NumPy and check it by finite
differences, write the .tex and the PDF. Reference, measured in the same run: the
attention layer at T = 2, D = 1, d = 4 by the written-out route (every entry written out, the claims decided
by exact cancellation) against the program route at the same sizes and at T = 3, D = 2, d = 4 (the chain rule
through the intermediates, checked at random integer points: Schwartz-Zippel), with the ratios.

Run, with gradproof installed: /tmp/v1/bin/python benchmarks/layer_examples.py [--no-reference]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0


def end_to_end(path: Path, out: Path) -> tuple[float, bool]:
    """(seconds, passed) of one example script in a fresh Python: ``python examples/NAME.py OUT``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(path), str(out)], capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode == 0


def attention_routes() -> list[tuple[str, float, str]]:
    """(label, seconds, verdict kinds) of the attention claims by each route (derive + verify, no NumPy)."""
    from gradproof.proofs.layer_command import load
    from gradproof.symbolic.layers.gradients import concrete_gradients, verify_claims
    from gradproof.symbolic.layers.graph import build_graph

    layer, _ = load(str(ROOT / "examples" / "attention.py"))
    small = dataclasses.replace(layer, at=dict(zip(layer.size_symbols(), (2, 1, 4))))
    rows = []
    for label, target, derive in (
            ("written out, T=2 D=1 d=4 (reference)", small, concrete_gradients),
            ("program,     T=2 D=1 d=4", small, build_graph),
            ("program,     T=3 D=2 d=4", layer, build_graph)):
        start = time.perf_counter()
        verdicts = verify_claims(target, derive(target))
        seconds = time.perf_counter() - start
        kinds = ", ".join(sorted({v.detail.split(" ")[0].rstrip(":") for v in verdicts}))
        held = all(v.holds_at_sizes is True for v in verdicts)  # these sizes only: no general proof here
        rows.append((label, seconds, f"{kinds}; all hold at these sizes: {held}"))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="skip the written-out attention reference")
    args = parser.parse_args(argv)
    print(f"{'example':<18} {'seconds':>8}  ok   (end to end with the PDF, fresh process)")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "examples").glob("*.py")):
            seconds, passed = end_to_end(path, Path(tmp) / path.stem)
            worst = max(worst, seconds)
            print(f"{path.stem:<18} {seconds:8.2f}  {'yes' if passed else 'NO'}")
    print(f"slowest {worst:.2f} s; target <= {TARGET_SECONDS:.0f} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'}")
    if not args.no_reference:
        rows = attention_routes()
        reference = rows[0][1]
        print("\nattention claims (derive + verify, in process):")
        for label, seconds, kinds in rows:
            print(f"  {label:<38} {seconds:8.2f} s  reference/this {reference / seconds:7.1f}  ({kinds})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

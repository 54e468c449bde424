"""benchmarks/derive_cookbook.py runs end to end (one short round) and prints its figures; no timing limits."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_derive_cookbook_benchmark_prints_medians_ratios_and_the_form_count():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "derive_cookbook.py"), "--repeats", "1"],
                               check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert "derivation alone: median" in output and "whole command" in output, output
    assert "SymPy .diff / derivation, same run: median ratio" in output, output
    assert "written in the Cookbook's form:" in output, output
    assert "FAILED" not in output, output  # every derived Cookbook gradient passes its checks

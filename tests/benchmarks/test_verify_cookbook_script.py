"""benchmarks/verify_cookbook.py runs end to end (one short round) and prints its figures; no timing limits."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_verify_cookbook_benchmark_prints_median_max_and_the_reference():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "verify_cookbook.py"), "--repeats", "1",
                                "--sizes", "2"], check=False, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    assert "median" in output and "max" in output and "target max <= 2 s" in output, output
    assert "ratio previous / new" in output, output
    assert "REFUTED" not in output, output  # every identity listed is true
    assert output.count("refuted (exact counterexample)") == 1, output  # only the deliberately wrong claim

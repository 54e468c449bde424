"""How long a per-entry check of the digits CNN's objective takes, per method, against the reference
the issue names: the work of ``gradproof check network`` measured in the same run.

The digits CNN is ``numeric.train.digits_cnn`` (conv 1->16, ReLU, max-pool, conv 16->32, ReLU, max-pool,
FC 128->10: 6090 parameters) on two digits images (128 input entries); f is seed 004's regularized
objective (``check_objective``, C = 100). Every entry of the input and of every parameter is checked.
Times are medians of ``--repeats`` runs after one warm-up; the ratio is method time / reference time.

    python benchmarks/gradcheck_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import time

import numpy as np

from gradproof.numeric import SoftmaxCrossEntropy
from gradproof.numeric.gradcheck import METHODS, check_objective
from gradproof.numeric.train import digits_cnn, load_digits_split
from gradproof.proofs import cli


def _median_seconds(work, repeats: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    x_train, y_train, _, _ = load_digits_split()
    model, loss = digits_cnn(np.random.default_rng(1)), SoftmaxCrossEntropy()
    x, labels = x_train[:2], y_train[:2]
    entries = x.size + sum(p.size for p in model.params.values())

    def reference():
        with contextlib.redirect_stdout(io.StringIO()):
            if cli.main(["check", "network"]) != 0:
                raise SystemExit("gradproof check network failed")

    reference_seconds = _median_seconds(reference, args.repeats)
    command_seconds = _median_seconds(
        lambda: subprocess.run([sys.executable, "-m", "gradproof.proofs.cli", "check", "network"], check=True,
                               stdout=subprocess.DEVNULL), args.repeats)
    print(f"digits CNN objective, {entries} entries (input and every parameter), float64, per entry")
    print("| checker | seconds | ratio to `gradproof check network` | evaluations of f | all ok |")
    print("|---|---|---|---|---|")
    print(f"| reference: `gradproof check network`, its work in this process | {reference_seconds:.2f} | 1.00 | - | - |")
    print(f"| `gradproof check network` as a command (Python start-up and imports included) | {command_seconds:.2f} | "
          f"{command_seconds / reference_seconds:.2f} | - | - |")
    for method in METHODS:
        reports = []

        def run(method=method):
            reports[:] = check_objective(model, loss, x, labels, regularization=100.0, method=method)

        seconds = _median_seconds(run, args.repeats)
        evaluations = sum(r.evaluations for r in reports)
        ok = all(r.passed for r in reports)
        print(f"| {method} | {seconds:.2f} | {seconds / reference_seconds:.2f} | {evaluations} | {ok} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

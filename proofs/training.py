"""``gradproof train digits``: train the CNN with numeric/ only; save parameters and a plot."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from gradproof.numeric.train import digits_cnn, load_digits_split, train
from gradproof.proofs.compile import publish, staging_directory


def progress_bar(stream=sys.stdout):
    """A per-epoch bar: epoch, mean loss, train and test accuracy; redrawn in place on a terminal."""
    interactive = stream.isatty()

    def show(epoch, epochs, history):
        filled = int(30 * epoch / epochs)
        line = (f"epoch {epoch:3d}/{epochs} [{'#' * filled}{'.' * (30 - filled)}] loss {history.loss[-1]:.4f} "
                f"train {history.train_accuracy[-1]:.2%} test {history.test_accuracy[-1]:.2%}")
        stream.write(("\r" + line) if interactive else line + "\n")
        if interactive and epoch == epochs:
            stream.write("\n")
        stream.flush()

    return show


def save_plot(history, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(history.epochs, history.loss, marker="o")
    loss_axis.set(xlabel="epoch", ylabel="mean cross-entropy (training)", title="loss")
    accuracy_axis.plot(history.epochs, history.train_accuracy, marker="o", label="train")
    accuracy_axis.plot(history.epochs, history.test_accuracy, marker="o", label="test")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.01))
    accuracy_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def train_digits(out: Path, *, epochs: int, seed: int, batch_size: int, lr: float, regularization: float, progress):
    """Train on digits, write digits_params.npz and digits_training.png into ``out``; return results."""
    staging = staging_directory(out)
    start = time.perf_counter()
    data = load_digits_split(seed)
    model = digits_cnn(np.random.default_rng(seed))
    history = train(model, data, epochs=epochs, batch_size=batch_size, lr=lr, regularization=regularization,
                    seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    np.savez(staging / "digits_params.npz", **model.params)
    save_plot(history, staging / "digits_training.png")
    files = publish(staging, out, ("digits_params.npz", "digits_training.png"))
    return history, seconds, files

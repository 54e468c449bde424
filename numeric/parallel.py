"""Batch-parallel execution of the layer rules.

A convolution's forward pass and its dX are independent per sample; dW and db are sums over the
samples. So the layer may split the batch into contiguous chunks, apply the *same* rules of
``numeric.conv`` to each chunk in a worker thread, and add the chunks' dW and db in a fixed order.
No formula is restated here: this module only decides where the rules run.

Why: on a few cores, one thread per chunk with single-threaded BLAS beats one BLAS call per sample
that is itself spread over the cores. The per-sample GEMMs of a convolution are small (M = C_out,
K = C_in kH kW), so a multi-threaded BLAS spends much of each call starting and joining its
threads; and the copies of im2col/col2im, which NumPy runs on one core, get all cores too.
benchmarks/numeric_conv.py measures the effect. NumPy releases the GIL inside ``matmul`` and inside
ufunc loops on numeric dtypes, so the threads do run in parallel.

While the workers run, BLAS is limited to one thread with threadpoolctl (the limit is process-wide,
for the duration of the call). Object arrays (SymPy symbols), batches of one and small calls run
serially, in the calling thread, without touching BLAS: a split costs a few tenths of a
millisecond here (the workers, and BLAS's own threads going down to one and back), which a call
of fewer than about 5 million multiply-adds does not earn back. Measured with Conv2d forward +
backward, 3 x 3 kernels, 2 cores, splitting every call: 2.4 M multiply-adds per GEMM ran 1.3x
slower split, 4.7 M broke even, 9.4 M took 0.73x the time.

Thread count: ``set_num_threads(n)``; by default the environment variable GRADPROOF_NUM_THREADS,
else OMP_NUM_THREADS, else the number of cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

Result = TypeVar("Result")

MIN_SPLIT_WORK = 5_000_000
"""Multiply-adds of one call below which ``map_over_batch`` runs serially (see the module docstring)."""

_lock = threading.Lock()
_state: dict = {"threads": None, "executor": None, "controller": None}


def _default_threads() -> int:
    for variable in ("GRADPROOF_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                threads = int(value)
            except ValueError:
                raise ValueError(f"{variable} must be a positive integer, got {value!r}") from None
            if threads < 1:
                raise ValueError(f"{variable} must be a positive integer, got {value!r}")
            return threads
    return os.cpu_count() or 1


def get_num_threads() -> int:
    """The number of worker threads the layers split a batch over."""
    if _state["threads"] is None:
        _state["threads"] = _default_threads()
    return _state["threads"]


def set_num_threads(threads: int) -> None:
    """Set the number of worker threads (1 = run every rule in the calling thread)."""
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive integer, got {threads!r}")
    with _lock:
        _state["threads"] = int(threads)
        if _state["executor"] is not None:
            _state["executor"].shutdown(wait=True)
            _state["executor"] = None


def batch_slices(batch_size: int, parts: int) -> list[slice]:
    """Split range(batch_size) into at most ``parts`` contiguous, nearly equal, non-empty slices."""
    parts = max(1, min(parts, batch_size))
    bounds = [batch_size * k // parts for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)]


def _executor_and_controller():
    with _lock:
        if _state["executor"] is None:
            _state["executor"] = ThreadPoolExecutor(get_num_threads(), thread_name_prefix="gradproof")
        if _state["controller"] is None:
            from threadpoolctl import ThreadpoolController

            _state["controller"] = ThreadpoolController()
        return _state["executor"], _state["controller"]


def map_over_batch(function: Callable[[slice], Result], batch_size: int, dtype, work: int) -> list[Result]:
    """``[function(chunk) for chunk in batch_slices(batch_size, threads)]``, the chunks in threads.

    ``work`` is the call's multiply-adds (its GEMMs). Runs serially (one chunk, the whole batch)
    when there is one thread, one sample, an object dtype or less work than ``MIN_SPLIT_WORK``.
    The results come back in chunk order, so sums over them are deterministic.
    """
    threads = get_num_threads()
    if threads == 1 or batch_size < 2 or np.dtype(dtype) == object or work < MIN_SPLIT_WORK:
        return [function(slice(0, batch_size))]
    executor, controller = _executor_and_controller()
    with controller.limit(limits=1, user_api="blas"):
        return list(executor.map(function, batch_slices(batch_size, threads)))

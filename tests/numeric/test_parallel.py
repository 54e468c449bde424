"""numeric.parallel: the batch split gives the serial result, deterministically, and leaves BLAS as it was."""

import threading

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController

from gradproof.numeric import Conv2d, parallel
from gradproof.numeric.rules import conv as conv_rules


@pytest.fixture
def threads():
    """Restore the thread count a test changes."""
    before = parallel.get_num_threads()
    yield parallel.set_num_threads
    parallel.set_num_threads(before)


@pytest.fixture
def split_every_call(monkeypatch):
    """Small test layers would run serially (MIN_SPLIT_WORK); make them split."""
    monkeypatch.setattr(parallel, "MIN_SPLIT_WORK", 0)


def _blas_threads():
    return [entry["num_threads"] for entry in ThreadpoolController().info() if entry["user_api"] == "blas"]


@pytest.fixture
def forward_calls(monkeypatch):
    """Record, for every call of the forward rule, the thread, the chunk's batch size and BLAS's thread
    count: the evidence that a "split" run did split (a serial run would pass the equality tests too)."""
    calls = []
    honest = conv_rules.conv2d_forward_from_columns

    def recording(columns, *args, **kwargs):
        calls.append((threading.current_thread(), columns.shape[0], _blas_threads()))
        return honest(columns, *args, **kwargs)

    monkeypatch.setattr(conv_rules, "conv2d_forward_from_columns", recording)
    return calls


@pytest.mark.parametrize("batch, parts", [(1, 2), (2, 2), (7, 3), (64, 2), (3, 8)])
def test_batch_slices_cover_the_batch_once_in_order(batch, parts):
    slices = parallel.batch_slices(batch, parts)
    covered = [index for chunk in slices for index in range(batch)[chunk]]
    assert covered == list(range(batch))
    assert len(slices) == min(batch, parts)
    assert all(chunk.stop > chunk.start for chunk in slices)


def run_layer(x, grad, **geometry):
    layer = Conv2d(x.shape[1], grad.shape[1], 3, rng=np.random.default_rng(1), **geometry)
    y = layer.forward(x)
    dx = layer.backward(grad)
    return y, dx, layer.grads["weight"], layer.grads["bias"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("worker_count", [2, 3, 5])
def test_split_batch_equals_the_serial_layer(threads, split_every_call, forward_calls, dtype, worker_count):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3, 9, 8)).astype(dtype)
    grad = rng.standard_normal((7, 4, 5, 4)).astype(dtype)
    geometry = {"stride": 2, "padding": 1, "dilation": 1}
    threads(1)
    serial = run_layer(x, grad, **geometry)
    assert [(thread, size) for thread, size, _ in forward_calls] == [(threading.current_thread(), 7)]
    forward_calls.clear()
    threads(worker_count)
    split = run_layer(x, grad, **geometry)
    chunks = parallel.batch_slices(7, worker_count)
    assert sorted(size for _, size, _ in forward_calls) == sorted(c.stop - c.start for c in chunks)
    assert all(thread is not threading.current_thread() for thread, _, _ in forward_calls)
    again = run_layer(x, grad, **geometry)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for name, expected, actual, repeated in zip(("y", "dx", "dW", "db"), serial, split, again):
        assert actual.dtype == expected.dtype, name
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance, err_msg=name)
        np.testing.assert_array_equal(actual, repeated, err_msg=f"{name} differs between two runs")


def test_blas_runs_single_threaded_inside_a_split_and_is_restored_after(threads, split_every_call, forward_calls):
    threads(2)
    with ThreadpoolController().limit(limits=2, user_api="blas"):  # > 1 before, or "restored" proves nothing
        before = _blas_threads()
        assert before and all(count == 2 for count in before), before
        run_layer(np.ones((4, 2, 6, 6)), np.ones((4, 3, 4, 4)))
        assert len(forward_calls) == 2 and all(blas == [1] * len(before) for _, _, blas in forward_calls), forward_calls
        assert _blas_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_names_a_bad_value(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        parallel.set_num_threads(bad)


def test_a_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("GRADPROOF_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="GRADPROOF_NUM_THREADS must be a positive integer, got 'many'"):
        parallel._default_threads()
    monkeypatch.setenv("GRADPROOF_NUM_THREADS", "3")
    assert parallel._default_threads() == 3


def test_small_calls_and_object_arrays_run_serially_in_the_calling_thread(threads):
    threads(2)
    seen = []

    def record(chunk):
        seen.append((chunk, threading.current_thread()))
        return chunk

    caller = threading.current_thread()
    for dtype, work in ((np.float64, parallel.MIN_SPLIT_WORK - 1), (object, 10**9)):
        seen.clear()
        assert parallel.map_over_batch(record, 8, dtype, work=work) == [slice(0, 8)]
        assert seen == [(slice(0, 8), caller)]
    seen.clear()
    assert parallel.map_over_batch(record, 8, np.float64, work=parallel.MIN_SPLIT_WORK) == [slice(0, 4), slice(4, 8)]
    assert all(thread is not caller for _, thread in seen)

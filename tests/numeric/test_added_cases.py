"""The rule table's finite-difference cases added for issue 13 item 5: padded pooling whose windows do not
tile the input, ReLU exactly at its kink, cross-entropy at huge logits. Each passes under every method
and states its resolution, and each catches the mistake it is there for, which the older cases miss."""

import warnings

import numpy as np
import pytest

from gradproof.numeric import cases
from gradproof.numeric.gradcheck import METHODS
from gradproof.numeric.layers import ReLU
from gradproof.numeric.rules import cross_entropy as cross_entropy_rules
from gradproof.numeric.rules import pooling as pool_rules

ADDED = (cases.RELU_AT_ZERO, cases.MAXPOOL_PADDED, cases.AVGPOOL_PADDED, cases.CROSS_ENTROPY_HUGE_LOGITS)


@pytest.mark.parametrize("case", ADDED, ids=lambda case: case.name)
@pytest.mark.parametrize("method", METHODS)
def test_the_added_cases_pass_and_state_their_resolution(case, method):
    for report in case.run(0, method):
        assert report.passed, report.row()
        assert 0 < report.resolution < 1e-6 and "could not see below" in report.row()[-1], report.row()


def _padding_cropped_at_the_wrong_offset(monkeypatch):
    honest = pool_rules._windows_back

    def shifted(values, input_shape, kernel, stride, padding):
        if padding == 0:
            return honest(values, input_shape, kernel, stride, padding)
        n, c, h, w = input_shape
        # col2im into the padded input as the rule does, then the crop taken from the top left corner
        # (padded[:h, :w]) instead of padded[p : p + h, p : p + w]: gradients land one row/column off
        h_out, w_out = values.shape[2:4]
        columns = values.reshape(n, c, h_out, w_out, kernel, kernel).transpose(0, 1, 4, 5, 2, 3)
        columns = columns.reshape(n, c * kernel * kernel, h_out * w_out)
        padded = pool_rules.col2im(columns, (n, c, h + 2 * padding, w + 2 * padding), (kernel, kernel),
                                   stride, 1, (h_out, w_out))
        return padded[:, :, :h, :w]

    monkeypatch.setattr(pool_rules, "_windows_back", shifted)


@pytest.mark.parametrize("method", METHODS)
def test_a_padding_offset_mistake_is_caught_only_by_the_padded_cases(method, monkeypatch):
    _padding_cropped_at_the_wrong_offset(monkeypatch)
    for case in (cases.MAXPOOL_PADDED, cases.AVGPOOL_PADDED):
        assert not all(report.passed for report in case.run(0, method)), case.name
    for case in (cases.MAXPOOL, cases.AVGPOOL):
        assert all(report.passed for report in case.run(0, method)), case.name


def _relu_with_derivative_at_zero(monkeypatch, value):
    """ReLU whose backward takes ReLU'(0) = value (its forward unchanged)."""
    honest_forward = ReLU.forward

    def forward(self, x):
        self._planted_x = np.real(np.asarray(x))
        return honest_forward(self, x)

    def backward(self, grad_output):
        x = self._planted_x
        return grad_output * np.where(x > 0, 1.0, np.where(x == 0, value, 0.0))

    monkeypatch.setattr(ReLU, "forward", forward)
    monkeypatch.setattr(ReLU, "backward", backward)


def test_relu_derivative_one_at_zero_is_caught_at_the_exact_zeros_by_the_complex_step(monkeypatch):
    # at a single kink both one-sided slopes are limits of the difference quotient, so the real-step
    # methods accept either there ("at a kink, not counted"); the complex step follows the forward
    # pass's branch (relu(0) takes the 0 branch), which the backward must match
    _relu_with_derivative_at_zero(monkeypatch, 1.0)
    assert not all(report.passed for report in cases.RELU_AT_ZERO.run(0, "complex"))
    assert all(report.passed for report in cases.RELU.run(0, "complex"))  # no exact zero there


@pytest.mark.parametrize("method", METHODS)
def test_relu_derivative_one_half_at_zero_is_caught_by_every_method(method, monkeypatch):
    assert all(report.passed for report in cases.RELU_AT_ZERO.run(0, method))
    # forward max(s, 0) unchanged; backward says ReLU'(0) = 1/2, which is neither one-sided slope
    _relu_with_derivative_at_zero(monkeypatch, 0.5)
    reports = cases.RELU_AT_ZERO.run(0, method)
    assert not any(report.passed for report in reports)
    assert all(report.row()[-1].startswith("MISMATCH") for report in reports), [r.row() for r in reports]


def _softmax_without_the_row_maximum(logits):
    shifted = np.exp(logits)
    return shifted / shifted.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("method", METHODS)
def test_a_softmax_that_overflows_is_caught_only_at_huge_logits(method, monkeypatch):
    monkeypatch.setattr(cross_entropy_rules, "softmax", _softmax_without_the_row_maximum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp overflows: that is the mistake
        assert not all(report.passed for report in cases.CROSS_ENTROPY_HUGE_LOGITS.run(0, method))
        assert all(report.passed for report in cases.CROSS_ENTROPY.run(0, method))

"""The finite-difference error model of ``numeric.gradcheck``: one entry's derivative, its error bound,
and whether that entry sits at a kink.

Let phi(t) = f(x + t e_k) (or f(x + t v) for a direction v) and let every evaluation of f carry a
rounding error of at most delta = C_R eps max|f|. With central differences D(s) = (phi(s) - phi(-s)) / 2s
on the steps s_j = h 2^-j:

* central: estimate D(s_1); truncation D(s) - f' = s^2 f'''/6 + O(s^4), so D(s_0) - D(s_1) =
  (3/4) s_0^2 f'''/6 and the truncation of D(s_1) is about |D(s_0) - D(s_1)| / 3; rounding delta / s_1;
* Richardson: R(s) = (4 D(s/2) - D(s)) / 3 = f' + O(s^4); estimate R(s_1), truncation about
  |R(s_0) - R(s_1)| / 15, rounding (4 delta / s_2 + delta / s_1) / 3 = 6 delta / s_0.

The allowed error is SAFETY (truncation + rounding) + C_A eps (|a| + |n|) for the analytic value's own
rounding; it follows f's scale, so a large |f| widens it instead of raising a false alarm.

Smoothness, decided from the one-sided slopes F(s) = (phi(s) - phi(0))/s, B(s) = (phi(0) - phi(-s))/s:
their difference J(s) = F(s) - B(s) = s f'' + O(s^3) halves when s halves if f is smooth, and stays
at the jump if f has a kink at x. A level is trusted when J(s/2) - J(s)/2 is within its rounding noise
(10 delta / s) plus |J(s)| / 4 for every step pair, and its truncation estimate is below its rounding
or below the resolution goal; otherwise the entry is re-measured with half the step (a near-tie at
distance d stops being crossed once s < d). When J does not shrink over three steps, or the steps run
out, the entry is at a kink: it passes only if the analytic value equals one one-sided slope within
that slope's own error (truncation |F(2 sigma) - F(sigma)|, rounding 2 delta / sigma). A confirmed
kink whose analytic value equals neither slope is "non-smooth here": not decided, listed with both
slopes (a convention applied per unit where several kinks meet, as PyTorch's ReLU'(0) = 0 on a zero
input row, equals neither); the complex step, which branches exactly as the forward pass, decides it.

The complex step Im f(x + i h e_k) / h (h = 1e-20) has no subtraction: its error is rounding of the
derivative's own arithmetic, bounded here by C_C eps (|a| + |n| + max|g|).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

EPSILON = float(np.finfo(np.float64).eps)
ROUNDING = 16.0
"""C_R: one evaluation of f is trusted to C_R eps max|f| (sums of many terms round more than once)."""
ANALYTIC_ROUNDING = 64.0
"""C_A: the analytic gradient, itself computed in float64, to C_A eps |value|."""
COMPLEX_ROUNDING = 64.0
"""C_C: the complex step to C_C eps (|a| + |n| + max|g|)."""
SAFETY = 4.0
"""Estimated truncation and rounding are multiplied by this before they are allowed."""
GOALS = {"central": 1e-8, "richardson": 1e-11}
"""Relative error below which a real-step measurement need not be refined further."""
LEVELS = {"central": 8, "richardson": 10}
"""How many times the step may be halved for an entry that is not yet settled."""

PASS, FAIL, KINK, NONSMOOTH = "pass", "fail", "kink", "non-smooth"


@dataclass(frozen=True)
class Measurement:
    """One entry's numeric derivative, its allowed error, verdict and one-sided slopes (at the last step)."""

    estimate: float
    allowed: float
    verdict: str
    forward: float
    backward: float
    evaluations: int


NOISE_SAFETY = 8.0
"""delta is at least NOISE_SAFETY times the measured noise level sigma of f (``noise_level``)."""


def noise_level(phis_and_steps) -> float:
    """The rounding noise sigma of f, measured (as Moré and Wild's ECnoise): for each (phi, tau), the
    differences Delta^m of phi(0), phi(tau), ..., phi(6 tau) with tau tiny are rounding only (the
    smooth part, tau^m phi^(m), is far below eps), and E[(Delta^m)^2] = binom(2m, m) sigma^2; the
    largest over m = 2..4 and over the lines given. Needed because the rounding of a sum
    follows sum|terms|, which a cancelling |f| does not show."""
    estimates = []
    for phi, tau in phis_and_steps:
        values = np.array([float(phi(j * tau)) for j in range(7)])
        estimates.append(max(np.sqrt(np.mean(np.diff(values, m) ** 2) / comb(2 * m, m)) for m in (2, 3, 4)))
    return float(max(estimates, default=0.0))


class Line:
    """phi(t) = f(point + t direction), cached by t, with the largest |phi| seen (for the rounding)."""

    def __init__(self, phi, noise: float = 0.0, centre: float | None = None):
        self._phi, self._values, self.noise = phi, {}, noise
        if centre is not None:
            self._values[0.0] = float(centre)  # f(x), shared by every entry: not counted again
        self.centre = self(0.0)
        self._shared = centre is not None

    def __call__(self, t: float) -> float:
        if t not in self._values:
            self._values[t] = float(self._phi(t))
        return self._values[t]

    @property
    def evaluations(self) -> int:
        return len(self._values) - self._shared

    def delta(self, steps) -> float:
        """Rounding bound of one evaluation: C_R eps max|phi| over the points used."""
        values = [abs(self.centre)] + [abs(self(sign * s)) for s in steps for sign in (1, -1)]
        return max(ROUNDING * EPSILON * max(values), NOISE_SAFETY * self.noise)

    def central(self, s: float) -> float:
        return (self(s) - self(-s)) / (2 * s)

    def jump(self, s: float) -> float:
        """J(s) = F(s) - B(s) = (phi(s) - 2 phi(0) + phi(-s)) / s."""
        return (self(s) - 2 * self.centre + self(-s)) / s


def _estimate(line: Line, s: float, method: str):
    """(estimate, truncation, rounding) of f'(0) from the steps s, s/2 (and s/4 for Richardson)."""
    if method == "central":
        coarse, fine = line.central(s), line.central(s / 2)
        return fine, abs(coarse - fine) / 3, 2 * line.delta((s, s / 2)) / s
    d0, d1, d2 = line.central(s), line.central(s / 2), line.central(s / 4)
    r0, r1 = (4 * d1 - d0) / 3, (4 * d2 - d1) / 3
    return r1, abs(r0 - r1) / 15, 6 * line.delta((s, s / 2, s / 4)) / s


def _steps(s: float, method: str) -> tuple[float, ...]:
    return (s, s / 2) if method == "central" else (s, s / 2, s / 4)


def _smooth(line: Line, steps, delta: float) -> bool:
    """J(s/2) - J(s)/2 within 10 delta / s + |J(s)|/4 for each step pair: J shrinks linearly in s."""
    for s in steps[:-1]:
        coarse, fine = line.jump(s), line.jump(s / 2)
        if abs(fine - coarse / 2) > SAFETY * 10 * delta / s + abs(coarse) / 4:
            return False
    return True


def _kink_pattern(line: Line, sigma: float, delta: float) -> bool:
    """J(4 sigma), J(2 sigma), J(sigma) all within 10% of each other and above noise: a kink at x."""
    jumps = [line.jump(sigma * factor) for factor in (4, 2, 1)]
    noise = SAFETY * 10 * delta / sigma
    return min(abs(j) for j in jumps) > noise and max(jumps) - min(jumps) <= 0.1 * max(abs(j) for j in jumps)


def _at_kink(line: Line, analytic: float, sigma: float, analytic_allowed: float) -> Measurement:
    """The analytic value against the one-sided slopes at the smallest step, each within its own error:
    KINK if it equals one; else NONSMOOTH (not decided) when the kink is confirmed (J does not shrink),
    since several kinks met at x (a max-pool tie of several windows, a zero input row feeding several
    ReLUs) make a per-unit convention such as PyTorch's equal neither slope; else FAIL."""
    delta = line.delta((sigma, 2 * sigma))
    forward = (line(sigma) - line.centre) / sigma
    backward = (line.centre - line(-sigma)) / sigma
    forward_error = abs((line(2 * sigma) - line.centre) / (2 * sigma) - forward) + 2 * delta / sigma
    backward_error = abs((line.centre - line(-2 * sigma)) / (2 * sigma) - backward) + 2 * delta / sigma
    distances = ((abs(analytic - forward), SAFETY * forward_error + analytic_allowed, forward),
                 (abs(analytic - backward), SAFETY * backward_error + analytic_allowed, backward))
    distance, allowed, nearest = min(distances, key=lambda item: item[0] / item[1])
    confirmed = _kink_pattern(line, sigma, line.delta((sigma, 2 * sigma, 4 * sigma)))
    verdict = KINK if distance <= allowed else NONSMOOTH if confirmed else FAIL
    return Measurement(nearest, allowed, verdict, forward, backward, line.evaluations)


def measure(phi, analytic: float, step: float, method: str, scale: float, noise: float = 0.0,
            centre: float | None = None) -> Measurement:
    """Measure phi'(0) against ``analytic``, halving ``step`` until the entry is settled (see module).

    ``scale`` is the gradient's largest entry: the goal of entry k is GOALS[method] max(|a|, 1e-3 scale);
    ``noise`` the measured rounding noise of f (``noise_level``); ``centre`` f(x) if already known.
    """
    line = Line(phi, noise, centre)
    goal = GOALS[method] * max(abs(analytic), 1e-3 * scale)
    s = sigma = step
    for level in range(LEVELS[method] + 1):
        steps = _steps(s, method)
        sigma = steps[-1]
        estimate, truncation, rounding = _estimate(line, s, method)
        analytic_allowed = ANALYTIC_ROUNDING * EPSILON * (abs(analytic) + abs(estimate))
        allowed = SAFETY * (truncation + rounding) + analytic_allowed
        delta = line.delta(steps)
        if _smooth(line, steps, delta) and truncation <= max(rounding, goal):
            verdict = PASS if abs(analytic - estimate) <= allowed else FAIL
            forward, backward = (line(s / 2) - line.centre) / (s / 2), (line.centre - line(-s / 2)) / (s / 2)
            return Measurement(estimate, allowed, verdict, forward, backward, line.evaluations)
        if level >= 1 and _kink_pattern(line, sigma, delta):
            break
        s /= 2
    return _at_kink(line, analytic, sigma, analytic_allowed)


def complex_allowed(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Allowed error of the complex step per entry: C_C eps (|a| + |n| + max|g|)."""
    scale = max(float(np.abs(analytic).max(initial=0.0)), float(np.abs(numeric).max(initial=0.0)))
    return COMPLEX_ROUNDING * EPSILON * (np.abs(analytic) + np.abs(numeric) + scale)

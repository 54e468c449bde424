"""Numeric cross-checks of analytic gradients, per entry, in float64, on an error model.

Three numeric derivatives of a scalar f at x, entry k, with step h_k = h max(1, |x_k|):

* central differences D(h/2) = (f(x + h/2 e_k) - f(x - h/2 e_k)) / h, h = 1e-5, with truncation
  estimated from D(h) and D(h/2);
* 4th-order Richardson (4 D(h/4) - D(h/2)) / 3, h = 1e-3, truncation estimated from the same
  extrapolation one step size up;
* the complex step Im f(x + i h e_k) / h, h = 1e-20: no subtraction, error at rounding level; the
  layers accept complex input and their kinks (ReLU, max pooling) branch on the real part.

Every entry gets its own allowed error (``numeric.error_model``): SAFETY (truncation + rounding) with
the rounding eps max|f| / h following f's scale. An entry whose one-sided slopes do not behave
smoothly is re-measured with a smaller step (a near-tie crossed inside the step), and counted as a
kink only when the difference of its one-sided slopes does not shrink with the step and the analytic
value equals one of them within that slope's error; kinks are listed (``kink_entries``) and never hide
an error elsewhere. Each report states its ``resolution``: the largest allowed error over the entries,
relative to the gradient's largest entry, so "ok" means "every entry agrees within resolution times
max|g|; an error smaller than that could not be seen". Layers are checked through a random projection
of their output: with a fixed random u, L = sum(u * layer(x)) has dL/dy = u, so ``layer.backward(u)``
must equal the gradient of L. ``check_layer_projections`` and ``check_random_projections`` compare
directional derivatives with <gradient, v> for the input and every parameter.
"""

from __future__ import annotations

import inspect
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from gradproof.numeric import batched
from gradproof.numeric.error_model import (
    COMPLEX_ROUNDING,
    EPSILON,
    FAIL,
    KINK,
    NONSMOOTH,
    PASS,
    complex_allowed,
    measure,
    noise_level,
)

DEFAULT_STEP = 1e-5
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-7
"""Tolerances of ``compare``, the plain comparison of two computed arrays (no error model)."""
METHODS = ("central", "richardson", "complex")
STEPS = {"central": 1e-5, "richardson": 1e-3, "complex": 1e-20}
"""Default relative steps: central h^2 truncation and eps/h rounding are both near 1e-10 at 1e-5;
Richardson's h^4 truncation allows 1e-3, where its rounding error eps |f| / h is ~1e-13."""
LABELS = {"central": "central difference, h={step:g}*max(1,|x|)",
          "richardson": "4th-order Richardson, h={step:g}*max(1,|x|)", "complex": "complex step, h={step:g}"}


@dataclass(frozen=True)
class CheckReport:
    """Outcome of one gradient comparison (the one report format of every check)."""

    name: str
    method: str
    evaluations: int
    max_abs_error: float
    max_rel_error: float
    worst_index: tuple[int, ...]
    passed: bool
    kinks: int = 0
    wrt: str = ""
    """The gradient this report covers: "input", a parameter key ("weight", "0.bias"), "prediction", or
    "" for a check of several gradients at once (random projections)."""
    resolution: float | None = None
    """The largest error the check allowed in any entry, relative to the gradient's largest entry: an
    error below resolution * max|g| could not be seen (for ``compare``: its tolerance, so relative)."""
    kink_entries: tuple[tuple[tuple[int, ...], float, float, float], ...] = ()
    """(index, analytic, forward slope, backward slope) of each kink and each non-smooth entry."""
    nonsmooth: int = 0
    """Entries at a confirmed kink whose analytic value equals neither one-sided slope and that the complex
    step could not decide either: not decided, so the report does not pass."""
    decided_by_complex: int = 0
    """Entries where several kinks meet, decided by the complex step (which branches as the forward pass)."""

    undecided_only: bool = False
    """True when the report fails only because some entries are not decided (no entry disagrees)."""
    reason: str = ""
    """Why the report is not decided when no single entry is to blame (``BLIND``: the resolution is 1 or
    more, so an error as large as the gradient itself could not have been seen)."""

    scale: float | None = None
    """max|g|: the largest magnitude over both compared arrays, the unit of ``resolution`` (None: not recorded)."""

    @property
    def error_of_scale(self) -> float | None:
        """The largest absolute error divided by max|g| (``scale``): the same unit as ``resolution``, so an
        "ok" always has error_of_scale <= resolution. ``max_rel_error`` is per entry (|a - n| / max(|a|, |n|)),
        another unit: a small entry's relative error can exceed the resolution while its absolute error
        is within the allowed error (attack3 4e: "max rel 1.00e-09: ok (could not see below 2.0e-10)")."""
        if self.scale is None:
            return None
        return self.max_abs_error / self.scale if self.scale > 0 else self.max_abs_error

    def status(self, unit: str = "") -> str:
        """"ok", "NOT DECIDED" or "MISMATCH" with its notes; ``unit`` follows the resolution (" x max|g|")."""
        return self.row(unit)[-1]

    def row(self, unit: str = "") -> tuple[str, ...]:
        """The report as table cells (name, method, evals, max abs, max rel, worst, status); the status
        states the resolution: "ok (could not see below 2.1e-09)" (relative to max|g|; ``unit`` names it)."""
        status = "ok" if self.passed else "NOT DECIDED" if self.undecided_only else "MISMATCH"
        notes = []
        if self.resolution is not None:
            notes.append(f"could not see below {self.resolution:.1e}{unit}")
        if self.kinks:
            notes.append(f"{self.kinks} at a kink, not counted")
        if self.decided_by_complex:
            notes.append(f"{self.decided_by_complex} where kinks meet, decided by the complex step")
        if self.nonsmooth:
            notes.append(f"{self.nonsmooth} non-smooth here, not decided")
        if self.reason:
            notes.append(self.reason)
        if notes:
            status += f" ({'; '.join(notes)})"
        return (
            self.name,
            self.method,
            str(self.evaluations),
            f"{self.max_abs_error:.2e}",
            f"{self.max_rel_error:.2e}",
            str(self.worst_index),
            status,
        )


BLIND = 1.0
"""A check whose resolution (largest allowed error / max|g|) is BLIND or more is NOT DECIDED: it could not
have seen an error the size of the gradient itself (an "ok (could not see below 5.4e+02)" is no pass)."""


def _not_blind(report: CheckReport) -> CheckReport:
    """``report`` with an "ok" turned into NOT DECIDED when its resolution is ``BLIND`` or more (DESIGN §5a:
    every ok states a resolution, and one that cannot see the gradient's own size is no verdict)."""
    if not report.passed or report.resolution is None or report.resolution < BLIND:
        return report
    return replace(report, passed=False, undecided_only=True,
                   reason=f"resolution {report.resolution:.1e} >= {BLIND:g}: this check could not see an error "
                          "the size of the gradient itself")


def _entry_line(func, flat: np.ndarray, shape, k: int, known=None):
    """phi(t) = func(x + t e_k); ``known``, if given, maps (k, t) to values of phi computed in advance
    (``numeric.batched``), used instead of evaluating func again."""
    work = flat.copy()

    def phi(t):
        if known is not None and (k, t) in known:
            return known[(k, t)]
        if getattr(known, "fetch", None) is not None:
            raise _Missing(k, t)
        work[k] = flat[k] + t
        value = func(work.reshape(shape))
        work[k] = flat[k]
        return value

    return phi


class _Missing(Exception):
    """A point phi(t) of entry k not yet in the batched table: the entry is measured again once the
    points every pending entry asked for have been evaluated together (``_measure_entries``)."""

    def __init__(self, k: int, t: float):
        super().__init__(k, t)
        self.k, self.t = k, t


class Known(dict):
    """{(flat entry k, t): f(x + t e_k)} evaluated in batches; ``fetch(pairs)`` evaluates more points in
    one batch and returns them as a dict (or None when the batched values cannot be trusted: then
    ``fetch`` is dropped and the remaining points are evaluated one by one)."""

    def __init__(self, values, fetch=None):
        super().__init__(values)
        self.fetch = fetch


def _follow_up(k: int, t: float) -> list[tuple[int, float]]:
    """The points the error model asks for after a missing phi(t): +-t and the next halving +-t/2."""
    return [(k, t), (k, -t), (k, t / 2), (k, -t / 2)]


def _noise_probes(flat) -> list[tuple[int, float]]:
    """(entry, tau) of the lines on which ``error_model.noise_level`` measures f's rounding noise: up to
    8 entries spread over the array, tau = 1e-9 max(1, |x_k|); f is evaluated at x + j tau e_k, j = 0..6."""
    probes = np.unique(np.linspace(0, flat.size - 1, min(flat.size, 8)).astype(int))
    return [(int(k), 1e-9 * max(1.0, abs(flat[k]))) for k in probes]


def first_level_pairs(point, method: str, step: float | None = None) -> list:
    """The (flat entry k, t) points the error model evaluates first: its noise probes (``_noise_probes``)
    and, for every entry, t = +-s, +-s/2 (and +-s/4 for Richardson) with s = step max(1, |x_k|); for
    the complex step t = i step."""
    step = STEPS[method] if step is None else step
    flat = np.asarray(point).reshape(-1)
    if method == "complex":
        return [(k, 1j * step) for k in range(flat.size)]
    fractions = (1, 2) if method == "central" else (1, 2, 4)
    pairs = [(k, j * tau) for k, tau in _noise_probes(flat) for j in range(7)]
    for k in range(flat.size):
        s = step * max(1.0, abs(flat[k]))
        pairs += [(k, sign * (s / f if f > 1 else s)) for f in fractions for sign in (1, -1)]
    return pairs


def _complex_gradient(func, flat: np.ndarray, shape, step: float) -> np.ndarray:
    work = flat.astype(np.complex128)
    gradient = np.zeros(flat.size)
    for k in range(flat.size):
        work[k] += 1j * step
        gradient[k] = np.imag(func(work.reshape(shape))) / step
        work[k] = flat[k]
    return gradient


def _checked_point(point, method: str) -> np.ndarray:
    if method not in METHODS:
        raise ValueError(f"gradcheck: method must be one of {METHODS}, got {method!r}")
    if np.asarray(point).dtype != np.float64:
        raise ValueError(f"gradcheck: point must be float64, got {np.asarray(point).dtype}")
    return np.asarray(point)


def numeric_gradient(func, point: np.ndarray, *, method: str = "central", step: float | None = None):
    """Gradient of the scalar ``func(array)`` at ``point`` entry by entry; ``point`` is not modified.

    Returns ``(gradient, evaluations, allowed)``: the estimate of each entry at the first step (no
    analytic value to refine against), and its allowed error. The complex step needs ``func`` to accept
    complex input: f'(x) = Im f(x + i h) / h.
    """
    flat = _checked_point(point, method).reshape(-1)
    step = STEPS[method] if step is None else step
    if method == "complex":
        gradient = _complex_gradient(func, flat, point.shape, step)
        return gradient.reshape(point.shape), flat.size, complex_allowed(gradient, gradient).reshape(point.shape)
    results = [measure(_entry_line(func, flat, point.shape, k), 0.0, step * max(1.0, abs(flat[k])),
                       method, 0.0) for k in range(flat.size)]
    gradient = np.array([r.estimate for r in results]).reshape(point.shape)
    allowed = np.array([r.allowed for r in results]).reshape(point.shape)
    return gradient, sum(r.evaluations for r in results), allowed


def _errors(analytic, numeric):
    with np.errstate(invalid="ignore"):  # inf - inf, inf / inf: NaN, which judge counts as failing
        abs_error = np.abs(analytic - numeric)
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        return abs_error, np.divide(abs_error, scale, out=np.zeros_like(abs_error), where=scale > 0)


def _real(name, analytic, numeric):
    analytic = np.real(np.asarray(analytic)).astype(np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"compare({name}): analytic gradient has shape {analytic.shape}, "
                         f"numeric gradient {numeric.shape}")
    return analytic, numeric


def compare(name, analytic, numeric, *, method, evaluations, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
    """Compare two computed arrays entry by entry: |a - n| <= atol + rtol |n| (no error model, no kinks).

    The report's resolution is the largest error this allowed in any entry, relative to the largest
    entry: max_k (atol + rtol |n_k|) / max(|a|, |n|) (atol + rtol when both arrays are 0)."""
    analytic, numeric = _real(name, analytic, numeric)
    abs_error, rel_error = _errors(analytic, numeric)
    tolerance = atol + rtol * np.abs(numeric)
    failing = abs_error > tolerance
    worst = np.unravel_index(int(np.argmax(abs_error / tolerance)), abs_error.shape)
    scale = max(float(np.abs(analytic).max(initial=0.0)), float(np.abs(numeric).max(initial=0.0)))
    resolution = float(tolerance.max(initial=atol)) / (scale if scale > 0 else 1.0)
    return _not_blind(CheckReport(
        name=name, method=method, evaluations=evaluations, max_abs_error=float(abs_error.max(initial=0.0)),
        max_rel_error=float(rel_error.max(initial=0.0)), worst_index=tuple(int(i) for i in worst),
        passed=bool(not np.any(failing)), resolution=resolution, scale=scale))


def judge(name, analytic, numeric, allowed, *, method, evaluations, kinks=None, extra=None, wrt=""):
    """The error model's verdict: entry k passes when |a_k - n_k| <= allowed_k, or when ``kinks[k]``
    (decided by ``error_model.measure``). resolution = max over counted entries of allowed_k / max|g|.
    ``extra``: (rtol, atol) a caller adds to every entry's allowed error."""
    analytic, numeric = _real(name, analytic, numeric)
    kinks = np.zeros(analytic.shape, dtype=bool) if kinks is None else kinks
    if extra is not None:
        allowed = allowed + extra[1] + extra[0] * np.abs(numeric)
    abs_error, rel_error = _errors(analytic, numeric)
    with np.errstate(invalid="ignore"):
        counted = np.where(kinks, 0.0, abs_error / np.maximum(allowed, np.finfo(float).tiny))
    # a NaN or infinite value (analytic, measured or allowed) never passes: NaN > 1 is False, so say it
    broken = ~kinks & ~(np.isfinite(analytic) & np.isfinite(numeric) & np.isfinite(allowed))
    counted = np.where(broken, np.inf, counted)
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    scale = max(float(np.abs(np.where(finite, analytic, 0.0)).max(initial=0.0)),
                float(np.abs(np.where(finite, numeric, 0.0)).max(initial=0.0)))
    resolution = float(np.where(kinks, 0.0, allowed).max(initial=0.0)) / (scale if scale > 0 else 1.0)
    resolution = resolution if not broken.any() else float("inf")
    resolution = resolution if not kinks.all() else float("inf")  # no entry decided by comparison
    report = CheckReport(
        name=name, method=method, evaluations=evaluations,
        max_abs_error=float(np.where(kinks, 0.0, abs_error).max(initial=0.0)),
        max_rel_error=float(np.where(kinks, 0.0, rel_error).max(initial=0.0)),
        worst_index=tuple(int(i) for i in np.unravel_index(int(np.argmax(counted)), abs_error.shape)),
        passed=bool(not np.any(counted > 1.0)), kinks=int(kinks.sum()), wrt=wrt, resolution=resolution,
        scale=scale)
    # every entry at a kink: each was compared with a one-sided slope (error_model), none by the resolution
    return report if kinks.size and kinks.all() and not broken.any() else _not_blind(report)


def _measure_entries(func, point, analytic, method, step, known=None):
    """Per entry: (numeric, allowed, kink mask, kink entries, evaluations) by ``error_model.measure``;
    entries left "non-smooth here" are then decided by the complex step where f propagates it
    (``_decide_by_complex_step``)."""
    flat, a = point.reshape(-1), analytic.reshape(-1)
    scale = float(np.abs(a).max(initial=0.0))
    numeric, allowed, kinks, listed = np.zeros(a.size), np.zeros(a.size), np.zeros(a.size, bool), []
    verdicts = []
    probes = _noise_probes(flat)
    probe_known = None if known is None else dict(known)  # probes are first-level points
    noise = noise_level([(_entry_line(func, flat, point.shape, k, probe_known), tau) for k, tau in probes])
    centre = float(func(point))
    evaluations = 7 * len(probes) + 1
    results = {}
    pending = list(range(flat.size))
    while pending:  # with a batched table: every entry measured, then the missing points in one batch
        missing = []
        for k in pending:
            h = step * max(1.0, abs(flat[k]))
            try:
                results[k] = measure(_entry_line(func, flat, point.shape, k, known), a[k], h, method, scale, noise,
                                     centre)
            except _Missing as miss:
                missing.append(miss)
        pending = [miss.k for miss in missing]
        if missing:
            fetched = known.fetch(sorted({pair for miss in missing for pair in _follow_up(miss.k, miss.t)},
                                         key=lambda pair: (pair[0], abs(pair[1]), pair[1])))
            if fetched is None:
                known.fetch = None  # measured one by one from here on
            else:
                known.update(fetched)
    for k in range(flat.size):
        result = results[k]
        numeric[k], allowed[k], evaluations = result.estimate, result.allowed, evaluations + result.evaluations
        verdicts.append(result.verdict)
        if result.verdict in (KINK, NONSMOOTH):
            kinks[k] = True
            listed.append((tuple(int(i) for i in np.unravel_index(k, point.shape)), float(a[k]),
                           result.forward, result.backward))
        elif result.verdict == FAIL:
            allowed[k] = min(allowed[k], abs(a[k] - numeric[k]) / 2)  # a failed entry fails in judge too
    undecided = [k for k, verdict in enumerate(verdicts) if verdict == NONSMOOTH]
    smooth = [k for k, verdict in enumerate(verdicts) if verdict == PASS]
    decided, extra_evaluations = _decide_by_complex_step(func, point, a, undecided, smooth, numeric, allowed)
    for k, (value, bound) in decided.items():
        kinks[k], numeric[k], allowed[k] = False, value, bound  # judged as an ordinary entry from here on
    shape = point.shape
    nonsmooth = len(undecided) - len(decided)
    return (numeric.reshape(shape), allowed.reshape(shape), kinks.reshape(shape),
            (tuple(listed), nonsmooth, len(decided)), evaluations + extra_evaluations)


def _complex_derivative(func, point, k: int, step: float = STEPS["complex"]) -> float | None:
    """Im f(x + i h e_k) / h, or None when f does not carry the imaginary part through (it raises on
    complex input, casts it away with a ComplexWarning, or returns a real number)."""
    work = point.astype(np.complex128).reshape(-1)
    work[k] += 1j * step
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            value = func(work.reshape(point.shape))
    except (TypeError, ValueError, np.exceptions.ComplexWarning):
        return None
    if not np.iscomplexobj(value):
        return None
    return float(np.imag(value)) / step


def _decide_by_complex_step(func, point, analytic, undecided, smooth, numeric, allowed):
    """At an entry where several kinks meet (a zero input row feeding several ReLUs, a max-pool tie shared
    by windows), the one-sided slopes of f cannot test a per-unit convention such as ReLU'(0) = 0: the
    convention's value is neither slope. The complex step Im f(x + i h e_k)/h branches exactly as the
    forward pass does at x (kinks branch on the real part), so it measures the derivative of the branch
    the forward pass took, which the backward pass must match. It is trusted only if f carries complex
    input through, checked on one smooth entry whose real-step measurement it must reproduce.
    Returns ({k: (complex-step value, its allowed error)}, evaluations)."""
    if not undecided or not smooth:
        return {}, 0
    witness = smooth[len(smooth) // 2]
    calibration = _complex_derivative(func, point, witness)
    if calibration is None or abs(calibration - numeric[witness]) > allowed[witness]:
        return {}, 1
    decided = {}
    for k in undecided:
        value = _complex_derivative(func, point, k)
        if value is not None:
            scale = float(np.abs(analytic).max(initial=0.0))
            decided[k] = (value, COMPLEX_ROUNDING * EPSILON * (abs(analytic[k]) + abs(value) + scale))
    return decided, 1 + len(undecided)


def check_array(name, func, point, analytic, *, method="central", step=None, rtol=None, atol=None, wrt="",
                known=None):
    """Check ``analytic`` against the numeric gradient of the scalar ``func(array)`` at ``point``, entry by
    entry on the error model; ``rtol``/``atol``, if given, are added to every entry's allowed error.
    ``known``: {(flat entry, t): func at point + t e_k} computed in advance (``numeric.batched``), used
    instead of evaluating func at those points."""
    point = _checked_point(np.array(point, dtype=np.float64), method)
    step = STEPS[method] if step is None else step
    analytic = np.real(np.asarray(analytic)).astype(np.float64)
    if analytic.shape != point.shape:
        raise ValueError(f"check_array({name}): analytic gradient has shape {analytic.shape}, point {point.shape}")
    label = LABELS[method].format(step=step)
    extra = None if rtol is None and atol is None else (rtol or 0.0, atol or 0.0)
    if method == "complex":
        if known is not None:
            numeric = np.array([np.imag(known[(k, 1j * step)]) / step for k in range(point.size)]).reshape(point.shape)
        else:
            numeric = _complex_gradient(func, point.reshape(-1), point.shape, step).reshape(point.shape)
        return judge(name, analytic, numeric, complex_allowed(analytic, numeric), method=label,
                     evaluations=point.size, extra=extra, wrt=wrt)
    numeric, allowed, kinks, (listed, nonsmooth, decided), evaluations = _measure_entries(func, point, analytic,
                                                                                        method, step, known)
    report = judge(name, analytic, numeric, allowed, method=label, evaluations=evaluations, kinks=kinks,
                   extra=extra, wrt=wrt)
    # Three verdicts: an entry that is not decided keeps the report from passing ("NOT DECIDED").
    return replace(report, kink_entries=listed, kinks=report.kinks - nonsmooth, nonsmooth=nonsmooth,
                   decided_by_complex=decided, passed=report.passed and nonsmooth == 0,
                   undecided_only=report.undecided_only or (report.passed and nonsmooth > 0))


@contextmanager
def _substituted(model, key: str, value):
    """Temporarily make ``value`` the parameter ``key`` (in the layer that owns it, for Sequential)."""
    owners = [model.params]
    if hasattr(model, "layers") and "." in key:
        index, name = key.split(".", 1)
        owners.append(model.layers[int(index)].params)
    else:
        name = key
    originals = [owner[name if owner is not model.params else key] for owner in owners]
    try:
        for owner in owners:
            owner[name if owner is not model.params else key] = value
        yield
    finally:
        for owner, original in zip(owners, originals):
            owner[name if owner is not model.params else key] = original


def _check_all(name, scalar_of_input, scalar_with_param, x, params, analytic, method, tolerances, table=None):
    """One ``check_array`` report for the input and for each parameter; ``table(key, pairs, reference)``
    (``numeric.batched.objective_table`` bound to the model) supplies the first-level points in batches."""
    def known(key, point, func):
        if table is None:
            return None
        pairs = first_level_pairs(point, method, tolerances.get("step"))
        flat = point.reshape(-1)

        def reference(k, t):
            work = flat.astype(np.result_type(flat, t))
            work[k] += t
            return func(work.reshape(point.shape))

        values = table(key, pairs, reference)
        # later points (finer steps, near-ties) in further batches, each guarded like the first
        return None if values is None else Known(values, lambda more: table(key, more, reference))

    reports = [check_array(f"{name} d/dinput", scalar_of_input, x, analytic["input"], method=method, wrt="input",
                           known=known(None, x, scalar_of_input), **tolerances)]
    for key, value in params.items():
        def with_key(array, key=key):
            return scalar_with_param(key, array)

        reports.append(check_array(f"{name} d/d{key}", with_key, value, analytic[key], method=method, wrt=key,
                                   known=known(key, value, with_key), **tolerances))
    return reports


class CheckerContractError(ValueError):
    """The code under check broke the checker's contract, so no verdict about its gradient is given: it wrote
    into an array it was handed (``ArgumentModified``), its backward returned the wrong number of gradients or
    a gradient of the wrong shape, or its ``grads`` lack a parameter. This is not a MISMATCH (a wrong gradient
    gets a report), and not bad arguments to the checker (those stay plain ``ValueError``). A subclass of
    ``ValueError``, so ``except ValueError`` written before it existed still catches it; library callers that
    want to tell "the layer broke the contract" from "I called the checker wrongly" catch this class.

    >>> issubclass(ArgumentModified, CheckerContractError) and issubclass(CheckerContractError, ValueError)
    True
    """


class ArgumentModified(CheckerContractError):
    """User code wrote into an array it was handed read-only (an input, the upstream gradient, a
    parameter during forward or backward). The check hands user code copies and computes every reference
    from the pristine originals, so such a write cannot fool it; it is still reported, as an error, because
    a layer that writes into its caller's arrays breaks whatever the caller does next (``g *= 0.5`` in a
    backward halves the gradient the previous layer receives)."""


def _argument_name(func, k: int) -> str:
    """The name of ``func``'s k-th positional parameter as the user wrote it (``g``, ``grad_output``)."""
    try:
        parameters = [p for p in inspect.signature(func).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        return f"number {k + 1}"
    if k < len(parameters) and parameters[k].kind != inspect.Parameter.VAR_POSITIONAL:
        return parameters[k].name
    if parameters and parameters[-1].kind == inspect.Parameter.VAR_POSITIONAL:
        return f"{parameters[-1].name}[{k - len(parameters) + 1}]"
    return f"number {k + 1}"


def _change(original, after) -> str | None:
    """None if ``after`` still equals ``original`` (same shape, same entries, NaN equal to NaN), else where
    and by how much it changed."""
    after = np.asarray(after)
    if after.shape != original.shape:
        return f"its shape became {after.shape}, was {original.shape}"
    if np.array_equal(original, after, equal_nan=True):
        return None
    with np.errstate(invalid="ignore"):
        difference = np.abs(np.asarray(after, dtype=np.result_type(after, original)) - original)
    difference = np.where(np.isnan(difference), np.inf, difference)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(difference)), difference.shape))
    return f"largest change {float(difference.max()):.1e} at index {index}"


def _modified(where: str, owner, method: str, what: str, change: str, copy_hint: str = "") -> ArgumentModified:
    hint = f"copy first: {copy_hint} = {copy_hint}.copy()" if copy_hint else "read it, do not assign into it"
    return ArgumentModified(
        f"{where}: {type(owner).__name__}.{method} modified {what} in place ({change}); a layer must not "
        f"write to the arrays it is given ({hint}); the check computes its references from the originals, "
        "and does not pass a layer that changes its caller's arrays")


def guarded(owner, method: str, *args, where: str):
    """``owner.method(*args)`` on copies of the array arguments, then each copy compared with its original:
    an in-place write raises ``ArgumentModified`` naming the method and the argument as the user named it
    ("Lin.backward modified its argument g in place"). The originals are never handed to user code."""
    func = getattr(owner, method)
    copies = tuple(arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args)
    result = func(*copies)
    for k, (original, copy) in enumerate(zip(args, copies)):
        if isinstance(original, np.ndarray):
            change = _change(original, copy)
            if change is not None:
                name = _argument_name(func, k)
                raise _modified(where, owner, method, f"its argument {name}", change,
                                name if name.isidentifier() else "")
    return result


def params_snapshot(owner) -> dict:
    """A copy of every parameter array of ``owner`` (``owner.params``), to compare after a call."""
    return {key: np.array(value, copy=True) for key, value in owner.params.items()}


def require_params_unchanged(owner, snapshot: dict, method: str, *, where: str) -> None:
    """Raise ``ArgumentModified`` if a parameter of ``owner`` differs from ``snapshot`` after ``method``
    (a forward or backward must read its parameters, not update them)."""
    for key, before in snapshot.items():
        change = _change(before, owner.params[key]) if key in owner.params else "it was removed"
        if change is not None:
            raise _modified(where, owner, method, f"its parameter {key}", change)


def _forward_with_param(layer, key: str, array, inputs, where: str):
    """layer.forward(*inputs) with parameter ``key`` set to a copy of ``array``; the copy is compared
    with ``array`` afterwards (a forward must not write to its parameters)."""
    copy = np.array(array, copy=True)
    with _substituted(layer, key, copy):
        value = guarded(layer, "forward", *inputs, where=where)
    change = _change(np.asarray(array), copy)
    if change is not None:
        raise _modified(where, layer, "forward", f"its parameter {key}", change)
    return value


def layer_inputs(x, where: str) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
    """The layer's inputs as float64 arrays and their names: one array is the input "input"; a tuple
    (or list) of arrays is several inputs, "input[0]", "input[1]", ..., for layers y = f(x1, x2, ...)
    whose ``forward(*inputs)`` takes them in order and whose ``backward`` returns one gradient each."""
    several = isinstance(x, (tuple, list))
    arrays = tuple(x) if several else (x,)
    if several and not arrays:
        raise ValueError(f"{where}: x must be an array or a non-empty tuple of arrays, got an empty {type(x).__name__}")
    converted = []
    for k, array in enumerate(arrays):
        try:
            converted.append(np.array(array, dtype=np.float64))
        except (TypeError, ValueError) as error:
            label = f"x[{k}]" if several else "x"
            raise ValueError(f"{where}: {label} must be a real numeric array, got {type(array).__name__}: {error}") from None
    names = tuple(f"input[{k}]" for k in range(len(arrays))) if several else ("input",)
    return tuple(converted), names


def input_gradients(layer, upstream, inputs, names, where: str) -> tuple[np.ndarray, ...]:
    """``layer.backward(upstream)`` (on a copy of ``upstream``: an in-place write raises ``ArgumentModified``)
    as one gradient per input, each checked to have its input's shape (``CheckerContractError`` otherwise)."""
    gradients = guarded(layer, "backward", upstream, where=where)
    if len(inputs) > 1:
        if not isinstance(gradients, (tuple, list)) or len(gradients) != len(inputs):
            got = f"a {type(gradients).__name__} of {len(gradients)}" if isinstance(gradients, (tuple, list)) else (
                f"one {type(gradients).__name__}")
            raise CheckerContractError(f"{where}: backward must return one gradient per input ({len(inputs)}), got {got}")
    else:
        gradients = (gradients,)
    for name, array, gradient in zip(names, inputs, gradients):
        if np.shape(gradient) != array.shape:
            raise CheckerContractError(f"{where}: the gradient for {name} must have its shape {array.shape}, "
                             f"got {np.shape(gradient)}")
    return tuple(np.array(gradient) for gradient in gradients)


def parameter_gradients(owner, where: str) -> dict:
    """A copy of ``owner.grads`` after a backward, with one gradient per parameter (``CheckerContractError``, a
    ``ValueError``, naming the missing keys otherwise)."""
    grads = getattr(owner, "grads", None)
    if not isinstance(grads, dict):
        raise CheckerContractError(f"{where}: after backward, {type(owner).__name__}.grads must be a dict with a gradient "
                         f"for every parameter {list(owner.params)}, got {type(grads).__name__}")
    missing = [key for key in owner.params if key not in grads]
    if missing:
        raise CheckerContractError(f"{where}: after backward, {type(owner).__name__}.grads must hold a gradient for every "
                         f"parameter {list(owner.params)}; missing {missing}, got keys {list(grads)}")
    return {key: np.array(value, copy=True) for key, value in grads.items()}


def _replaced(inputs, k, array):
    return (*inputs[:k], array, *inputs[k + 1:])


def check_layer(layer, x, *, rng, name=None, method="central", **tolerances):
    """Check ``layer.backward`` for every input and every parameter; one report each, its ``wrt`` naming
    the gradient it covers ("input", or "input[k]" for several inputs, then each parameter key).

    The output is projected on a fixed random u, so L = sum(u * layer(x)) has dL/dy = u.
    ``x``: one array, or a tuple of arrays for a layer with several inputs (``forward(*x)``, and
    ``backward`` returning a tuple of input gradients).
    ``method``: "central", "richardson" or "complex" (the layer must accept complex input).
    """
    name = name or type(layer).__name__
    where = "check_layer"
    inputs, names = layer_inputs(x, where)
    params = params_snapshot(layer)
    projection = rng.standard_normal(np.shape(guarded(layer, "forward", *inputs, where=where)))
    guarded(layer, "forward", *inputs, where=where)
    require_params_unchanged(layer, params, "forward", where=where)
    gradients = input_gradients(layer, projection, inputs, names, where)
    require_params_unchanged(layer, params, "backward", where=where)
    analytic = parameter_gradients(layer, where)
    reports = []
    for k, (input_name, gradient) in enumerate(zip(names, gradients)):
        def of_input(array, k=k):
            return np.sum(projection * guarded(layer, "forward", *_replaced(inputs, k, array), where=where))

        reports.append(check_array(f"{name} d/d{input_name}", of_input, inputs[k], gradient, method=method,
                                   wrt=input_name, **tolerances))
    for key, value in params.items():
        def with_param(array, key=key):
            return np.sum(projection * _forward_with_param(layer, key, array, inputs, where))

        reports.append(check_array(f"{name} d/d{key}", with_param, value, analytic[key], method=method, wrt=key,
                                   **tolerances))
    return reports


def check_loss(loss, prediction, target, *, name=None, method="central", **tolerances):
    """Check ``loss.gradient`` against numeric derivatives of ``loss.value``."""
    name = name or repr(loss)
    prediction = np.array(prediction, dtype=np.float64)
    analytic = loss.gradient(prediction, target)
    return check_array(f"{name} d/dprediction", lambda array: loss.value(array, target), prediction, analytic,
                       method=method, wrt="prediction", **tolerances)


def check_model_with_loss(model, loss, x, target, *, name="network", method="central", **tolerances):
    """Check the full gradient of ``loss(model(x), target)`` w.r.t. the input and every parameter.

    The model and the loss get copies of x, the target and the upstream gradient (``guarded``): the
    references are computed from the originals, and an in-place write raises ``ArgumentModified``."""
    where = "check_model_with_loss"
    x = np.array(x, dtype=np.float64)
    params = params_snapshot(model)
    analytic = _model_gradients(model, loss, x, target, params, where)

    def of_input(array):
        return _loss_value(loss, guarded(model, "forward", array, where=where), target, where)

    def with_param(key, array):
        return _loss_value(loss, _forward_with_param(model, key, array, (x,), where), target, where)

    def table(key, pairs, reference):
        return batched.objective_table(model, loss, x, target, key, pairs, reference=reference)

    return _check_all(name, of_input, with_param, x, params, analytic, method, tolerances, table)


def _loss_value(loss, prediction, target, where: str):
    return guarded(loss, "value", prediction, target, where=where)


def _model_gradients(model, loss, x, target, params: dict, where: str) -> dict:
    """{"input": dL/dx, key: dL/dtheta} by the model's forward and backward, each handed copies
    (``guarded``) and the parameters compared with ``params`` after each call."""
    prediction = guarded(model, "forward", x, where=where)
    require_params_unchanged(model, params, "forward", where=where)
    upstream = guarded(loss, "gradient", prediction, target, where=where)
    grad_input = guarded(model, "backward", upstream, where=where)
    require_params_unchanged(model, params, "backward", where=where)
    return {"input": np.array(grad_input), **parameter_gradients(model, where)}


def _objective_at(model, loss, x, target, regularization, where="check_objective"):
    """f = (1/2C) ||theta||^2 + loss(model(x), target): seed 004's regularized objective."""
    penalty = sum(np.sum(p * p) for p in model.params.values()) / (2 * regularization)
    return _loss_value(loss, guarded(model, "forward", x, where=where), target, where) + penalty


def _objective_gradients(model, loss, x, target, regularization, where="check_objective"):
    from gradproof.numeric.rules.objective import objective_grad

    gradients = _model_gradients(model, loss, x, target, params_snapshot(model), where)
    grads = {name: objective_grad(model.params[name], gradients[name], regularization) for name in model.params}
    return gradients["input"], grads


def check_objective(model, loss, x, target, *, regularization, name="objective", method="central", **tolerances):
    """Per-entry numeric derivatives of f with respect to the input and every parameter."""
    x = np.array(x, dtype=np.float64)
    grad_input, grads = _objective_gradients(model, loss, x, target, regularization)

    def of_input(array):
        return _objective_at(model, loss, array, target, regularization)

    def with_param(key, array):
        copy = np.array(array, copy=True)
        with _substituted(model, key, copy):
            value = _objective_at(model, loss, x, target, regularization)
        change = _change(np.asarray(array), copy)
        if change is not None:
            raise _modified("check_objective", model, "forward", f"its parameter {key}", change)
        return value

    params = {key: value.copy() for key, value in model.params.items()}
    squared_norm = sum(np.sum(p * p) for p in model.params.values())

    def table(key, pairs, reference):
        flat = None if key is None else params[key].reshape(-1)

        def penalty(k, t):
            if flat is None:
                return squared_norm / (2 * regularization)
            return (squared_norm - flat[k] * flat[k] + (flat[k] + t) * (flat[k] + t)) / (2 * regularization)

        return batched.objective_table(model, loss, x, target, key, pairs, penalty=penalty, reference=reference)

    return _check_all(name, of_input, with_param, x, params, {"input": grad_input, **grads}, method, tolerances,
                      table)


from gradproof.numeric.projections import check_layer_projections, check_random_projections  # noqa: E402, F401 (re-exported)

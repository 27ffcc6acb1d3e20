"""The IQA evaluation protocol on a whole split (reference-spec section 8.4, field-notes section 4).

For predictions x and targets y of one split and domain:

* **SROCC** (Spearman), **KROCC** (Kendall tau-b), **PLCC** (Pearson) and **RMSE** on the raw
  predictions (the paper code's ``SROCC``, ``KROCC``, ``PLCC_NOFIT``, ``RMSE_NOFIT``);
* **PLCC_fit** and **RMSE_fit** after mapping the predictions onto the target scale with the
  5-parameter logistic + linear function (Sheikh et al. 2006; the paper code's ``PLCC``/``RMSE``)::

      f(x) = p0 * (expit(p1 * (x - p2)) - 0.5) + p3 * x + p4,   p3 >= 0

  which equals the paper code's ``p0 * (0.5 - 1 / (1 + exp(p1 * (x - p2)))) + |p3| * x + p4``.

The fit is ordinary least squares on plain residuals, computed on min-max normalised x and y
with the paper code's deterministic initial values ``(1, 1, median x, 1, median y)`` (and the
same with p1 = 5 and 20; the lowest residual wins, as one start can end in a local minimum),
mapped back to the original units, so RMSE and RMSE_fit are in target units (divide by
``max(y) - min(y)`` for the paper code's normalised RMSE). The optimiser is scipy's
trust-region-reflective ``least_squares`` with ``p0, p1, p3 >= 0`` as bounds, which makes every
candidate curve non-decreasing (the paper code's unbounded fit can return a curve that bends
back, and with its ``|p3|`` Levenberg-Marquardt stalls at the kink ``p3 = 0``).

**Fallback.** When the logistic fit is impossible or not trustworthy (fewer than 6 samples, the
optimiser fails or gives non-finite values, the fitted curve decreases anywhere on the data range,
or it fits worse than a straight line), a linear least-squares map ``f(x) = a x + b`` is used
instead: PLCC_fit is then the raw PLCC and RMSE_fit the RMSE of the linear map; ``fit`` says
which map was used.

**Direction.** Targets follow the project's direction (0 = reference quality, larger = worse).
Predictions are multiplied by ``prediction_sign`` first (+1 for predictors in the same
direction, which is every model of this project; -1 for a larger-is-better predictor). The sign
is configuration, never guessed from the data, so a predictor that ranks backwards reports
negative correlations.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats

QUALITY_DIRECTION = "0 = reference quality, larger = worse (distortion-like)"
"""The project's single quality direction; every dataset maps its raw scores to it and every
model predicts in it."""

FitMethod = Literal["logistic5", "linear", "none"]
SCALAR_METRICS = ("srocc", "krocc", "plcc", "rmse", "plcc_fit", "rmse_fit")
"""Metric names of :func:`evaluate`, in report order (``plcc``/``rmse`` are the raw ones)."""
MIN_SAMPLES_LOGISTIC = 6
INITIAL_SLOPES = (1.0, 5.0, 20.0)
"""Initial p1 values (normalised units) tried in turn; the first is the paper code's."""
_LOWER = np.array([0.0, 0.0, -np.inf, 0.0, -np.inf])  # p0, p1, p3 >= 0: non-decreasing


def logistic5(x: np.ndarray, p0: float, p1: float, p2: float, p3: float, p4: float) -> np.ndarray:
    """``p0 * (expit(p1 * (x - p2)) - 0.5) + |p3| * x + p4`` (increasing for p0 * p1 >= 0).

    Example:
        >>> float(logistic5(np.array(2.0), 1.0, 1.0, 2.0, 0.0, 3.0))
        3.0
    """
    return p0 * (special.expit(p1 * (x - p2)) - 0.5) + abs(p3) * x + p4


@dataclass(frozen=True)
class MonotoneFit:
    """A fitted monotone map from predictions to the target scale.

    Attributes:
        method: ``"logistic5"``, ``"linear"`` (the fallback) or ``"none"`` (no fit possible).
        params: ``(p0, p1, p2, p3, p4)`` of :func:`logistic5` in original units, with
            ``p1 >= 0`` and ``p3 >= 0``; ``(a, b)`` for the linear map; empty for ``"none"``.
        message: why the fallback was used (empty for a successful logistic fit).
    """

    method: FitMethod
    params: tuple[float, ...] = ()
    message: str = ""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.method == "logistic5":
            return logistic5(x, *self.params)
        if self.method == "linear":
            return self.params[0] * x + self.params[1]
        return np.full_like(x, np.nan)


def _linear_fit(x: np.ndarray, y: np.ndarray, message: str) -> MonotoneFit:
    if np.ptp(x) == 0:
        return MonotoneFit("none", (), f"{message}; predictions are constant")
    slope, intercept = np.polyfit(x, y, 1)
    return MonotoneFit("linear", (float(slope), float(intercept)), message)


def _is_non_decreasing(curve: MonotoneFit, x: np.ndarray, y_range: float) -> bool:
    grid = np.union1d(np.linspace(x.min(), x.max(), 1025), x)
    return bool(np.all(np.diff(curve(grid)) >= -1e-9 * y_range))


def fit_logistic5(x: np.ndarray, y: np.ndarray) -> MonotoneFit:
    """Least-squares fit of :func:`logistic5` mapping predictions ``x`` onto targets ``y``.

    Deterministic: normalised coordinates, fixed initial values, bounded trust-region least
    squares. Falls back to a linear map (see the module docstring) and says why in ``message``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) < MIN_SAMPLES_LOGISTIC:
        return _linear_fit(x, y, f"{len(x)} samples are too few for 5 parameters")
    x_min, x_range = x.min(), np.ptp(x)
    y_min, y_range = y.min(), np.ptp(y)
    if x_range == 0 or y_range == 0:
        return _linear_fit(x, y, "predictions or targets are constant")
    u, v = (x - x_min) / x_range, (y - y_min) / y_range
    solutions = []
    for slope in INITIAL_SLOPES:
        initial = np.array([1.0, slope, np.median(u), 1.0, np.median(v)])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                solution = optimize.least_squares(
                    lambda q: logistic5(u, *q) - v,
                    initial,
                    bounds=(_LOWER, np.inf),
                    method="trf",
                    max_nfev=5000,
                )
        except (ValueError, RuntimeError, FloatingPointError):  # pragma: no cover
            continue
        if solution.status > 0 and np.all(np.isfinite(solution.x)):
            solutions.append(solution)
    if not solutions:
        return _linear_fit(x, y, "logistic fit did not converge from any initial value")
    q0, q1, q2, q3, q4 = min(solutions, key=lambda s: s.cost).x
    p3 = y_range * abs(q3) / x_range
    params = (
        y_range * q0,
        q1 / x_range,
        x_min + q2 * x_range,
        p3,
        y_min + y_range * q4 - p3 * x_min,
    )
    curve = MonotoneFit("logistic5", tuple(float(p) for p in params))
    if not np.all(np.isfinite(curve(x))):
        return _linear_fit(x, y, "logistic fit gives non-finite values")
    if np.ptp(curve(x)) <= 1e-9 * y_range:  # best non-decreasing curve is flat
        return _linear_fit(x, y, "logistic fit is flat (predictions rank against the targets)")
    if not _is_non_decreasing(curve, x, y_range):
        return _linear_fit(x, y, "logistic fit is not monotone on the data range")
    linear = _linear_fit(x, y, "")
    if linear.params[0] >= 0 and _rmse(linear(x), y) < _rmse(curve(x), y) * (1 - 1e-9):
        return _linear_fit(x, y, "logistic fit is worse than a straight line (local minimum)")
    return curve


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def _correlation(function: Any, x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(function(x, y)[0])


@dataclass
class Evaluation:
    """Result of :func:`evaluate` for one split and domain."""

    n: int
    srocc: float
    krocc: float
    plcc: float
    rmse: float
    plcc_fit: float
    rmse_fit: float
    fit: MonotoneFit = field(default_factory=lambda: MonotoneFit("none"))
    prediction_sign: int = 1

    def scalars(self) -> dict[str, float]:
        """The metrics as floats (``n`` included), e.g. for logging."""
        return {"n": float(self.n), **{k: getattr(self, k) for k in SCALAR_METRICS}}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: metrics, ``fit`` method, ``fit_params``, ``fit_message``."""
        return {
            "n": self.n,
            **{k: _json_float(getattr(self, k)) for k in SCALAR_METRICS},
            "fit": self.fit.method,
            "fit_params": list(self.fit.params),
            "fit_message": self.fit.message,
            "prediction_sign": self.prediction_sign,
        }


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def evaluate(predictions: np.ndarray, targets: np.ndarray, prediction_sign: int = 1) -> Evaluation:
    """Every protocol metric of one split (see the module docstring).

    Args:
        predictions: (n,) predicted quality.
        targets: (n,) targets in the project's direction (larger = worse); NaN rows are dropped.
        prediction_sign: +1 if larger predictions mean worse quality, -1 otherwise.

    Example:
        >>> result = evaluate(np.array([0.1, 0.4, 0.2, 0.9]), np.array([1.0, 3.0, 2.0, 4.0]))
        >>> result.srocc, result.krocc, result.fit.method
        (1.0, 1.0, 'linear')
    """
    if prediction_sign not in (1, -1):
        raise ValueError(f"prediction_sign must be +1 or -1, got {prediction_sign}")
    x = prediction_sign * np.asarray(predictions, dtype=np.float64).reshape(-1)
    y = np.asarray(targets, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"predictions {x.shape} and targets {y.shape} differ in length")
    keep = np.isfinite(y) & np.isfinite(x)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        nan = math.nan
        return Evaluation(0, nan, nan, nan, nan, nan, nan, prediction_sign=prediction_sign)
    fit = fit_logistic5(x, y)
    mapped = fit(x)
    plcc = _correlation(stats.pearsonr, x, y)
    return Evaluation(
        n=len(x),
        srocc=_correlation(stats.spearmanr, x, y),
        krocc=_correlation(stats.kendalltau, x, y),
        plcc=plcc,
        rmse=_rmse(x, y),
        plcc_fit=plcc if fit.method == "linear" else _correlation(stats.pearsonr, mapped, y),
        rmse_fit=_rmse(mapped, y) if fit.method != "none" else math.nan,
        fit=fit,
        prediction_sign=prediction_sign,
    )

"""The evaluation protocol: scipy's definitions, the logistic fit, its fallback and the sign."""

import itertools

import numpy as np
import pytest
from scipy import stats

from hdr_iqa.metrics import evaluate, fit_logistic5, logistic5

TRUE_PARAMS = (2.0, 10.0, 0.4, 0.5, 1.0)


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> float:
    """Brute-force tau-b over all pairs (independent of scipy)."""
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif dx == dy:
            concordant += 1
        else:
            discordant += 1
    n_x = concordant + discordant + ties_x
    n_y = concordant + discordant + ties_y
    return (concordant - discordant) / np.sqrt(n_x * n_y)


def test_raw_metrics_match_scipy_and_first_principles():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, 40).astype(float)  # ties in the targets
    x = y + rng.normal(0, 1.5, 40)
    x[:4] = x[4]  # and in the predictions
    result = evaluate(x, y)
    assert result.n == 40
    assert result.srocc == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert result.krocc == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
    assert result.krocc == pytest.approx(kendall_tau_b(x, y), abs=1e-12)
    assert result.plcc == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    assert result.rmse == pytest.approx(np.sqrt(np.mean((x - y) ** 2)), abs=1e-12)


def test_logistic_fit_recovers_known_parameters():
    x = np.linspace(-1.0, 2.0, 60)
    fit = fit_logistic5(x, logistic5(x, *TRUE_PARAMS))
    assert fit.method == "logistic5", fit.message
    np.testing.assert_allclose(fit.params, TRUE_PARAMS, rtol=1e-4, atol=1e-6)


def test_logistic_fit_with_noise_and_any_units():
    """Affine changes of x and y change the parameters accordingly; noise costs little."""
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 300)
    y = logistic5(x, *TRUE_PARAMS) + rng.normal(0, 0.01, 300)
    fit = fit_logistic5(x, y)
    np.testing.assert_allclose(fit.params, TRUE_PARAMS, rtol=0.1)
    scaled = fit_logistic5(100 * x + 5, 3 * y - 2)
    p0, p1, p2, p3, _ = fit.params
    expected = (3 * p0, p1 / 100, 100 * p2 + 5, 3 * p3 / 100)
    np.testing.assert_allclose(scaled.params[:4], expected, rtol=1e-4)
    np.testing.assert_allclose(scaled(100 * x + 5), 3 * fit(x) - 2, atol=1e-4)
    result = evaluate(x, y)
    assert result.rmse_fit == pytest.approx(0.01, rel=0.15)
    assert result.plcc_fit > result.plcc > 0.9


def test_fit_is_deterministic_and_keeps_p1_non_negative():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    y = np.tanh(2 * x) + 0.1 * rng.normal(size=50)
    first, second = fit_logistic5(x, y), fit_logistic5(x, y)
    assert first == second and first.method == "logistic5"
    assert first.params[1] >= 0 and first.params[3] >= 0


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.arange(5.0), np.arange(5.0) ** 2, "5 samples are too few"),
        (np.zeros(10), np.arange(10.0), "constant"),
        (np.arange(10.0), -(np.arange(10.0) ** 1.5), "rank against the targets"),
    ],
)
def test_fallback_is_linear_and_says_why(x, y, message):
    fit = fit_logistic5(x, y)
    assert fit.method in ("linear", "none") and message in fit.message
    result = evaluate(x, y)
    if fit.method == "linear":
        assert result.plcc_fit == pytest.approx(result.plcc)
        slope, intercept = np.polyfit(x, y, 1)
        assert result.rmse_fit == pytest.approx(np.sqrt(np.mean((slope * x + intercept - y) ** 2)))


def test_prediction_sign_is_configuration_not_guessed():
    rng = np.random.default_rng(3)
    y = rng.uniform(size=30)
    better_is_larger = -(y + 0.05 * rng.normal(size=30))
    wrong = evaluate(better_is_larger, y)
    right = evaluate(better_is_larger, y, prediction_sign=-1)
    assert wrong.srocc < -0.9 and right.srocc > 0.9 and right.srocc == pytest.approx(-wrong.srocc)
    assert right.plcc_fit > 0.9
    with pytest.raises(ValueError, match="prediction_sign must be \\+1 or -1, got 2"):
        evaluate(y, y, prediction_sign=2)


def test_unlabelled_rows_are_dropped_and_empty_input_is_nan():
    y = np.array([0.1, np.nan, 0.3, 0.2, 0.5, 0.4, 0.9])
    x = np.array([1.0, 5.0, 3.0, 2.0, 5.0, 4.0, 9.0])
    assert evaluate(x, y).n == 6 and evaluate(x, y).srocc == pytest.approx(1.0)
    empty = evaluate(np.array([]), np.array([]))
    assert empty.n == 0 and np.isnan(empty.srocc)
    assert empty.to_dict()["srocc"] is None  # JSON-ready

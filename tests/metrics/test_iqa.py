"""The torchmetrics wrapper: whole split, duplicates from DistributedSampler padding removed."""

import numpy as np
import pytest
import torch

from hdr_iqa.metrics import IQAEvaluation, evaluate


def test_metric_equals_protocol_on_the_whole_split_in_any_batching():
    rng = np.random.default_rng(0)
    target = rng.uniform(size=23)
    prediction = target + 0.2 * rng.normal(size=23)
    expected = evaluate(prediction, target).scalars()
    metric = IQAEvaluation()
    order = rng.permutation(23)
    for chunk in np.array_split(order, 4):
        index = torch.tensor(chunk)
        metric.update(torch.tensor(prediction[chunk]), torch.tensor(target[chunk]), index)
    computed = {k: float(v) for k, v in metric.compute().items()}
    assert computed == pytest.approx(expected, rel=1e-6)
    assert metric.evaluation.fit.method == "logistic5"


def test_padded_duplicates_do_not_count():
    """DistributedSampler repeats samples so that every rank gets as many; they count once."""
    target = torch.linspace(0, 1, 9)
    prediction = target**2
    metric = IQAEvaluation()
    metric.update(prediction, target, torch.arange(9))
    metric.update(prediction[:3], target[:3], torch.arange(3))  # padding
    assert float(metric.compute()["n"]) == 9
    reference = evaluate(prediction.numpy(), target.numpy())
    assert float(metric.compute()["rmse_fit"]) == pytest.approx(reference.rmse_fit, abs=1e-6)

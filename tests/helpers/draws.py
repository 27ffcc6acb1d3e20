"""The score of each seeded patch draw of a pair, scored alone (the API's image score is their
mean): what tests compare an image score with, so that keeping one draw cannot pass."""

from __future__ import annotations

import torch


def per_draw_scores(model, dist, ref=None, display=None) -> list[float]:
    """Scores of the pair's draws 0..R-1 (``model.patching``), each as a batch of one draw."""
    pixels, shown = model.prepare(dist, ref, display)
    height, width = pixels.shape[1:3]
    scores = []
    with torch.inference_mode():
        for repeat in range(model.patching.draws):
            draw = model.patching.positions(height, width, repeat)
            batch = model.scorer._batch(pixels, [draw], shown.params())
            scores.append(float(model.module(batch)[0]))
    return scores

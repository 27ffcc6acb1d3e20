"""The score of each seeded patch draw of a pair, scored alone (the API's image score is their
mean): what tests compare an image score with, so that keeping one draw cannot pass."""

from __future__ import annotations

import torch


def per_draw_scores(model, dist, ref=None, display=None) -> list[float]:
    """Scores of the pair's draws 0..R-1 (``model.protocol``), each as a batch of one draw."""
    pixels, shown = model.prepare(dist, ref, display)
    ref_patches, dist_patches, pos, params = model.inputs(pixels, shown)
    scores = []
    with torch.inference_mode():
        for r in range(model.protocol.draws):
            one = (
                None if ref_patches is None else ref_patches[:, r : r + 1],
                dist_patches[:, r : r + 1],
            )
            scores.append(float(model.pipeline.score(*one, pos[:, r : r + 1], params)[0]))
    return scores

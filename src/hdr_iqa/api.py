"""Python API: load a trained checkpoint and score image pairs.

    >>> from hdr_iqa import load_model
    >>> model = load_model("logs/train/runs/<run>/checkpoints/last.ckpt")   # doctest: +SKIP
    >>> model.score("dist.exr", "ref.exr")                  # HDR files, cd/m^2  # doctest: +SKIP
    0.0731
    >>> model.score("dist.png", "ref.png", display="sdr_100")                    # doctest: +SKIP
    0.1215

Scores follow the project's direction: 0 = reference quality, larger = worse, on the scale of
the training targets (:attr:`IQAPredictor.score_units`). Metrics without training load by name:
``load_model("pu_ssim").score("dist.exr", "ref.exr")`` gives 1 - SSIM of the PU21-encoded pair.
The same pair gives the same score on every call, and the same score as
``python -m hdr_iqa.predict`` and ``python -m hdr_iqa.eval``.
"""

from hdr_iqa.inference.predictor import IQAPredictor, load_baseline, load_model, resolve_device
from hdr_iqa.photometry import DisplayModel

__all__ = ["DisplayModel", "IQAPredictor", "load_baseline", "load_model", "resolve_device"]

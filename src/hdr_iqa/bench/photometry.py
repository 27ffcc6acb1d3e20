"""Throughput of the photometric chain (display model + PU21 + normalisation) on large frames."""

from __future__ import annotations

import time

import torch

from hdr_iqa.photometry import DisplayModel, PhotometricChain


def chain_throughput(
    chain: PhotometricChain, height: int, width: int, device: torch.device, repeats: int = 3
) -> dict[str, float]:
    """Megapixels (3 channels each) per second of ``chain`` on one height x width frame.

    Measured on an SDR frame (uint8 on a 100 cd/m^2 display: the 8-bit lookup), an HDR frame
    (float32 cd/m^2 over [0.005, 10000]) and PQ and HLG frames (float32 code values in [0, 1] on
    the ``hdr_pq`` / ``hdr_hlg`` displays: the display model itself), each with the fast CPU
    path (``blocked``) and the vectorised one.
    """
    from hdr_iqa.inference.inputs import display_preset

    generator = torch.Generator().manual_seed(0)
    shape = (1, 3, height, width)
    sdr = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
    hdr = 10 ** (torch.rand(shape, generator=generator) * 6.3 - 2.3)
    codes = torch.rand(shape, generator=generator)
    frames = {"sdr": sdr, "hdr": hdr, "pq": codes, "hlg": codes}
    displays = {
        "sdr": DisplayModel(peak=100.0, ambient=0.0).params()[None],
        "hdr": DisplayModel.absolute_luminance().params()[None],
        "pq": display_preset("hdr_pq").params()[None],
        "hlg": display_preset("hdr_hlg").params()[None],
    }
    chain = chain.to(device).eval()
    results = {}
    blocked = chain.blocked
    try:
        for name, frame in frames.items():
            frame, display = frame.to(device), displays[name].to(device)
            for path in ("blocked", "vectorised") if device.type == "cpu" else ("vectorised",):
                chain.blocked = path == "blocked"
                seconds = _best_time(lambda f=frame, d=display: chain(f, d), device, repeats)
                results[f"{name}_{path}_mpix_per_s"] = height * width / seconds / 1e6
    finally:
        chain.blocked = blocked
    return results


def _best_time(function, device: torch.device, repeats: int) -> float:
    """Best of ``repeats`` timed calls after one warm-up call, in seconds."""
    function()
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        function()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best

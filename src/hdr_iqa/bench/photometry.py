"""Throughput of the photometric chain (display model + PU21 + normalisation) on large frames."""

from __future__ import annotations

import time

import torch

from hdr_iqa.photometry import DisplayModel, PhotometricChain


def chain_throughput(
    chain: PhotometricChain, height: int, width: int, device: torch.device, repeats: int = 3
) -> dict[str, float]:
    """Megapixels (3 channels each) per second of ``chain`` on one height x width frame.

    Measured on an SDR frame (uint8 on a 100 cd/m^2 display) and an HDR frame (float32 cd/m^2
    over [0.005, 10000]), each with the fast CPU path (``blocked``) and the vectorised one.
    """
    generator = torch.Generator().manual_seed(0)
    sdr = torch.randint(0, 256, (1, 3, height, width), dtype=torch.uint8, generator=generator)
    hdr = 10 ** (torch.rand((1, 3, height, width), generator=generator) * 6.3 - 2.3)
    displays = {
        "sdr": DisplayModel(peak=100.0, ambient=0.0).params()[None],
        "hdr": DisplayModel.absolute_luminance().params()[None],
    }
    chain = chain.to(device).eval()
    results = {}
    blocked = chain.blocked
    try:
        for name, frame in (("sdr", sdr), ("hdr", hdr)):
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

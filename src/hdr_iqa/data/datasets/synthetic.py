"""The embedded synthetic SDR + HDR dataset, generated from scikit-image's sample images.

Generated deterministically on first use into ``root`` (default ``${paths.data_dir}/synthetic``)::

    root/manifest.json            generator settings, records, SHA-256 of every file
    root/sdr/<ref>.png            display-encoded references (8-bit sRGB, 100 cd/m^2 display)
    root/sdr/<ref>__<kind>_<level>.png
    root/hdr/<ref>.exr            absolute luminance (cd/m^2, half float), highlights to 1.5-4k
    root/hdr/<ref>__<kind>_<level>.exr

16 references x 5 distortion kinds x 3 levels per domain (240 SDR + 240 HDR pairs). SDR: Gaussian
noise, blur, JPEG, contrast loss, quantisation. HDR: signal-dependent noise that shows in dark
regions, highlight clipping, log-luminance banding, a tone-curve change, blur in linear light.

Label of every pair: a small visible-difference model on absolute luminance Y (SDR pairs shown on
the ``sdr_100`` display): PU21 encoding (luminance adaptation), band-pass channels weighted by a
contrast sensitivity, contrast masking by the reference, Minkowski pooling and a saturating map
(:func:`~hdr_iqa.data.datasets._synthetic_content.quality_label`); 0 for identical images,
larger = worse. No shipped baseline computes it, so the baselines' scores on this data are a
fair comparison for a trained model.
The manifest is written last, so a generation that is killed leaves nothing behind; a file whose
checksum does not match is reported by name (files are hashed once per process, see
:func:`load_manifest`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np

from hdr_iqa.data.datasets import _synthetic_content as content
from hdr_iqa.data.records import Domain, PairRecord
from hdr_iqa.errors import ConfigError, DataError, MissingFileError
from hdr_iqa.io import read_image, write_image
from hdr_iqa.photometry import DisplayModel
from hdr_iqa.utils.files import atomic_write_text, sha256_file

log = logging.getLogger(__name__)
FORMAT_VERSION = 2  # 2: visible-difference labels (1: 1 - PU-SSIM)
MANIFEST = "manifest.json"


class SyntheticIQA:
    """One domain (``sdr`` or ``hdr``) of the synthetic dataset.

    Args:
        root: dataset directory; generated there on first use when ``generate`` is true.
        domain: ``"sdr"`` (display-encoded PNG) or ``"hdr"`` (EXR in cd/m^2).
        display: display of the SDR images (ignored for HDR, which is absolute luminance).
        name: name in metric keys (defaults to the domain).
        generate: create the dataset if ``root`` has none; if false a missing dataset is an error.
        height, width, seed: generator settings (changing them regenerates nothing: delete
            ``root`` first).
    """

    files_verified = True
    """Every file's SHA-256 is checked against the manifest, and the generator wrote only valid
    pixels, so ``data.verify`` skips this dataset (:mod:`hdr_iqa.data.verify`)."""

    def __init__(
        self,
        root: str | Path,
        domain: Domain,
        display: DisplayModel | None = None,
        name: str | None = None,
        generate: bool = True,
        height: int = 192,
        width: int = 256,
        seed: int = 0,
    ) -> None:
        if domain not in ("sdr", "hdr"):
            raise ConfigError(f"synthetic dataset domain must be 'sdr' or 'hdr', got {domain!r}")
        if domain == "sdr" and display is None:
            raise ConfigError("the synthetic SDR dataset needs a display (e.g. display=sdr_100)")
        self.root = Path(root)
        self.domain = domain
        self.display = display if domain == "sdr" else DisplayModel.absolute_luminance()
        self.name = name or domain
        self.generate = generate
        self.settings = {"height": height, "width": width, "seed": seed}

    def prepare(self) -> None:
        """Generate the dataset if it is missing (safe to call from several processes)."""
        if (self.root / MANIFEST).is_file():
            return
        if not self.generate:
            raise MissingFileError(
                f"synthetic dataset not found: {self.root} has no {MANIFEST} (set paths.data_dir "
                "to the directory that holds it, or generate=true to create it)"
            )
        generate_synthetic(self.root, **self.settings)

    def records(self) -> list[PairRecord]:
        """This domain's pairs (generated if missing, checksums verified); score 0 = identical."""
        self.prepare()
        manifest = load_manifest(self.root)
        return [
            PairRecord(
                ref=str(self.root / item["ref"]),
                dist=str(self.root / item["dist"]),
                score=float(item["score"]),
                content=item["content"],
                display=self.display,
                domain=self.domain,
                meta={"distortion": item["distortion"], "level": item["level"]},
            )
            for item in manifest["records"]
            if item["domain"] == self.domain
        ]


def load_manifest(root: Path) -> dict:
    """Read and verify the manifest: format version and every file's SHA-256.

    The files are hashed once per process: while the manifest and every file keep their size
    and modification time, later loads (the other domain, the next run in the same process)
    reuse that verification.
    """
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DataError(
            f"{path}: unreadable manifest ({error}); delete {root} to regenerate"
        ) from error
    if manifest.get("format") != FORMAT_VERSION:
        raise DataError(
            f"{path}: format {manifest.get('format')!r}, expected {FORMAT_VERSION}; "
            f"delete {root} to regenerate"
        )
    signature = _stat_signature(root, [MANIFEST, *manifest["sha256"]])
    if signature is not None and _VERIFIED.get(root.resolve()) == signature:
        return manifest
    for relative, expected in manifest["sha256"].items():
        file = root / relative
        if not file.is_file():
            raise DataError(f"{file}: listed in {path} but missing; delete {root} to regenerate")
        if sha256_file(file) != expected:
            raise DataError(
                f"{file}: contents do not match the checksum in {path} (corrupt or modified); "
                f"delete {root} to regenerate"
            )
    if signature is not None:
        _VERIFIED[root.resolve()] = signature
    return manifest


_VERIFIED: dict[Path, tuple] = {}
"""Dataset roots verified in this process -> the (file, size, mtime) signature they had."""


def _stat_signature(root: Path, relatives: list[str]) -> tuple | None:
    """(file, size, modification time in ns) of each file; None if one cannot be read."""
    try:
        stats = [(relative, (root / relative).stat()) for relative in relatives]
    except OSError:
        return None
    return tuple((relative, st.st_size, st.st_mtime_ns) for relative, st in stats)


def generate_synthetic(root: Path, height: int = 192, width: int = 256, seed: int = 0) -> Path:
    """Write the dataset into ``root`` (built in a temporary sibling, then renamed)."""
    root = Path(root)
    tmp = root.parent / f".{root.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write_dataset(tmp, height, width, seed)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        tmp.rename(root)
    except OSError:  # another process finished first, or root exists without a manifest
        shutil.rmtree(tmp, ignore_errors=True)
        if not (root / MANIFEST).is_file():
            raise DataError(
                f"{root} exists but holds no {MANIFEST}; remove it to generate the dataset"
            ) from None
    return root


def _write_dataset(tmp: Path, height: int, width: int, seed: int) -> None:
    log.info("generating the synthetic SDR+HDR dataset in %s", tmp)
    rng = np.random.default_rng(seed)
    records, checksums = [], {}

    def save(relative: str, pixels: np.ndarray) -> np.ndarray:
        write_image(tmp / relative, pixels)
        checksums[relative] = sha256_file(tmp / relative)
        return read_image(tmp / relative, warn_relative=False)  # labels use what is stored

    for file_name in content.REFERENCE_FILES:
        stem = Path(file_name).stem
        sdr_ref = save(f"sdr/{stem}.png", content.load_reference(file_name, height, width))
        peak = float(rng.uniform(1500.0, 4000.0))
        hdr_ref = save(f"hdr/{stem}.exr", content.expand_to_hdr(sdr_ref, peak).astype(np.float16))
        sdr_lum = content.sdr_luminance(sdr_ref)
        for domain, distortions in (
            ("sdr", content.SDR_DISTORTIONS),
            ("hdr", content.HDR_DISTORTIONS),
        ):
            suffix = ".png" if domain == "sdr" else ".exr"
            for kind, levels in distortions.items():
                for level, base in enumerate(levels, start=1):
                    param = base * float(np.exp(rng.uniform(-0.2, 0.2)))
                    relative = f"{domain}/{stem}__{kind}_{level}{suffix}"
                    if domain == "sdr":
                        dist = save(relative, content.distort_sdr(sdr_ref, kind, param, rng))
                        score = content.quality_label(sdr_lum, content.sdr_luminance(dist))
                    else:
                        pixels = content.distort_hdr(hdr_ref, kind, param, rng)
                        dist = save(relative, pixels.astype(np.float16))
                        score = content.quality_label(hdr_ref, dist)
                    records.append({
                        "ref": f"{domain}/{stem}{suffix}", "dist": relative, "domain": domain,
                        "content": f"synthetic/{stem}", "distortion": kind, "level": level,
                        "param": round(param, 6), "score": round(score, 8),
                    })  # fmt: skip
    manifest = {
        "format": FORMAT_VERSION,
        "generator": {"height": height, "width": width, "seed": seed},
        "quality_direction": "0 = reference quality, larger = worse",
        "label": "visible-difference model: PU21(Y), band-pass CSF weights, contrast masking, "
        "Minkowski pooling, 1 - exp(-d / s) (hdr_iqa.data.datasets._synthetic_content)",
        "records": records,
        "sha256": checksums,
    }
    atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=1) + "\n")

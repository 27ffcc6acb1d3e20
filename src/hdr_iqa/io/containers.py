"""Which container a file really holds, from its first bytes (not its suffix).

The suffix decides how a file is read and in what units (display-encoded or cd/m^2), so a file
whose bytes are of another format (a JPEG saved as ``.png``, an EXR renamed to ``.png``) or that
is empty is reported by name before any decoder sees it.
"""

from __future__ import annotations

from pathlib import Path

from hdr_iqa.errors import DataError

SIGNATURES: tuple[tuple[str, tuple[bytes, ...]], ...] = (
    ("PNG", (b"\x89PNG",)),
    ("JPEG", (b"\xff\xd8\xff",)),
    ("BMP", (b"BM",)),
    ("TIFF", (b"II*\x00", b"MM\x00*")),
    ("OpenEXR", (b"\x76\x2f\x31\x01",)),
    ("Radiance", (b"#?",)),
    ("PFM", (b"PF", b"Pf")),
)
"""Container name -> the byte strings a file of it starts with."""

SUFFIX_CONTAINER = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF",
    ".tiff": "TIFF", ".exr": "OpenEXR", ".hdr": "Radiance", ".pfm": "PFM",
}  # fmt: skip
_SUFFIXES = {
    name: sorted(s for s, n in SUFFIX_CONTAINER.items() if n == name) for name, _ in SIGNATURES
}


def sniff_container(head: bytes) -> str | None:
    """The container (e.g. ``"PNG"``) whose signature ``head`` (a file's first bytes) starts
    with, or None.

    Example:
        >>> sniff_container(b"\\x89PNG\\r\\n..."), sniff_container(b"hello")
        ('PNG', None)
    """
    for name, signatures in SIGNATURES:
        if head.startswith(signatures):
            return name
    return None


def check_container(path: Path) -> None:
    """A DataError naming ``path`` if it is empty or its bytes are not of its suffix's format."""
    expected = SUFFIX_CONTAINER.get(path.suffix.lower())
    with open(path, "rb") as handle:
        head = handle.read(16)
    if not head:
        raise DataError(f"{path}: empty file (0 bytes), not a {expected or path.suffix} image")
    found = sniff_container(head)
    if expected is None or found == expected:
        return
    if found is None:
        raise DataError(
            f"{path}: not a {expected} file (it starts with {head[:8]!r}; the file is corrupt "
            f"or of an unsupported kind)"
        )
    raise DataError(
        f"{path}: holds {found} data, but its suffix {path.suffix!r} says {expected}; rename it "
        f"to {' or '.join(_SUFFIXES[found])}"
    )

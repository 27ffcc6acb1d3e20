"""What the dataset readers share: root, display, cached records, optional split hooks."""

from __future__ import annotations

from pathlib import Path

from hdr_iqa.data.datasets._files import require_dir
from hdr_iqa.data.datasets._scores import ScoreScale
from hdr_iqa.errors import ConfigError
from hdr_iqa.photometry import DisplayModel


class FolderDataset:
    """A published dataset read from its unchanged folder ``root``.

    Subclasses set ``title`` and ``score_scale`` and implement ``_read()``. Records are read once
    and cached. Optional hooks used by the data module:

    * ``official_splits()``: the dataset's published train/val/test content ids
      (``data.split=official``);
    * ``fold_strata()``: ordered groups of content ids permuted separately for k-fold
      (default: one group of all content ids).
    """

    title = "dataset"
    score_scale: ScoreScale | None = None

    def __init__(self, root: str | Path, name: str, display: DisplayModel | None) -> None:
        self.root = Path(root).expanduser()
        self.name = name
        self.display = display
        self._records: list | None = None

    def records(self) -> list:
        """The dataset's records (read once, cached; a MissingFileError if ``root`` is missing)."""
        if self._records is None:
            require_dir(self.root, f"{self.title} root")
            self._records = self._read()
        return list(self._records)

    def _read(self) -> list:
        raise NotImplementedError

    def _sdr_display(self) -> DisplayModel:
        """The display of display-encoded images (a ConfigError if none was configured)."""
        if self.display is None or self.display.absolute:
            raise ConfigError(
                f"{self.title} ({self.name}) holds display-encoded images and needs a display "
                f"model (e.g. display=sdr_100), got {self.display}"
            )
        return self.display

import pytest

from hdr_iqa.photometry import DisplayModel


@pytest.fixture
def display() -> DisplayModel:
    return DisplayModel(peak=100.0, contrast=1000.0, gamma=2.2, ambient=100.0)

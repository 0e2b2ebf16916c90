"""A file named .hepmc that is not HepMC is reported as such, not as a truncated HepMC file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from susyscan.errors import EventFileError
from susyscan.ingest.hepmc import read_hepmc


def _random_bytes(n: int) -> bytes:
    return np.random.default_rng(3).integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("content", [_random_bytes(5000), b"<LesHouchesEvents version=\"3.0\">\n<event>\n" * 20,
                                     b"\x89HDF\r\n\x1a\n" + _random_bytes(100)])
def test_random_file_is_not_hepmc(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "events.hepmc"
    path.write_bytes(content)
    with pytest.raises(EventFileError, match="events.hepmc: not a HepMC file") as err:
        read_hepmc(path)
    assert "truncated" not in str(err.value)


def test_gzipped_random_file_is_not_hepmc(tmp_path: Path) -> None:
    path = tmp_path / "events.hepmc3.gz"
    path.write_bytes(gzip.compress(_random_bytes(5000)))
    with pytest.raises(EventFileError, match="not a HepMC file"):
        read_hepmc(path)


def test_gz_name_without_gzip(tmp_path: Path) -> None:
    path = tmp_path / "events.hepmc.gz"
    path.write_bytes(b"HepMC::Version 3.02.06\nHepMC::Asciiv3-START_EVENT_LISTING\n")
    with pytest.raises(EventFileError, match="named .gz but not gzip-compressed"):
        read_hepmc(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "events.hepmc"
    path.write_bytes(b"")
    with pytest.raises(EventFileError, match="events.hepmc: the file is empty"):
        read_hepmc(path)


def test_header_but_cut_off_is_still_truncated(tmp_path: Path) -> None:
    path = tmp_path / "events.hepmc"
    path.write_bytes(b"\nHepMC::Version 3.02.06\nHepMC::Asciiv3-START_EVENT_LISTING\nE 0 2 5\n")
    with pytest.raises(EventFileError, match="truncated"):
        read_hepmc(path)

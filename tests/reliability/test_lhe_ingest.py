"""Bad LHE files through the ingestion stage (shower + detector + event file).

The LHE reader's own errors are unit-tested in tests/ingest; here ``ingest_file`` (what the
``ingest_chunk`` rule runs) must fail naming the file and write no event file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from susyscan.errors import EventFileError
from susyscan.ingest import ingest_file

REPO = Path(__file__).resolve().parents[2]
TTBAR = REPO / "tests/data/events/pylhe-testfile-pythia-6.413-ttbar.lhe"
CARD = REPO / "resources/detector/atlas.yaml"


def _ingest(path: Path, out: Path, n_events: int = 5) -> dict:
    return ingest_file(path, out / "chunk0.root", {"sample": "user_ttbar", "process": "user", "chunk": 0},
                       card_path=CARD, xsec_pb=1.0, xsec_source="test", n_events=n_events,
                       require_particle_level=True)


def _events_block(text: str, index: int) -> tuple[int, int]:
    """Character span of the ``index``-th <event> block."""
    start = -1
    for _ in range(index + 1):
        start = text.index("<event>", start + 1)
    return start, text.index("</event>", start) + len("</event>")


def test_good_file_ingests(tmp_path: Path) -> None:
    meta = _ingest(TTBAR, tmp_path / "out")
    assert meta["n_events"] == 5 and (tmp_path / "out/chunk0.root").exists()


@pytest.mark.parametrize("where", ["header", "mid_event", "after_event"])
def test_truncated_lhe(tmp_path: Path, files_in, where: str) -> None:
    text = TTBAR.read_text()
    start, stop = _events_block(text, 2)
    cut = {"header": text.index("<init>") + 20, "mid_event": (start + stop) // 2, "after_event": stop}[where]
    bad = tmp_path / f"cut_{where}.lhe"
    bad.write_text(text[:cut])
    out = tmp_path / "out"
    with pytest.raises(EventFileError, match=bad.name):
        _ingest(bad, out, n_events=10)
    assert not out.exists() or files_in(out) == []


def test_malformed_particle_line(tmp_path: Path, files_in) -> None:
    text = TTBAR.read_text()
    start, stop = _events_block(text, 1)
    block = text[start:stop].splitlines()
    fields = block[3].split()
    fields[6] = "not_a_number"  # px of a particle
    block[3] = " ".join(fields)
    bad = tmp_path / "malformed.lhe"
    bad.write_text(text[:start] + "\n".join(block) + text[stop:])
    out = tmp_path / "out"
    with pytest.raises(EventFileError, match="malformed.lhe"):
        _ingest(bad, out)
    assert not out.exists() or files_in(out) == []


def test_empty_and_non_lhe_files(tmp_path: Path, files_in) -> None:
    out = tmp_path / "out"
    for name, content in (("empty.lhe", ""), ("text.lhe", "hello\n" * 50), ("noevents.lhe", None)):
        path = tmp_path / name
        if content is None:  # a valid header and no event at all
            text = TTBAR.read_text()
            content = text[: text.index("<event>")] + "</LesHouchesEvents>\n"
        path.write_text(content)
        with pytest.raises(EventFileError, match=name):
            _ingest(path, out)
    assert not out.exists() or files_in(out) == []

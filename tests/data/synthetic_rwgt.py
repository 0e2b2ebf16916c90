"""Add synthetic LHEF 3 muR/muF weights to an LHE file (a test fixture, not physics).

Each event gets the nine MadGraph-style scale variations as ``<rwgt>`` weights equal to its own XWGTUP times a
fixed factor per variation (:data:`FACTORS`), declared in an ``<initrwgt>`` block of the header (the file marked LHEF version 3.0, which Pythia needs to read
them). With constant
factors the 7-point envelope of any selection is known in advance: up = 1.08 x, down = 0.93 x the nominal yield
((0.5, 2) and (2, 0.5), 1.5 and 0.5, must stay out of it). Used where the workflow needs an ingested sample with
scale weights and the reference files with real weights (wbj, POWHEG hvq) select no events.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

#: (muR, muF) -> weight / XWGTUP.
FACTORS: dict[tuple[float, float], float] = {
    (1.0, 1.0): 1.0, (1.0, 2.0): 0.97, (1.0, 0.5): 1.04, (2.0, 1.0): 0.95, (2.0, 2.0): 0.93,
    (2.0, 0.5): 0.5, (0.5, 1.0): 1.06, (0.5, 2.0): 1.5, (0.5, 0.5): 1.08,
}
ENVELOPE_UP, ENVELOPE_DOWN = 1.08, 0.93


def add_scale_weights(source: Path, target: Path) -> Path:
    """Copy the (optionally gzipped) LHE file ``source`` to plain-text ``target`` with the weights added."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as handle:
        text = handle.read()
    ids = {scales: str(1001 + i) for i, scales in enumerate(FACTORS)}
    group = "\n".join(f"      <weight id=\"{ids[s]}\"> muR={s[0]:.5E} muF={s[1]:.5E} </weight>" for s in FACTORS)
    init = (f"  <initrwgt>\n    <weightgroup type=\"scale_variation\" combine=\"envelope\">\n{group}\n"
            "    </weightgroup>\n  </initrwgt>\n")
    text = text.replace("</header>", init + "  </header>", 1)
    text = re.sub(r'<LesHouchesEvents version="[0-9.]+">', '<LesHouchesEvents version="3.0">', text, count=1)

    def with_rwgt(match: re.Match[str]) -> str:
        body = match.group(1)
        xwgtup = float(body.strip().splitlines()[1].split()[2])
        wgts = "\n".join(f"   <wgt id=\"{ids[s]}\"> {xwgtup * f:.8E} </wgt>" for s, f in FACTORS.items())
        return f"<event{body}  <rwgt>\n{wgts}\n  </rwgt>\n</event>"

    text, n = re.subn(r"<event(.*?)</event>", with_rwgt, text, flags=re.DOTALL)
    if not n:
        raise ValueError(f"{source}: no events")
    target.write_text(text)
    return target

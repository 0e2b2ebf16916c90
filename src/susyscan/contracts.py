"""Table contracts between stages, defined once: the scan writes these tables, statistics and plots read them.

Per-point signal yields (``results/scan/<analysis>/yields/<point>.csv``): one row per signal region with
:data:`YIELD_COLUMNS`. Background yields (``background_yields.csv``): :data:`BACKGROUND_COLUMNS` per region
and process, plus one :data:`TOTAL` row per region. Background scale envelopes (``background_scale_envelopes.csv``, written
when ``statistics.scale_envelope_scenarios`` is set): :data:`SCALE_ENVELOPE_COLUMNS` per region and process with
muR/muF weights. ``cls.csv`` adds a :data:`BEST` region per point (the region
of lowest expected CLs); contours are drawn at :data:`CLS_LEVEL`.
"""

from __future__ import annotations

#: Columns of one region's yield (signal point or background process).
REGION_YIELD_COLUMNS: tuple[str, ...] = ("region", "yield_pb", "stat_pb", "n_raw")
#: Columns of a per-point signal yield table.
YIELD_COLUMNS: tuple[str, ...] = (*REGION_YIELD_COLUMNS, "m_parent", "m_lsp")
#: Columns every background yield table has (``min/max_event_weight_pb`` follow in tables of the scan).
BACKGROUND_COLUMNS: tuple[str, ...] = ("region", "process", "yield_pb", "stat_pb", "n_raw")
#: Columns of the per-region muR/muF envelope of a background process (``yield_pb``: nominal yield of its samples
#: with scale weights; ``up_pb``/``down_pb``: largest/smallest of the 7-point variations and the nominal).
SCALE_ENVELOPE_COLUMNS: tuple[str, ...] = ("region", "process", "yield_pb", "up_pb", "down_pb", "n_variations",
                                           "samples")
#: ``process`` of the rows summing all background processes.
TOTAL = "total"
#: ``region`` of the rows of ``cls.csv`` holding the best expected region of each point.
BEST = "best"
#: CLs value at which a point is excluded (95 % CL).
CLS_LEVEL = 0.05

"""Columns the dataset preparation reads besides the model inputs (which come from the analysis spec)."""

from __future__ import annotations

#: Columns the dataset preparation reads besides the model inputs.
META_COLUMNS: tuple[str, ...] = ("weight_pb", "sample", "process", "is_signal", "m_parent", "m_lsp")

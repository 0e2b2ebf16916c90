"""Reconstructed event file I/O (uproot) following the contract of docs/architecture.md."""

from susyscan.eventio.reader import read_alt_weights, read_events, read_metadata, required_branches_check
from susyscan.eventio.schema import ALT_WEIGHT_PREFIX, BRANCHES, METADATA_KEYS, TREE_NAME
from susyscan.eventio.writer import write_events

__all__ = ["ALT_WEIGHT_PREFIX", "BRANCHES", "METADATA_KEYS", "TREE_NAME", "read_alt_weights", "read_events", "read_metadata", "required_branches_check", "write_events"]

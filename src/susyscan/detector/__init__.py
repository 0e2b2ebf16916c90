"""Parametric ATLAS-like detector simulation (efficiencies and resolutions from a Delphes-derived card)."""

from susyscan.detector.card import DEFAULT_CARD, DetectorCard, load_card
from susyscan.detector.simulate import simulate

__all__ = ["DEFAULT_CARD", "DetectorCard", "load_card", "simulate"]

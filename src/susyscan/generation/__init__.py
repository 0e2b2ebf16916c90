"""Pythia 8 event generation: process registry, SLHA spectra, cross sections, chunk seeds and chunks."""

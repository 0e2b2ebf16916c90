"""Squark + electroweakino analysis with particle-flow networks (arXiv:2411.00093)."""

"""Plots: cutflows, ROC/score/loss curves, exclusion contours (matplotlib + mplhep)."""

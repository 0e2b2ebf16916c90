"""Surrogate efficiency models: truth-level features -> probability that an event enters each signal region.

Stages (docs/surrogate.md): truth features at Pythia's process level (``truth``, ``contract``), labels from the
full chain joined per event (``labels``), one xgboost binary model per region merged into one ONNX graph
(``train``, ``onnx_merge``), the domain guard (``domain``), validation on training and held-out mass points
(``validate``), the reinterpretation bundle (``bundle``) and the fast scan with hard-process-only generation
(``fastscan``, ``compare``).
"""

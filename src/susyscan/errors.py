"""Exceptions raised for bad input. Every message names the file, sample, field or cut at fault."""

from __future__ import annotations


class SusyScanError(ValueError):
    """Base class of the package's input errors."""


class ConfigError(SusyScanError):
    """The configuration is invalid (schema or semantic check)."""


class EventFileError(SusyScanError):
    """An event file is missing, truncated, corrupt, or lacks a required branch."""


class UnknownSampleError(SusyScanError):
    """A sample or process name is not declared."""


class CrossSectionRangeError(SusyScanError):
    """A mass point lies outside the tabulated cross-section range."""


class EmptySelectionError(SusyScanError):
    """A selection left no events where events are required."""


class FeatureError(SusyScanError):
    """Features are missing, NaN or infinite, or do not match a model's inputs."""


class ModelMetadataError(SusyScanError):
    """An exported model's metadata does not match what the caller expects."""

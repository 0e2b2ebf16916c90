"""Recasts of published LHC searches: our signal through the published selection, the published
backgrounds and observed counts as the statistical model (observed and expected CLs, small excesses)."""

"""Statistics: one-bin pyhf models, expected/observed CLs, upper limits, workspaces and patchsets."""

"""Snakemake script of every rule of workflow/rules/recast.smk: dispatches on the rule name to
susyscan.recast.steps."""

from susyscan.logutil import script_logging
from susyscan.recast import steps

snakemake = globals()["snakemake"]
script_logging(snakemake)
inp, out, par = snakemake.input, snakemake.output, snakemake.params
rule = snakemake.rule
if rule == "recast_select":
    steps.select(inp.events, inp.config, out.counts)
elif rule == "recast_yields":
    steps.yields(list(inp.counts), inp.config, snakemake.wildcards.grid, out.yields, out.cutflow)
elif rule == "recast_limits":
    steps.limits(list(inp.yields), inp.config, par.constraint, float(par.level), par.pseudo, par.inject,
                 int(par.seed), out.regions, out.best, out.excess)
elif rule == "recast_upper_limits":
    steps.upper_limits(inp.config, par.constraint, par.s95, out.csv, out.md)
elif rule == "recast_plots":
    steps.plots(inp.best, par.title, float(par.level), list(out.contour), list(out.excess), out.lines,
                snakemake.wildcards.grid)
elif rule == "recast_multi":
    steps.multi(list(inp.best), out[0])
elif rule == "recast_refine":
    steps.refine(inp.best, dict(par.settings), out.proposal, snakemake.wildcards.grid)
else:
    raise ValueError(f"scripts/recast_step.py: no step for rule {rule!r}")

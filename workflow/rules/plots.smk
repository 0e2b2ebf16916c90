# Exclusion contours (CLs = 0.05) per luminosity, and the mass-reach table.


rule contours:
    input:
        cls="results/limits/{analysis}/cls.csv",
    output:
        plots=report(
            expand("results/plots/{{analysis}}/contour_{lumi}ifb.{fmt}", lumi=LUMIS, fmt=config["plots"]["formats"]),
            category="Contours",
            caption="../report/contour.rst",
        ),
        reach=report("results/plots/{analysis}/mass_reach.csv", category="Contours", caption="../report/mass_reach.rst"),
    params:
        luminosities_ifb=config["statistics"]["luminosities_ifb"],
        formats=config["plots"]["formats"],
        outdir="results/plots/{analysis}",
    log:
        "logs/plots/{analysis}/contours.log",
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/plot_contours.py"

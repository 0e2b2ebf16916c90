# Expected exclusion per luminosity: the headline figure (contour_{lumi}ifb), the per-region detail
# (contour_{lumi}ifb_regions), and the mass-reach table, per result set (common.smk RESULT_SETS).


rule contours:
    wildcard_constraints:
        analysis=_alternatives(RESULT_SETS),
    input:
        cls=R("limits/{analysis}/cls.csv"),
        analysis_config=analysis_config,
    output:
        plots=report(
            expand(R("plots/{{analysis}}/contour_{lumi}ifb.{fmt}"), lumi=LUMIS, fmt=config["plots"]["formats"]),
            category="Contours",
            subcategory="{analysis}",
            caption="../report/contour.rst",
        ),
        details=report(
            expand(R("plots/{{analysis}}/contour_{lumi}ifb_regions.{fmt}"), lumi=LUMIS, fmt=config["plots"]["formats"]),
            category="Contours",
            subcategory="{analysis}",
            caption="../report/contour_regions.rst",
        ),
        mass_reach=report(R("plots/{analysis}/mass_reach.csv"), category="Contours", subcategory="{analysis}", caption="../report/mass_reach.rst"),
    params:
        lumis=config["statistics"]["luminosities_ifb"],
        cls_level=config["statistics"]["cls_level"],
        formats=config["plots"]["formats"],
        sqrt_s_gev=config["sqrt_s_gev"],
        methods=lambda wildcards: RESULT_SETS[wildcards.analysis]["methods"] or [],
    log:
        R("logs/plots/{analysis}/contours.log"),
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/statistics.yaml"
    script:
        "../../scripts/plot_contours.py"

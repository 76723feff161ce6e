"""The study: runs that compute and WRITE results (figures, rate-distortion, benchmarks); never draws."""

FIGURES = ("fig2", "fig3", "fig4", "fig5", "fig7", "fig8")  # the figure runners of ganz.study.figures
RUNS = (*FIGURES, "codecs")  # what ``ganz run`` makes: the figures and the codecs chapter's table

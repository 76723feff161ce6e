"""The one exception type users see: the CLI prints its message on one line and exits non-zero."""


class GanzError(Exception):
    """A user-facing error (bad input file, missing data or model, bad parameter)."""


class MissingDataError(GanzError):
    """The images (CelebA, out-of-domain set) are not where ``GANZ_DATA`` / ``data/`` point."""


#: how to provide the data, said wherever it is missing
MISSING_DATA_HELP = (
    "set GANZ_DATA to a folder holding celeba/ (or CelebA's official img_align_celeba/) and ood/, "
    "or put them under data/ (see data/README.md)"
)

"""The one exception type users see: the CLI prints its message on one line and exits non-zero."""


class GanzError(Exception):
    """A user-facing error (bad input file, missing data or model, bad parameter)."""


class MissingDataError(GanzError):
    """The images (CelebA, out-of-domain set) are not where ``GANZ_DATA`` / ``data/`` point."""

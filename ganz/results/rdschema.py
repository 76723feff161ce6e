"""The rate–distortion table's vocabulary, shared by the study that writes it
(``ganz.study.ratedistortion``) and the report that reads it."""
from __future__ import annotations

import math

RATE_EDGES = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, math.inf)  # octaves of bpp
GANZ_METHODS = ("ganz", "ganz_qat")  # GANZ's rows: plain rounding, and the quantization-aware refinement
EXAMPLE_SETTINGS = ((100, 8), (10, 8))  # (ratio, bits) of the example pictures: a low and a mid rate

"""The study: runs that compute and WRITE results (figures, rate-distortion, benchmarks); never draws."""

"""The results layer: what the study recorded under ``results/<profile>/`` and the paper's
published numbers, read and indexed without torch. The study writes through it; the report reads
through it."""

"""The report: code that only READS recorded results (paper-vs-ours, verdicts, tables, plots)."""

"""ganz.report.tables: tables for reading (headings and values in words, one rounding per
column, long notes below the table)."""
from __future__ import annotations

import pandas as pd

from ganz.report import tables


def test_values_and_headings_in_words_one_rounding_per_column():
    df = pd.DataFrame({"method": ["ganz", "wavelet_original_code", "jpeg2000"],
                       "adapter": ["random_linear", "keep_linear", None],
                       "gap": [0.013, -0.0001, 9.0], "count": [1.0, 2.0, 3.0],
                       "bd_rate_pct": [-73.04, None, 12.0]})
    t = tables.formatted(df)
    assert list(t.columns) == ["method", "first layer", "gap", "images", "BD-rate (%)"]
    assert t["method"].tolist() == ["GANZ", "wavelet (as in the code)", "JPEG 2000"]
    assert t["first layer"].tolist() == ["random", "trained", "—"]
    assert t["gap"].tolist() == ["0.01", "0.00", "9.00"]  # not "-0" beside "0.01" and "9"
    assert t["BD-rate (%)"].tolist() == ["-73.0", "—", "12.0"]


def test_long_notes_become_numbered_notes_below():
    df = pd.DataFrame({"x": [1, 2, 3], "note": ["ranges do not overlap", "", "ranges do not overlap"]})
    t = tables.show_with_notes(df)
    assert t.df["note"].tolist() == ["1", "—", "1"]
    assert "1: Ranges do not overlap." in t.notes
    cmp = pd.DataFrame({"method": ["ganz"], "paper": ["31.93"], "paper_note": ["label printed"],
                        "paper_approx": [False]})
    shown = tables.paper_vs_ours(cmp, [False])
    assert list(shown.df.columns) == ["method", "paper: median [min–max] (dB)", "note"]
    assert shown.notes == ["1: Label printed."]

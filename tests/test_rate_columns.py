"""The rate columns filled into tables recorded before the runners wrote them (tools/add_rate_columns)."""
from pathlib import Path

import pandas as pd
import pytest

from tools.add_rate_columns import rate_columns


def test_ratios_map_back_exactly_to_the_ratio_set():
    n = 3072
    t = pd.DataFrame({"method": ["ganz", "ganz", "wavelet_original_code", "ganz", "lasso_dct"],
                      "adapter": ["random_linear", "random_linear", "", "keep_linear", ""],
                      "ratio": [n / 307, n / 61, n / 61, 48.0, float("nan")]})
    out = rate_columns(t, {"ratios": [10, 50, 200]}, n, Path("fig5-x.csv"))
    assert out["d_c"].tolist()[:4] == [307, 61, 61, 64]
    assert out["nominal_ratio"].tolist()[:4] == [10.0, 50.0, 50.0, 48.0]  # keep_linear: N / d_t
    assert out["d_c"].isna().iloc[4] and pd.isna(out["nominal_ratio"].iloc[4])
    assert out["ratio"].tolist()[:2] == [n / 307, n / 61]  # the reached ratio is kept


def test_measurements_map_back_to_the_paper_M():
    t = pd.DataFrame({"method": ["ganz", "lasso_dct"], "adapter": ["no_linear", ""],
                      "ratio": [6.0, float("nan")], "measurements": [250, 625]})
    out = rate_columns(t, {"measurements": [4000, 10000]}, 3072, Path("fig8-x.csv"))
    assert out["nominal_measurements"].tolist() == [4000, 10000]


def test_a_value_two_ratios_explain_is_refused():
    t = pd.DataFrame({"method": ["ganz"], "adapter": ["random_linear"], "ratio": [3072 / 307]})
    with pytest.raises(SystemExit, match="ambiguous"):
        rate_columns(t, {"ratios": [10, 10.001]}, 3072, Path("fig5-x.csv"))

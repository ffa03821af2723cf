"""The keep-file reader (previous hotspot -> PE assignments), on real files written to tmp_path."""

from __future__ import annotations

import pytest

from data_loaders.keep_file import KeepFileError, read_keep_file


def test_keep_file_errors_name_the_file_row_and_column(tmp_path):
    bad = tmp_path / "keep.csv"
    bad.write_text("hotspot_id,pe_id\nH1,PE-1\nH2,\n", encoding="utf-8")
    with pytest.raises(KeepFileError, match=r"keep.csv.*row 3.*pe_id"):
        read_keep_file(bad)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("spot,worker\nH1,PE-1\n", encoding="utf-8")
    with pytest.raises(KeepFileError, match="lacks column"):
        read_keep_file(nocol)
    with pytest.raises(KeepFileError, match="does not exist"):
        read_keep_file(tmp_path / "missing.csv")

"""Tests for planning/geo.py: projection to metres and UTM zone choice."""

from __future__ import annotations

import numpy as np
import pytest

from planning.geo import project_lonlat, utm_crs_for


def test_utm_zone_of_malawi_is_36_south():
    # Lilongwe 33.78 E, 13.96 S: zone floor((33.78 + 180) / 6) + 1 = 36, south -> 327xx.
    assert utm_crs_for([33.78], [-13.96]) == "EPSG:32736"


def test_utm_zone_north_and_west():
    # Nairobi 36.8 E, 1.3 S -> 32737; Dakar 17.45 W, 14.7 N -> zone 28 north.
    assert utm_crs_for([36.8], [-1.3]) == "EPSG:32737"
    assert utm_crs_for([-17.45], [14.7]) == "EPSG:32628"


def test_utm_zone_uses_median_not_outlier():
    assert utm_crs_for([33.0, 33.5, 34.0, 120.0], [-13, -13, -13, -13]) == "EPSG:32736"


def test_central_meridian_projects_to_false_easting():
    # On a zone's central meridian x = 500 000 m; 1 degree of latitude is about 110.6 km.
    x_m, y_m = project_lonlat(np.array([33.0, 33.0]), np.array([-13.0, -14.0]), "EPSG:32736")
    assert x_m[0] == pytest.approx(500_000.0, abs=0.01)
    assert (y_m[0] - y_m[1]) / 1000 == pytest.approx(110.6, abs=0.3)


def test_east_west_distance_matches_cosine_rule():
    # 0.1 degree of longitude at 13 S is 111.32 km * 0.1 * cos(13 deg) = 10.85 km.
    x_m, _ = project_lonlat([33.0, 33.1], [-13.0, -13.0], "EPSG:32736")
    assert (x_m[1] - x_m[0]) / 1000 == pytest.approx(
        111.32 * 0.1 * np.cos(np.radians(13)), rel=2e-3
    )


def test_geographic_crs_is_refused_with_fix():
    with pytest.raises(ValueError, match=r"EPSG:4326.*not a projected CRS"):
        project_lonlat([33.0], [-13.0], "EPSG:4326")


def test_unknown_crs_is_refused_with_fix():
    with pytest.raises(ValueError, match="crs_projected 'EPSG:9999999'"):
        project_lonlat([33.0], [-13.0], "EPSG:9999999")


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="lon has shape"):
        project_lonlat([33.0, 34.0], [-13.0], "EPSG:32736")


def test_no_finite_points_is_refused():
    with pytest.raises(ValueError, match="finite"):
        utm_crs_for([np.nan], [np.nan])


def test_engine_modules_import_no_ui_or_files():
    """planning/ imports no dash, plotly or flask (STYLE.md layering) and opens no files."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "planning"
    for name in ("geo.py", "_frames.py", "estimates.py", "coverage.py", "access.py", "priority.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                modules = []
            for module in modules:
                assert module.split(".")[0] not in {
                    "dash",
                    "plotly",
                    "flask",
                    "data_loaders",
                    "components",
                    "pages",
                }, f"planning/{name} imports {module}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "open", f"planning/{name} opens a file"

"""Server-side time of the Outreach page's work on a dataset (default: the demo); prints a table.

    .venv/bin/python bench/bench_outreach.py [--data DIR]

For every district and every service site: the page's main computation cold (caseloads,
calendar, presence grid, best slots: pages.outreach.compute with its cache cleared), the
figures and table built from it, and the two field-sheet downloads. Issue 4 asks for < 300 ms
server-side per callback.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> None:
    """Time the Outreach page's computation, figures and downloads for every district and site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "demo"))
    args = parser.parse_args(argv)
    import dash
    from plotly.io.json import to_json_plotly

    dash.Dash(__name__, use_pages=True, pages_folder="")  # lets the page module register
    from components import outreach_figures as figs
    from exports.field_sheets import render_html, write_workbook
    from pages import outreach
    from services import datasets as store

    store.set_default_folder(args.data)
    dataset = store.get_dataset(None)
    key = store.resolve_id(None)
    areas = [outreach.Area(outreach.DISTRICT, d) for d in sorted(set(dataset.hotspots["district"]))]
    areas += [outreach.Area(outreach.SITE, s, 5.0) for s in sorted(dataset.sites["site_id"])]
    rows: dict[str, list[tuple[float, str]]] = {}
    for area in areas:
        kind = "district" if area.kind == outreach.DISTRICT else "site"
        outreach.compute.cache_clear()
        outreach.area_hotspots.cache_clear()
        start = time.perf_counter()
        try:
            out = outreach.compute(key, area, 60.0, 6.0, False)
        except ValueError:
            continue  # an empty catchment: the page shows an alert
        result, calendar = out.caseloads, out.calendar
        compute_ms = _ms(start)
        start = time.perf_counter()
        # serialised as Dash does before the response leaves the server
        to_json_plotly(figs.caseload_map_figure(result, note="", site=out.info.site))
        to_json_plotly(figs.presence_heatmap_figure(out.presence, title=""))
        figs.pe_table_frame(result, calendar)
        figures_ms = _ms(start)
        rows.setdefault(f"{kind}: compute + figures (cold)", []).append(
            (compute_ms + figures_ms, area.key)
        )
        start = time.perf_counter()
        write_workbook(result, calendar)
        rows.setdefault(f"{kind}: Excel field sheets", []).append((_ms(start), area.key))
        start = time.perf_counter()
        render_html(result, calendar)
        rows.setdefault(f"{kind}: printable HTML", []).append((_ms(start), area.key))

    print(f"{'case':38} {'areas':>5} {'median ms':>10} {'max ms':>8}  slowest")
    for name, values in rows.items():
        times = [t for t, _ in values]
        worst = max(values)
        print(
            f"{name:38} {len(values):>5} {statistics.median(times):>10.0f} "
            f"{worst[0]:>8.0f}  {worst[1]}"
        )


if __name__ == "__main__":
    main()

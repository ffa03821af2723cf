"""Map trace of proposed new drop-in centres (planning.siting): planners only.

The proposed sites stand on hotspot locations (hotspot-level detail): pages add this trace only
when ``hotspot_detail_allowed()``; the published (aggregate) plan never carries them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from components.maps import marker_trace
from components.overview_figures import OKABE_ITO

NEW_SITE_COLOUR = OKABE_ITO["vermillion"]


def new_sites_trace(new_sites: pd.DataFrame, *, distance_km: float) -> dict[str, Any]:
    """One scattermap trace: a ringed circle per proposed site, hover naming its rank, district
    and the people it newly brings within ``distance_km`` (planning.siting.propose_sites)."""
    for column in ("latitude", "longitude", "district", "people_newly_covered", "rank"):
        if column not in new_sites.columns:
            raise ValueError(
                f"new_sites has no column {column!r}; pass Plan.new_sites "
                "(planning.siting.propose_sites)"
            )
    customdata = [
        [int(r), str(d), float(p)]
        for r, d, p in zip(
            new_sites["rank"], new_sites["district"], new_sites["people_newly_covered"]
        )
    ]
    return marker_trace(
        new_sites["latitude"].astype(float).round(5).tolist(),
        new_sites["longitude"].astype(float).round(5).tolist(),
        {"size": 16, "color": NEW_SITE_COLOUR, "opacity": 0.9},
        name="Proposed drop-in centre",
        customdata=customdata,
        hovertemplate=(
            "<b>Proposed drop-in centre %{customdata[0]}</b> (%{customdata[1]})<br>"
            f"+%{{customdata[2]:,.0f}} people newly within {distance_km:g} km of a site"
            "<extra></extra>"
        ),
    )

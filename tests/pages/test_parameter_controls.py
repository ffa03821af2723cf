"""Page controls bound to a parameter stay inside its one allowed range (planning.parameters)."""

from __future__ import annotations

from planning.parameters import PARAMETERS


def test_page_controls_stay_inside_the_allowed_ranges():
    """Every slider and number input of Scenarios and Outreach bound to a parameter lies inside
    it."""
    from tests.helpers import import_page

    scenarios = import_page("scenarios")
    outreach = import_page("outreach")
    bounds: dict[str, tuple[float | None, float | None, str]] = {}

    def walk(node, id_to_name):
        node_id = getattr(node, "id", None)
        if isinstance(node_id, str) and node_id in id_to_name:
            bounds[id_to_name[node_id]] = (
                getattr(node, "min", None),
                getattr(node, "max", None),
                node_id,
            )
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if hasattr(child, "to_plotly_json"):
                walk(child, id_to_name)

    walk(scenarios.layout(), {v: k for k, v in scenarios.FIELD_IDS.items()})
    ids = outreach.ID
    walk(
        outreach.layout(district="Lilongwe"),
        {
            ids.people_per_pe: "people_per_pe",
            ids.hours_per_day: "hours_per_day",
            ids.distance_km: "distance_km",
        },
    )
    assert {"people_per_pe", "target", "duplication", "hours_per_day", "distance_km"} <= set(bounds)
    for name, (low, high, node_id) in bounds.items():
        p = PARAMETERS[name]
        scale = 100 if p.percent else 1
        if low is not None:
            assert low >= p.low * scale, f"{node_id} min {low} below {name}'s {p.low}"
        if high is not None:
            assert high <= p.high * scale, f"{node_id} max {high} above {name}'s {p.high}"
    # the Scenarios slider offers the whole allowed range of people per PE (one range)
    assert bounds["people_per_pe"][:2] == (
        PARAMETERS["people_per_pe"].low,
        PARAMETERS["people_per_pe"].high,
    )
    assert scenarios.LABELS["people_per_pe"] == PARAMETERS["people_per_pe"].label


def test_outreach_link_with_a_bad_value_says_so_with_the_same_message():
    from tests.helpers import import_page

    outreach = import_page("outreach")
    text = str(outreach.layout(district="Lilongwe", people_per_pe="40").to_plotly_json())
    assert PARAMETERS["people_per_pe"].refusal(40.0) in text

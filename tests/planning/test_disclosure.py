"""planning/disclosure.py: rounding, primary and secondary suppression, access bands, the menu."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from data_loaders.dataset import load_dataset
from planning.disclosure import (
    ACCESS_SUPPRESSED,
    SUPPRESSED,
    DisclosureRule,
    hierarchical_suppression,
    publish_plan,
    publishable_scenario,
    round_to,
)
from planning.plan import build_plan
from planning.scenario import Scenario
from tests.helpers import DEMO_DIR

RULE = DisclosureRule()


@pytest.fixture(scope="module")
def demo():
    return load_dataset(DEMO_DIR)


@pytest.fixture(scope="module")
def plans(demo):
    """The true plan and the published one at every menu distance."""
    out = {}
    for d in RULE.distances_km:
        plan = build_plan(demo, Scenario(distance_km=d))
        out[d] = (plan, publish_plan(plan, RULE))
    return out


def test_round_to_a_base_keeps_nan():
    assert round_to([0, 4, 5, 14, 15, 1234], 10).tolist() == [0, 0, 10, 10, 20, 1230]
    assert np.isnan(round_to([np.nan], 10)[0])


def test_hand_drawn_secondary_suppression():
    # region R: a (2 spots, primary), b (9), c (6); region S: d (7), e (8)
    regions = ["R", "R", "R", "S", "S"]
    hotspots = np.array([2, 9, 6, 7, 8])
    people = np.array([30, 90, 60, 70, 80])

    def safe(ix: list[int]) -> bool:
        return bool(hotspots[ix].sum() >= 5 and people[ix].sum() >= 20)

    flags, region_flags, national = hierarchical_suppression(
        regions, [True, False, False, False, False], safe, lambda i: (people[i], str(i))
    )
    # a alone is unsafe: c, the smallest other part of R, goes too; S and the totals stay
    assert flags.tolist() == [True, False, True, False, False]
    assert region_flags == {"R": False, "S": False} and national is False


def test_a_region_of_one_small_district_takes_a_second_region_with_it():
    regions = ["R", "S", "T"]
    hotspots = np.array([3, 8, 9])

    def safe(ix: list[int]) -> bool:
        return bool(hotspots[ix].sum() >= 5)

    flags, region_flags, national = hierarchical_suppression(
        regions, [True, False, False], safe, lambda i: (hotspots[i], str(i))
    )
    assert region_flags["R"] and region_flags["S"] and not region_flags["T"]
    assert flags.tolist() == [True, True, False] and not national


def test_menu_snaps_every_free_parameter(demo):
    default = Scenario()
    asked = Scenario(
        people_per_pe=80,
        distance_km=3,
        max_pe=100,
        duplication=0.2,
        service="prep",
        basis="typical",
        level="high",
        target=0.5,
    )
    snapped = publishable_scenario(asked, default, RULE)
    assert snapped == default.replace(basis="typical", level="high")
    assert publishable_scenario(Scenario(distance_km=10), default, RULE).distance_km == 10


def test_published_counts_are_rounded_and_small_districts_suppressed(plans):
    plan, published = plans[5.0]
    true = plan.districts.set_index("district")
    shown = published.districts.set_index("district")
    for column in (
        "hotspots",
        "estimate_low",
        "estimate_mid",
        "estimate_high",
        "planning_population",
        "gap",
    ):
        values = shown[column].dropna().to_numpy()
        assert (values % RULE.rounding_base == 0).all(), column
    small = true.index[(true["hotspots"] < RULE.min_hotspots) & (true["hotspots"] > 0)]
    assert len(small) >= 1  # the demo has such a district (Likoma, 4 spots)
    for name in small:
        assert shown.loc[name, SUPPRESSED]
        assert (
            shown.loc[
                name,
                [
                    "hotspots",
                    "estimate_mid",
                    "peer_educators",
                    "coverage_mid",
                    "estimate_within_distance",
                ],
            ]
            .isna()
            .all()
        )
    assert published.hotspots.empty and published.disclosure == RULE.statement()


def test_no_total_minus_published_parts_isolates_a_small_group(plans):
    plan, published = plans[5.0]
    true = plan.districts.reset_index(drop=True)
    flags = published.districts[SUPPRESSED].to_numpy(dtype=bool)
    for region, rows in true.groupby("region"):
        hidden = rows.index[flags[rows.index]]
        if len(hidden):
            assert true.loc[hidden, "hotspots"].sum() >= RULE.min_hotspots, region
            assert true.loc[hidden, "estimate_low"].sum() >= RULE.min_people, region
    # published region totals are rounded true totals
    regions = published.regions.set_index("region")
    true_regions = plan.regions.set_index("region")
    for region in regions.index[~regions[SUPPRESSED].astype(bool)]:
        assert (
            regions.loc[region, "estimate_mid"]
            == round_to([true_regions.loc[region, "estimate_mid"]], RULE.rounding_base)[0]
        )


def test_switching_distances_isolates_no_small_band(plans, demo):
    """Within each district, the people between two distances it publishes come from no spot
    or from at least min_hotspots spots: the distance sweep of the attack finds no spot."""
    hs = plans[5.0][0].hotspots
    main = plans[5.0][1].districts.set_index("district")[SUPPRESSED]
    for district, spots in hs.groupby("district"):
        if main[district]:
            continue  # nothing of it is published
        published = [
            d
            for d in RULE.distances_km
            if not plans[d][1].districts.set_index("district").loc[district, ACCESS_SUPPRESSED]
        ]
        cuts = [0.0, *published, np.inf]
        for low, high in itertools.pairwise(cuts):
            inside = spots[(spots["distance_km"] > low) & (spots["distance_km"] <= high)]
            if high == np.inf:
                inside = spots[(spots["distance_km"] > low) | spots["distance_km"].isna()]
            n = len(inside)
            assert n == 0 or n >= RULE.min_hotspots, (district, low, high, n)


def test_access_totals_add_up_published_districts_only(plans):
    for _, published in plans.values():
        shown = published.districts[~published.districts[ACCESS_SUPPRESSED].astype(bool)]
        national = published.national.iloc[0]
        assert national["access_districts"] == len(shown)
        assert national["estimate_within_distance"] == pytest.approx(
            shown["estimate_within_distance"].sum()
        )


def test_rule_statement_names_its_numbers():
    text = DisclosureRule(rounding_base=5, min_hotspots=3, min_people=10).statement()
    assert "rounded to 5" in text and "fewer than 3 hotspots or 10 people" in text
    short = DisclosureRule(rounding_base=5, min_hotspots=3, min_people=10).short_statement()
    assert "rounded to 5" in short and "3 hotspots or 10 people" in short and len(short) < 90
    with pytest.raises(ValueError, match="rounding_base=0"):
        DisclosureRule(rounding_base=0)


def test_published_frames_keep_the_dataset_columns(plans):
    plan, published = plans[5.0]
    assert set(plan.districts.columns) <= set(published.districts.columns)
    assert isinstance(published.national, pd.DataFrame) and len(published.national) == 1

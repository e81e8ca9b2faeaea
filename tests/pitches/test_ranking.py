"""Normalisation and ranking with hand-computed numbers (issue 6, Done-when 3).

The instance: 3 judges (J1, J2, J3), 4 applications (A, B, C, D), 3 criteria:
    c1 weight 50, max 10;  c2 weight 30, max 5;  c3 weight 20, max 10   (weights sum to 100)
so a judge's total = s1/10*50 + s2/5*30 + s3/10*20 = 5*s1 + 6*s2 + 2*s3.

Scores (c1, c2, c3) and totals:
    J1: A (9,3,2) = 45+18+4 = 67   B (5,4,2) = 25+24+4 = 53
        C (7,4,0) = 35+24+0 = 59   D (9,2,2) = 45+12+4 = 61
        mean 240/4 = 60; deviations +7 -7 -1 +1; variance (49+49+1+1)/4 = 25; SD 5
        z: A +1.4, B -1.4, C -0.2, D +0.2
    J2: A (10,2,4) = 50+12+8 = 70  B (6,2,4) = 30+12+8 = 50
        C (8,5,0) = 40+30+0 = 70   D (4,4,3) = 20+24+6 = 50
        mean 60; deviations ±10; SD 10; z: A +1, B -1, C +1, D -1
    J3: A, B, D (5,2,4) = 25+12+8 = 45;  C (3,5,0) = 15+30+0 = 45
        no spread -> z 0 for all
Means:
    A raw (67+70+45)/3 = 182/3 = 60.667   z (1.4+1+0)/3 = 0.8
    B raw (53+50+45)/3 = 148/3 = 49.333   z (-1.4-1+0)/3 = -0.8
    C raw (59+70+45)/3 = 174/3 = 58       z (-0.2+1+0)/3 = 0.2667
    D raw (61+50+45)/3 = 156/3 = 52       z (0.2-1+0)/3 = -0.2667
Criterion means of A: c1 (9+10+5)/3 = 8, c2 (3+2+2)/3 = 7/3, c3 (2+4+4)/3 = 10/3.
Pass rule (>= 50, no criterion mean of zero):
    A passes; B fails (49.333 < 50); C fails (c3 mean 0 although 58 >= 50); D passes (52).
First places: J1's best is A; J2's best is A and C (tied, one each); J3 ties all four.
    A 3, B 1, C 2, D 1.
Order (normalised and raw alike): A, C, D, B.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pitches.ranking import (
    TIE_FIRST_PLACES,
    TIE_ID,
    TIE_RAW,
    TIE_SUBMITTED,
    CriterionSpec,
    rank,
    weighted_total,
    zscores,
)

CRITERIA = [CriterionSpec("c1", 50, 10), CriterionSpec("c2", 30, 5), CriterionSpec("c3", 20, 10)]
RAW = {
    "J1": {"A": (9, 3, 2), "B": (5, 4, 2), "C": (7, 4, 0), "D": (9, 2, 2)},
    "J2": {"A": (10, 2, 4), "B": (6, 2, 4), "C": (8, 5, 0), "D": (4, 4, 3)},
    "J3": {"A": (5, 2, 4), "B": (5, 2, 4), "C": (3, 5, 0), "D": (5, 2, 4)},
}
SHEETS = {
    (a, j): dict(zip(("c1", "c2", "c3"), values, strict=True))
    for j, row in RAW.items()
    for a, values in row.items()
}


def approx(x):
    return pytest.approx(x, abs=1e-9)


def test_weighted_totals_by_hand():
    expected = {
        "J1": {"A": 67, "B": 53, "C": 59, "D": 61},
        "J2": {"A": 70, "B": 50, "C": 70, "D": 50},
        "J3": {"A": 45, "B": 45, "C": 45, "D": 45},
    }
    for (a, j), scores in SHEETS.items():
        assert weighted_total(scores, CRITERIA) == approx(expected[j][a]), (a, j)


def test_weights_not_summing_to_100_are_scaled():
    # weights 1 and 3 (sum 4): 5/10 of the first and 10/10 of the second = (0.5*1 + 1*3) / 4
    criteria = [CriterionSpec("x", 1, 10), CriterionSpec("y", 3, 10)]
    assert weighted_total({"x": 5, "y": 10}, criteria) == approx(87.5)


def test_zscores_population_sd_by_hand():
    assert zscores({"A": 67, "B": 53, "C": 59, "D": 61}) == {
        "A": approx(1.4),
        "B": approx(-1.4),
        "C": approx(-0.2),
        "D": approx(0.2),
    }
    assert zscores({"A": 70, "B": 50, "C": 70, "D": 50}) == {
        "A": approx(1),
        "B": approx(-1),
        "C": approx(1),
        "D": approx(-1),
    }


def test_zscores_zero_spread_and_single_application_give_zero():
    assert zscores({"A": 45, "B": 45, "C": 45}) == {"A": 0.0, "B": 0.0, "C": 0.0}
    assert zscores({"A": 80}) == {"A": 0.0}


def test_means_pass_rule_and_order_by_hand():
    rows = rank(SHEETS, CRITERIA, pass_min_total=50, no_zero=True)
    by_app = {r.application_id: r for r in rows}
    assert [r.application_id for r in rows] == ["A", "C", "D", "B"]
    assert [r.position for r in rows] == [1, 2, 3, 4]

    assert by_app["A"].raw_mean == approx(182 / 3)
    assert by_app["B"].raw_mean == approx(148 / 3)
    assert by_app["C"].raw_mean == approx(58)
    assert by_app["D"].raw_mean == approx(52)
    assert by_app["A"].normalised_mean == approx(0.8)
    assert by_app["B"].normalised_mean == approx(-0.8)
    assert by_app["C"].normalised_mean == approx(0.8 / 3)
    assert by_app["D"].normalised_mean == approx(-0.8 / 3)
    assert by_app["A"].z == {"J1": approx(1.4), "J2": approx(1), "J3": approx(0)}
    assert by_app["A"].criterion_means == {
        "c1": approx(8),
        "c2": approx(7 / 3),
        "c3": approx(10 / 3),
    }
    assert {a: r.first_places for a, r in by_app.items()} == {"A": 3, "B": 1, "C": 2, "D": 1}
    assert all(r.judges == 3 for r in rows)

    # The pass rule: a total under 50 fails; a criterion with a mean of zero fails even at 58.
    assert by_app["A"].passed and by_app["A"].fail_reasons == []
    assert by_app["D"].passed
    assert not by_app["B"].passed and by_app["B"].fail_reasons == ["below_min"]
    assert not by_app["C"].passed and by_app["C"].fail_reasons == ["zero_criterion"]
    assert by_app["C"].zero_criteria == ["c3"]
    # No tie anywhere in this instance.
    assert [r.tie_break for r in rows] == [None, None, None, None]


def test_pass_rule_settings_change_the_outcome():
    # Without the no-zero rule C passes; with the bar at 55, D (52) fails too.
    rows = {r.application_id: r for r in rank(SHEETS, CRITERIA, pass_min_total=50, no_zero=False)}
    assert rows["C"].passed
    rows = {r.application_id: r for r in rank(SHEETS, CRITERIA, pass_min_total=55, no_zero=True)}
    assert [a for a, r in rows.items() if r.passed] == ["A"]
    assert rows["D"].fail_reasons == ["below_min"]
    # Exactly at the bar passes: D's 52 against a bar of 52.
    rows = {r.application_id: r for r in rank(SHEETS, CRITERIA, pass_min_total=52, no_zero=True)}
    assert rows["D"].passed


ONE = [CriterionSpec("s", 100, 100)]  # a total equals the score


def sheets(table):
    return {(a, j): {"s": v} for j, row in table.items() for a, v in row.items()}


def test_equal_z_mean_is_decided_by_raw_mean():
    # J1: X 80, Y 60 -> z +1, -1.   J2: X 40, Y 80 -> z -1, +1.   Both z means 0.
    # Raw means: X (80+40)/2 = 60, Y (60+80)/2 = 70 -> Y first, by the raw mean.
    rows = rank(sheets({"J1": {"X": 80, "Y": 60}, "J2": {"X": 40, "Y": 80}}), ONE)
    assert [r.application_id for r in rows] == ["Y", "X"]
    assert rows[0].normalised_mean == approx(0) and rows[1].normalised_mean == approx(0)
    assert rows[1].tie_break == TIE_RAW


def test_equal_means_decided_by_first_places_then_submission_then_id():
    # J1: X 90, Y 70, Z 50;  J2: X 50, Y 70, Z 90.  Each judge: mean 70, same SD, so the
    # z-means are all 0 and the raw means all 70. First places: X 1 (J1), Z 1 (J2), Y 0.
    # X and Z stay tied -> the earlier submission (Z) goes first; Y is last on first places.
    table = {"J1": {"X": 90, "Y": 70, "Z": 50}, "J2": {"X": 50, "Y": 70, "Z": 90}}
    t0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    submitted = {"X": t0 + dt.timedelta(hours=2), "Y": t0, "Z": t0 + dt.timedelta(hours=1)}
    rows = rank(sheets(table), ONE, submitted_at=submitted)
    assert [r.application_id for r in rows] == ["Z", "X", "Y"]
    assert [r.first_places for r in rows] == [1, 1, 0]
    assert [r.tie_break for r in rows] == [None, TIE_SUBMITTED, TIE_FIRST_PLACES]
    # Raw view: the same three-way tie is broken the same way.
    rows = rank(sheets(table), ONE, submitted_at=submitted, normalised=False)
    assert [r.application_id for r in rows] == ["Z", "X", "Y"]
    # Same submission time: the lower application id decides, and says so.
    rows = rank(sheets(table), ONE, submitted_at=dict.fromkeys("XYZ", t0))
    assert [r.application_id for r in rows] == ["X", "Z", "Y"]
    assert rows[1].tie_break == TIE_ID


def test_raw_view_orders_by_raw_mean_first():
    # J1: X 100, Y 0 (z +1, -1). J2: X 49, Y 51, W 60: mean 160/3, deviations -13/3, -7/3,
    # +20/3, variance (169+49+400)/27 = 22.89, SD 4.784 -> z X -0.906, Y -0.488, W +1.394.
    # Raw means: X 74.5, W 60, Y 25.5 -> raw order X, W, Y.
    # z means: X (1-0.906)/2 = 0.047, W 1.394, Y (-1-0.488)/2 = -0.744 -> W, X, Y.
    table = {"J1": {"X": 100, "Y": 0}, "J2": {"X": 49, "Y": 51, "W": 60}}
    raw_rows = rank(sheets(table), ONE, normalised=False)
    assert [r.application_id for r in raw_rows] == ["X", "W", "Y"]
    norm_rows = rank(sheets(table), ONE, normalised=True)
    assert [r.application_id for r in norm_rows] == ["W", "X", "Y"]
    assert norm_rows[0].normalised_mean == pytest.approx(1.394, abs=1e-3)
    assert norm_rows[1].normalised_mean == pytest.approx(0.047, abs=1e-3)


def test_application_without_sheets_fails_and_comes_last():
    rows = rank(sheets({"J1": {"X": 60}}), ONE, applications=["X", "Q"])
    assert [r.application_id for r in rows] == ["X", "Q"]
    assert rows[1].fail_reasons == ["no_scores"] and rows[1].raw_mean is None
    assert rows[0].passed  # 60 >= 50, single judge -> z 0
    assert rows[0].normalised_mean == 0.0

"""Recommendations as pure functions (issue 7, point 2): who is on the other side, the points
and reasons of a score, ranking, filters, diacritics-insensitive search, and amounts."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from eventday.i18n import fold
from matchmaking import recommend, taxonomy
from matchmaking.recommend import AreaTree, Filters, Reason

_ids = itertools.count(1)

# A province (1) with a district (2) and its commune (3); another province (9).
TREE = AreaTree(
    parents={1: None, 2: 1, 3: 2, 9: None},
    names={1: "tỉnh Quảng Nam", 2: "huyện Tây Giang", 3: "xã A Tiêng", 9: "tỉnh Lâm Đồng"},
)


def person(kind="startup", name="Người thử", **fields):
    values = {
        "id": next(_ids),
        "festival_id": 1,
        "kind": kind,
        "display_name": name,
        "name_folded": fold(name),
        "search_folded": fold(name + " " + fields.pop("text", "")),
        "sectors": [],
        "stages": [],
        "offers": [],
        "seeks": [],
        "languages": [],
        "area_ids": [],
        "ticket_min_vnd": None,
        "ticket_max_vnd": None,
        "visible": True,
    }
    values.update(fields)
    return SimpleNamespace(**values)


@pytest.fixture
def en_context(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def vi_context(app):
    with app.test_request_context(), force_locale("vi"):
        yield


# --------------------------------------------------------------------------- sides and points


def test_sides():
    fund, expert = person("fund"), person("expert")
    startup, exhibitor = person("startup"), person("exhibitor")
    assert recommend.opposite_sides(fund, startup)
    assert recommend.opposite_sides(expert, startup)
    assert recommend.opposite_sides(exhibitor, fund)
    assert not recommend.opposite_sides(fund, expert)
    assert not recommend.opposite_sides(startup, exhibitor)


def test_score_counts_each_criterion():
    fund = person(
        "fund",
        sectors=["agritech", "ocop_herbs", "fintech"],
        stages=["prototype", "first_revenue"],
        offers=["funding", "mentoring"],
        seeks=["partners"],
        languages=["vi", "en"],
        area_ids=[1],
        ticket_min_vnd=500_000_000,
        ticket_max_vnd=2_000_000_000,
    )
    startup = person(
        sectors=["ocop_herbs", "agritech", "edtech"],
        stages=["prototype"],
        offers=["partners"],
        seeks=["funding", "mentoring", "distribution"],
        languages=["vi"],
        area_ids=[3],
        ticket_min_vnd=1_000_000_000,
        ticket_max_vnd=1_000_000_000,
    )
    points, reasons = recommend.score(fund, startup, TREE)
    by_code = {r.code: r for r in reasons}
    assert by_code["sectors"] == Reason("sectors", 6, ("agritech", "ocop_herbs"))
    assert by_code["stage"] == Reason("stage", 2, ("prototype",))
    assert by_code["ticket"] == Reason(
        "ticket", 3, (500_000_000, 2_000_000_000, 1_000_000_000, 1_000_000_000)
    )
    assert by_code["area"] == Reason("area", 2, ("xã A Tiêng",))  # a commune of the province
    # From the fund's side: the startup looks for what the fund offers, and offers partners.
    assert by_code["seeks"] == Reason("seeks", 4, ("funding", "mentoring"))
    assert by_code["offers"] == Reason("offers", 2, ("partners",))
    assert by_code["language"] == Reason("language", 1, ("vi",))
    assert points == 6 + 2 + 3 + 2 + 4 + 2 + 1
    # The same pair seen from the startup: the same points, the offers/seeks swapped.
    back_points, back = recommend.score(startup, fund, TREE)
    assert back_points == points
    assert {r.code: r.values for r in back}["offers"] == ("funding", "mentoring")


def test_no_points_without_a_fit():
    fund = person(
        "fund",
        stages=["growth"],
        area_ids=[9],
        ticket_min_vnd=5_000_000_000,
        ticket_max_vnd=20_000_000_000,
    )
    startup = person(stages=["idea"], area_ids=[3], ticket_min_vnd=300_000_000)
    assert recommend.score(fund, startup, TREE) == (0, ())


def test_sector_points_are_capped():
    many = ["agritech", "edtech", "fintech", "healthtech", "tourism"]
    points, reasons = recommend.score(person("angel", sectors=many), person(sectors=many))
    assert points == 3 * recommend.MAX_COUNTED
    assert reasons[0].values == tuple(many)  # all named, only three counted


@pytest.mark.parametrize(
    ("investor", "need", "fits"),
    [
        ((500, 2000), (1000, 1000), True),
        ((500, 2000), (2000, 3000), True),  # touching ranges overlap
        ((500, 2000), (2001, 3000), False),
        ((500, None), (10_000, None), True),  # no upper bound
        ((None, 800), (900, None), False),
        ((None, 800), (None, 300), True),  # "up to 300": a point at 300
        ((500, 2000), (None, None), False),  # no need stated
        ((None, None), (1000, 1000), False),  # no ticket stated
    ],
)
def test_ticket_fits(investor, need, fits):
    fund = person("fund", ticket_min_vnd=investor[0], ticket_max_vnd=investor[1])
    startup = person(ticket_min_vnd=need[0], ticket_max_vnd=need[1])
    assert recommend.ticket_fits(fund, startup) is fits


def test_area_tree():
    assert TREE.related(1, 3) and TREE.related(3, 1)  # province and its commune
    assert TREE.related(2, 2)
    assert not TREE.related(9, 3)
    assert not TREE.related(2, 9)
    assert TREE.ancestors(3) == [2, 1]
    loop = AreaTree(parents={1: 2, 2: 1})  # bad data does not hang
    assert loop.ancestors(1) == [2]


# --------------------------------------------------------------------------- ranking


def test_recommend_ranks_and_excludes():
    me = person("fund", sectors=["agritech", "ocop_herbs"], stages=["prototype"])
    best = person(name="Bình", sectors=["agritech", "ocop_herbs"], stages=["prototype"])
    good = person(name="An", sectors=["agritech"])
    tie = person(name="Ánh", sectors=["agritech"])  # same score as "An": by folded name
    hidden = person(sectors=["agritech", "ocop_herbs"], visible=False)
    asked = person(sectors=["agritech", "ocop_herbs"])
    same_side = person("bank", sectors=["agritech", "ocop_herbs"])
    nothing = person(sectors=["edtech"])
    other_festival = person(sectors=["agritech"], festival_id=2)
    everyone = [me, nothing, tie, good, hidden, asked, same_side, best, other_festival]
    found = recommend.recommend(me, everyone, exclude={asked.id})
    assert [s.profile for s in found] == [best, good, tie]
    assert [s.score for s in found] == [8, 3, 3]
    assert recommend.recommend(me, everyone, exclude={asked.id}, limit=1)[0].profile is best


def test_experts_see_startups_and_startups_see_investors():
    expert = person("expert", offers=["mentoring"])
    startup = person(seeks=["mentoring"])
    fund = person("fund", offers=["funding"])
    assert [s.profile for s in recommend.recommend(expert, [startup, fund])] == [startup]
    startup.seeks = ["mentoring", "funding"]
    ranked = recommend.recommend(startup, [expert, fund])
    assert {s.profile.id for s in ranked} == {expert.id, fund.id}


# --------------------------------------------------------------------------- reasons as text


def test_reason_texts_in_english(en_context):
    fund = person(
        "fund",
        sectors=["agritech", "ocop_herbs"],
        ticket_min_vnd=500_000_000,
        ticket_max_vnd=2_000_000_000,
        area_ids=[2],
        languages=["en"],
    )
    startup = person(
        sectors=["agritech", "ocop_herbs"],
        ticket_min_vnd=1_000_000_000,
        area_ids=[3],
        languages=["en", "vi"],
    )
    texts = [r.text for r in recommend.score(fund, startup, TREE)[1]]
    assert texts == [
        "Same sector: High-tech agriculture, Medicinal herbs",
        "Ticket 500 million–2 billion fits the need of 1 billion",
        "Area of interest: xã A Tiêng",
        "Shared language: English",
    ]


def test_money_texts(en_context):
    assert recommend.short_vnd(1_500_000_000) == "1.5 billion"
    assert recommend.short_vnd(50_000_000) == "50 million"
    assert recommend.ticket_text(None, 2_000_000_000) == "up to 2 billion"
    assert recommend.ticket_text(300_000_000, None) == "from 300 million"
    assert recommend.ticket_text(None, None) == ""


def test_ocop_sector_labels_follow_the_locale(vi_context):
    assert str(taxonomy.SECTORS["ocop_herbs"]) == "Dược liệu"
    with force_locale("en"):
        assert str(taxonomy.SECTORS["ocop_herbs"]) == "Medicinal herbs"
    assert taxonomy.sector_for_ocop_group("iii.1") == "ocop_herbs"
    assert taxonomy.sector_for_ocop_group("VI") == "ocop_tourism"
    assert taxonomy.sector_for_ocop_group("X.9") is None


# --------------------------------------------------------------------------- filters and search


def test_filters_parse_ignores_unknown_values():
    f = Filters.parse({"kind": "wizard", "sector": "ocop_herbs", "stage": "x", "area": "12a"})
    assert (f.kind, f.sector, f.stage, f.area) == ("", "ocop_herbs", "", None)
    assert f.args() == {"sector": "ocop_herbs"}
    assert not Filters.parse({}).active


def test_search_ignores_diacritics_and_finds_sector_names(vi_context):
    index = taxonomy.sector_search_index()
    herbs = person(name="HTX Sâm Ngọc Linh", sectors=["ocop_herbs"])
    described = person(name="Công ty Xanh", text="Trồng dược liệu dưới tán rừng")
    other = person(name="Quỹ Đà Nẵng", sectors=["fintech"])
    people = [herbs, described, other]

    def search(q):
        f = Filters.parse({"q": q})
        return [p for p in people if recommend.matches(p, f, sector_index=index)]

    assert search("duoc lieu") == [herbs, described]
    assert search("DƯỢC  LIỆU") == [herbs, described]
    assert search("medicinal herbs") == [herbs]  # the English name of the sector
    assert search("quy da nang") == [other]
    assert search("sam linh") == [herbs]  # every word, in any order
    assert search("ca phe") == []


def test_filters_by_kind_sector_stage_area_and_fit():
    viewer = person("fund", ticket_min_vnd=100, ticket_max_vnd=1000)
    a = person(sectors=["agritech"], stages=["idea"], area_ids=[3], ticket_min_vnd=500)
    b = person("exhibitor", sectors=["ocop_food"], stages=["growth"], area_ids=[9])
    c = person("angel", sectors=["agritech"], area_ids=[1], ticket_min_vnd=500)

    def pick(**args):
        f = Filters.parse({k: str(v) for k, v in args.items()})
        return [p for p in (a, b, c) if recommend.matches(p, f, TREE, viewer=viewer)]

    assert pick(kind="exhibitor") == [b]
    assert pick(sector="agritech") == [a, c]
    assert pick(stage="growth") == [b]
    assert pick(area=1) == [a, c]  # the province finds its commune
    assert pick(area=3) == [a, c]  # and the commune its province
    assert pick(area=9) == [b]
    assert pick(fits=1) == [a]  # c is on the viewer's side; b states no need

"""Judging operations and pages: conflicts, rubric, assignment, scoring, lock, ranking, XLSX."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from eventday.accounts import operations as account_ops
from eventday.extensions import db
from eventday.festivals import operations as festival_ops
from eventday.i18n import fold
from pitches import judging as ops
from pitches.models import Assignment, PitchApplication, Score
from tests.conftest import area, csrf_token


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def world(create_user, create_festival):
    """A published festival with an organizer, four judges and six applications in review
    (six organisations; two in commune 20467, the others without a home area)."""
    organizer = create_user(name="Trần Văn Tổ Chức")
    festival = create_festival(organizer=organizer, state="published")
    judges = [create_user(name=f"Giám khảo {i}") for i in range(1, 5)]
    for judge in judges:
        festival_ops.grant_role(festival, judge, "judge")
    commune = area("commune", "20467")
    apps = []
    for i in range(1, 7):
        founder = create_user(name=f"Sáng lập {i}")
        org = account_ops.create_organisation(founder, f"Khởi nghiệp {i}", "cooperative")
        title = f"Dự án {i}"
        app = PitchApplication(
            festival_id=festival.id,
            organisation_id=org.id,
            applicant_id=founder.id,
            title=title,
            title_folded=fold(title),
            home_area_id=commune.id if i <= 2 else None,
            state="in_review",
        )
        db.session.add(app)
        apps.append(app)
    db.session.flush()
    round_ = ops.create_round(festival, "Sơ khảo")
    ops.seed_example_rubric(round_)
    db.session.commit()
    return {
        "festival": festival,
        "organizer": organizer,
        "judges": judges,
        "apps": apps,
        "round": round_,
        "commune": commune,
    }


def full_sheet(round_, points=None):
    return {c.id: (points if points is not None else c.max_score // 2) for c in round_.criteria}


# --------------------------------------------------------------------------- rubric


def test_example_rubric_is_the_provincial_one(world):
    round_ = world["round"]
    names = [c.name_en for c in round_.criteria]
    assert names == [
        "Innovation",
        "Commercialisation potential",
        "Business plan",
        "Development direction",
        "Impact",
        "Presentation",
    ]
    assert sum(c.weight for c in round_.criteria) == 100
    assert all(c.max_score == c.weight for c in round_.criteria)
    assert round_.pass_min_total == 50 and round_.pass_no_zero
    with pytest.raises(ops.JudgingError) as e:
        ops.seed_example_rubric(round_)
    assert e.value.reason == "not_empty"


@pytest.mark.parametrize(
    ("weight", "max_score", "reason"),
    [(0, 10, "bad_weight"), (-1, 10, "bad_weight"), ("abc", 10, "bad_weight"), (1, 0, "bad_max")],
)
def test_criterion_validation(world, weight, max_score, reason, english):
    round_ = ops.create_round(world["festival"], "Chung kết")
    with pytest.raises(ops.JudgingError) as e:
        ops.add_criterion(round_, "Tiêu chí", weight=weight, max_score=max_score)
    assert e.value.reason == reason
    assert e.value.message()  # a translated message exists
    assert round_.criteria == []


def test_rubric_frozen_once_scores_exist(world):
    round_ = world["round"]
    judge = world["judges"][0]
    row = ops.add_assignment(round_, world["apps"][0], judge)
    ops.save_scores(row, {round_.criteria[0].id: 5}, "", judge)
    with pytest.raises(ops.JudgingError) as e:
        ops.add_criterion(round_, "Thêm", weight=5, max_score=5)
    assert e.value.reason == "rubric_in_use"


# --------------------------------------------------------------------------- conflicts


def test_conflicts_of_every_kind_and_automatic_membership(world, create_user):
    festival, apps = world["festival"], world["apps"]
    j1, j2, j3, j4 = world["judges"]
    ops.declare_conflict(festival, j1, "organisation", organisation_id=apps[2].organisation_id)
    # An area conflict on the unit above the commune covers the applications from the commune.
    above = world["commune"].parent
    assert above is not None
    ops.declare_conflict(festival, j2, "area", area_id=above.id)
    ops.declare_conflict(festival, j3, "declared", application_id=apps[4].id, note="Em họ")
    # j4 is a member of application 6's organisation: a conflict with nothing declared.
    db.session.add(_member(apps[5].organisation_id, j4.id))
    db.session.flush()

    assert ops.conflicted(j1, apps[2]) == "organisation"
    assert ops.conflicted(j1, apps[3]) is None
    assert ops.conflicted(j2, apps[0]) == "area" and ops.conflicted(j2, apps[1]) == "area"
    assert ops.conflicted(j2, apps[2]) is None
    assert ops.conflicted(j3, apps[4]) == "declared"
    assert ops.conflicted(j4, apps[5]) == "member"
    # The applicant is never their own judge.
    festival_ops.grant_role(festival, apps[0].applicant, "judge")
    assert ops.conflicted(apps[0].applicant, apps[0]) == "applicant"


def _member(org_id, user_id):
    from eventday.accounts.models import OrganisationMember

    return OrganisationMember(organisation_id=org_id, user_id=user_id, role="member")


def test_declared_conflict_needs_a_note_and_a_festival_target(world, create_festival):
    festival, judge = world["festival"], world["judges"][0]
    with pytest.raises(ops.JudgingError) as e:
        ops.declare_conflict(festival, judge, "declared", application_id=world["apps"][0].id)
    assert e.value.reason == "bad_target"
    ops.declare_conflict(festival, judge, "declared", application_id=world["apps"][0].id, note="x")
    with pytest.raises(ops.JudgingError) as e:
        ops.declare_conflict(
            festival, judge, "declared", application_id=world["apps"][0].id, note="y"
        )
    assert e.value.reason == "duplicate"
    with pytest.raises(ops.JudgingError) as e:
        ops.declare_conflict(festival, world["organizer"], "declared", note="x")
    assert e.value.reason == "not_judge"


def test_conflict_declared_later_removes_unscored_assignments(world):
    festival, round_, apps = world["festival"], world["round"], world["apps"]
    judge = world["judges"][0]
    unscored = ops.add_assignment(round_, apps[0], judge)
    scored = ops.add_assignment(round_, apps[1], judge)
    ops.save_scores(scored, full_sheet(round_), "", judge)
    db.session.flush()
    _c, dropped = ops.declare_conflict(
        festival, judge, "declared", application_id=apps[0].id, note="Người nhà"
    )
    assert dropped == 1
    assert db.session.get(Assignment, unscored.id) is None
    _c, dropped = ops.declare_conflict(
        festival, judge, "declared", application_id=apps[1].id, note="Người nhà"
    )
    assert dropped == 0 and db.session.get(Assignment, scored.id) is not None


def test_by_hand_assignment_refuses_conflicts(world, english):
    festival, round_, apps = world["festival"], world["round"], world["apps"]
    judge = world["judges"][0]
    ops.declare_conflict(festival, judge, "organisation", organisation_id=apps[0].organisation_id)
    with pytest.raises(ops.JudgingError) as e:
        ops.add_assignment(round_, apps[0], judge)
    assert e.value.reason == "conflicted"
    assert "declared organisation" in e.value.message()
    with pytest.raises(ops.JudgingError) as e:
        ops.add_assignment(round_, apps[0], world["organizer"])
    assert e.value.reason == "not_judge"


# --------------------------------------------------------------------------- assignment


def test_run_assignment_covers_balances_and_keeps_by_hand(world):
    festival, round_, apps, judges = (
        world["festival"],
        world["round"],
        world["apps"],
        world["judges"],
    )
    ops.declare_conflict(
        festival, judges[0], "organisation", organisation_id=apps[0].organisation_id
    )
    ops.declare_conflict(festival, judges[1], "declared", application_id=apps[1].id, note="x")
    by_hand = ops.add_assignment(round_, apps[2], judges[3])
    apps[5].state = "submitted"  # not in review: not assigned
    db.session.flush()
    report = ops.run_assignment(round_, k=3)
    assert report.uncovered == {} and not report.unbalanced
    rows = db.session.scalars(sa.select(Assignment).where(Assignment.round_id == round_.id)).all()
    pairs = {(r.application_id, r.judge_id) for r in rows}
    assert (apps[2].id, judges[3].id) in pairs and db.session.get(Assignment, by_hand.id)
    assert (apps[0].id, judges[0].id) not in pairs and (apps[1].id, judges[1].id) not in pairs
    assert not any(a == apps[5].id for a, _j in pairs)
    per_app = {a.id: sum(1 for p in pairs if p[0] == a.id) for a in apps[:5]}
    assert set(per_app.values()) == {3}
    loads = [sum(1 for p in pairs if p[1] == j.id) for j in judges]
    assert max(loads) - min(loads) <= 1 and sum(loads) == 15
    # Running again replaces only the automatic, unscored ones and gives the same coverage.
    report = ops.run_assignment(round_, k=3)
    assert report.removed == 14 and report.created == 14


# --------------------------------------------------------------------------- scores


def test_scores_bounds_owner_and_lock(world, english):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    row = ops.add_assignment(round_, apps[0], judges[0])
    first = round_.criteria[0]  # Innovation, 0…20
    for bad in (-1, 21, "abc", "1.234", "nan"):
        with pytest.raises(ops.JudgingError) as e:
            ops.save_scores(row, {first.id: bad}, "", judges[0])
        assert e.value.reason == "bad_score"
    assert "0 to 20" in ops.JudgingError("bad_score", max=20).message()
    with pytest.raises(ops.JudgingError) as e:
        ops.save_scores(row, {first.id: 5}, "", judges[1])
    assert e.value.reason == "not_assigned"
    assert ops.save_scores(row, {first.id: "20"}, "", judges[0]) is False  # partial sheet
    assert ops.save_scores(row, full_sheet(round_, 0) | {first.id: "7,5"}, "Tốt", judges[0])
    db.session.flush()
    values = {s.criterion_id: s.value for s in row.scores}
    assert values[first.id] == Decimal("7.50") and len(values) == 6
    assert row.submitted_at is not None and row.comment == "Tốt"
    ops.lock_round(round_)
    with pytest.raises(ops.JudgingError) as e:
        ops.save_scores(row, full_sheet(round_, 1), "", judges[0])
    assert e.value.reason == "locked"
    with pytest.raises(ops.JudgingError):
        ops.run_assignment(round_)


def test_a_conflicted_judge_can_neither_score_nor_count(world, english):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    fair = ops.add_assignment(round_, apps[2], judges[1])
    ops.save_scores(fair, full_sheet(round_, 5), "", judges[1])
    row = ops.add_assignment(round_, apps[2], judges[0])
    ops.save_scores(row, full_sheet(round_, 10), "", judges[0])
    db.session.flush()
    assert ops.ranking(round_, normalised=False).rows[0].judges == 2
    # judges[0] joins the applying organisation after scoring: a conflict nothing declared.
    db.session.add(_member(apps[2].organisation_id, judges[0].id))
    db.session.flush()
    assert ops.conflicted(judges[0], apps[2]) == "member"
    with pytest.raises(ops.JudgingError) as e:
        ops.save_scores(row, full_sheet(round_, 1), "", judges[0])
    assert e.value.reason == "conflicted"
    assert "member of the applying organisation" in e.value.message()
    result = ops.ranking(round_, normalised=False)
    (only,) = result.rows
    assert only.judges == 1 and only.raw_mean == pytest.approx(30)
    assert result.pending == 0
    book = load_workbook(io.BytesIO(ops.export_xlsx(round_, normalised=False)))
    assert book.worksheets[1].max_row == 2  # header + the fair judge's sheet only


def _ranking_queries(round_) -> tuple[int, object]:
    db.session.expire_all()
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        result = ops.ranking(db.session.get(type(round_), round_.id))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), result


def test_ranking_reads_scores_in_a_fixed_number_of_queries(world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    # apps[0] comes from a commune: the conflict check walks its areas up (a query per level).
    row = ops.add_assignment(round_, apps[0], judges[0])
    ops.save_scores(row, full_sheet(round_, 3), "", judges[0])
    db.session.flush()
    small, result = _ranking_queries(round_)
    assert len(result.rows) == 1

    ops.run_assignment(round_, k=3)
    rows = db.session.scalars(sa.select(Assignment).where(Assignment.round_id == round_.id)).all()
    for i, row in enumerate(rows):
        ops.save_scores(row, full_sheet(round_, (i % 4) + 1), "", row.judge)
    db.session.flush()
    large, result = _ranking_queries(round_)
    assert len(result.rows) == 6 and all(r.judges == 3 for r in result.rows)
    assert large == small <= 14, (small, large)


def test_xlsx_export(world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    row = ops.add_assignment(round_, apps[0], judges[0])
    ops.save_scores(row, full_sheet(round_, 10), "Ổn", judges[0])
    db.session.flush()
    book = load_workbook(io.BytesIO(ops.export_xlsx(round_)))
    ranking, scores = book.worksheets
    assert ranking.max_row == 2  # header + the one scored application
    assert ranking.cell(2, 2).value == "Dự án 1"
    # maximum = weight, so a total is the sum of the points: 6 criteria x 10 points = 60
    assert ranking.cell(2, 5).value == pytest.approx(60)
    assert scores.cell(2, 5).value == "Ổn"


def test_xlsx_export_keeps_formula_like_texts_as_text(world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    apps[0].title = "=1+2"
    row = ops.add_assignment(round_, apps[0], judges[0])
    ops.save_scores(row, full_sheet(round_, 10), '@SUM(A1)+HYPERLINK("x")', judges[0])
    db.session.flush()
    ranking, scores = load_workbook(io.BytesIO(ops.export_xlsx(round_))).worksheets
    assert ranking.cell(2, 2).value == "=1+2" and ranking.cell(2, 2).data_type == "s"
    assert scores.cell(2, 1).data_type == "s" and scores.cell(2, 5).data_type == "s"
    assert scores.cell(2, 5).value.startswith("@SUM")


# --------------------------------------------------------------------------- pages


def test_judge_scores_on_the_phone_page(client, auth, world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    row = ops.add_assignment(round_, apps[0], judges[0])
    db.session.commit()
    slug = world["festival"].slug
    auth.login(judges[0])
    home = client.get(f"/f/{slug}/judge").get_data(as_text=True)
    assert f'data-assignment-id="{row.id}"' in home
    page = client.get(f"/f/{slug}/judge/{row.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="viewport" content="width=device-width' in html
    assert html.count('class="criterion') == 6
    assert html.count('type="number"') == 6 and 'max="20"' in html
    assert "pitches/score.js" in html and 'id="running-total"' in html
    data = {"csrf_token": csrf_token(client, f"/f/{slug}/judge/{row.id}"), "comment": "Khá"}
    data |= {f"score-{c.id}": "10" for c in round_.criteria}
    data[f"score-{round_.criteria[0].id}"] = "25"  # over the maximum of 20
    response = client.post(f"/f/{slug}/judge/{row.id}", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="25"' in html and "Khá" in html  # nothing typed is lost
    assert db.session.scalar(sa.select(sa.func.count(Score.id))) == 0
    data[f"score-{round_.criteria[0].id}"] = "20"
    response = client.post(f"/f/{slug}/judge/{row.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert {float(s.value) for s in db.session.get(Assignment, row.id).scores} == {20.0, 10.0}


def test_score_page_refuses_other_judges_and_is_read_only_when_locked(client, auth, world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    row = ops.add_assignment(round_, apps[0], judges[0])
    db.session.commit()
    slug = world["festival"].slug
    auth.login(judges[1])
    assert client.get(f"/f/{slug}/judge/{row.id}").status_code == 403
    auth.logout()
    ops.lock_round(round_)
    db.session.commit()
    auth.login(judges[0])
    html = client.get(f"/f/{slug}/judge/{row.id}").get_data(as_text=True)
    assert 'id="read-only"' in html and "readonly" in html
    assert '<button type="submit" class="button primary">' not in html
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)
    data = {"csrf_token": token} | {f"score-{c.id}": "1" for c in round_.criteria}
    assert client.post(f"/f/{slug}/judge/{row.id}", data=data).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Score.id))) == 0


def test_organizer_pages_and_permissions(client, auth, world):
    slug, round_ = world["festival"].slug, world["round"]
    pages = [
        f"/f/{slug}/manage/pitches/rubric",
        f"/f/{slug}/manage/pitches/rounds/{round_.id}/assign",
        f"/f/{slug}/manage/pitches/rounds/{round_.id}/ranking",
        f"/f/{slug}/manage/pitches/rounds/{round_.id}/ranking.xlsx",
    ]
    auth.login(world["judges"][0])
    for path in pages:
        assert client.get(path).status_code == 403, path
    auth.logout()
    auth.login(world["organizer"])
    for path in pages:
        assert client.get(path).status_code == 200, path
    # Run the assignment from the page, then add a conflicted judge by hand: refused.
    token = csrf_token(client, pages[1])
    assert client.post(pages[1], data={"csrf_token": token, "action": "run"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 18
    judge, app_ = world["judges"][0], world["apps"][0]
    db.session.execute(
        sa.delete(Assignment).where(
            Assignment.application_id == app_.id, Assignment.judge_id == judge.id
        )
    )
    ops.declare_conflict(world["festival"], judge, "declared", application_id=app_.id, note="x")
    db.session.commit()
    html = client.get(pages[1]).get_data(as_text=True)
    assert re.search(rf'<option value="{judge.id}" disabled>', html)
    response = client.post(
        pages[1],
        data={
            "csrf_token": token,
            "action": "add",
            "application_id": app_.id,
            "judge_id": judge.id,
        },
    )
    assert response.status_code == 409
    assert not db.session.scalar(
        sa.select(Assignment.id).where(
            Assignment.application_id == app_.id, Assignment.judge_id == judge.id
        )
    )
    # Lock from the ranking page.
    assert client.post(pages[2], data={"csrf_token": token, "action": "lock"}).status_code == 302
    db.session.refresh(round_)
    assert round_.locked_at is not None


def test_rubric_page_creates_a_round_and_refuses_a_zero_weight(client, auth, world):
    slug = world["festival"].slug
    auth.login(world["organizer"])
    path = f"/f/{slug}/manage/pitches/rubric"
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "action": "create_round",
            "new-name": "Chung kết",
            "new-pass_min_total": "60",
            "new-pass_no_zero": "y",
        },
    )
    assert response.status_code == 302
    new_id = int(re.search(r"round=(\d+)", response.headers["Location"]).group(1))
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "round": new_id,
            "action": "add_criterion",
            "crit-name_vi": "Đổi mới",
            "crit-weight": "0",
            "crit-max_score": "10",
        },
    )
    assert response.status_code == 400
    assert 'value="Đổi mới"' in response.get_data(as_text=True)
    response = client.post(
        path,
        data={"csrf_token": token, "round": new_id, "action": "seed_example"},
    )
    assert response.status_code == 302
    html = client.get(f"{path}?round={new_id}").get_data(as_text=True)
    assert html.count("data-criterion-id=") == 6


def test_conflicts_page_declares_and_removes(client, auth, world):
    slug, judge, app_ = world["festival"].slug, world["judges"][0], world["apps"][0]
    auth.login(judge)
    path = f"/f/{slug}/judge/conflicts"
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "kind": "declared",
            "application_id": app_.id,
            "note": "Tôi là cố vấn",
        },
    )
    assert response.status_code == 302
    assert ops.conflicted(judge, app_) == "declared"
    html = client.get(path).get_data(as_text=True)
    conflict_id = re.search(r'data-conflict-id="(\d+)"', html).group(1)
    response = client.post(path, data={"csrf_token": token, "remove": conflict_id})
    assert response.status_code == 302
    assert ops.conflicted(judge, app_) is None
    # Another judge's page is theirs alone: the organizer is not a judge here.
    auth.logout()
    auth.login(world["organizer"])
    assert client.get(path).status_code == 403


def test_shortlist_top_passing_from_the_ranking_page(client, auth, world):
    """Apps 1–3 get every criterion at 80 % (total 80), apps 4–6 at 40 % (total 40, failing):
    "shortlist 4" moves only the three passing ones, through calls.change_state."""
    round_, apps = world["round"], world["apps"]
    ops.run_assignment(round_, k=3)
    rows = db.session.scalars(sa.select(Assignment).where(Assignment.round_id == round_.id)).all()
    for row in rows:
        share = 0.8 if apps.index(row.application) < 3 else 0.4
        values = {c.id: c.max_score * share for c in round_.criteria}
        ops.save_scores(row, values, "", row.judge)
    db.session.commit()
    slug = world["festival"].slug
    auth.login(world["organizer"])
    path = f"/f/{slug}/manage/pitches/rounds/{round_.id}/ranking"
    html = client.get(path).get_data(as_text=True)
    assert html.count('data-passed="yes"') == 3 and html.count('data-passed="no"') == 3
    raw = client.get(path + "?view=raw").get_data(as_text=True)
    assert 'aria-current="page"' in raw and "80.00" in raw and "40.00" in raw
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "action": "shortlist", "count": 4})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    states = [db.session.get(PitchApplication, a.id).state for a in apps]
    assert states == ["shortlisted"] * 3 + ["in_review"] * 3


def test_organizer_sees_a_sheet_read_only(client, auth, world):
    round_, apps, judges = world["round"], world["apps"], world["judges"]
    row = ops.add_assignment(round_, apps[0], judges[0])
    db.session.commit()
    slug = world["festival"].slug
    auth.login(world["organizer"])
    html = client.get(f"/f/{slug}/judge/{row.id}").get_data(as_text=True)
    assert 'id="read-only"' in html
    token = csrf_token(client, f"/f/{slug}/judge/{row.id}")
    data = {"csrf_token": token} | {f"score-{c.id}": "1" for c in round_.criteria}
    assert client.post(f"/f/{slug}/judge/{row.id}", data=data).status_code == 403

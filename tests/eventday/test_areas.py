import datetime as dt
import subprocess
import sys

import pytest
import sqlalchemy as sa

from eventday.areas.models import Area, AreaLineage
from eventday.areas.operations import (
    AreaImportError,
    import_areas_csv,
    import_bundled,
    predecessors,
    search_areas,
    successors,
)
from eventday.extensions import db
from eventday.i18n import fold
from tests.conftest import area, csrf_token

HEADER = "level,code,name,kind,parent_code,valid_from,valid_to,replaces\n"


def test_bundled_data_has_districts_communes_and_lineage():
    quang_nam = area("province", "49", dt.date(2024, 1, 1))
    districts = [c for c in quang_nam.children if c.level == "district"]
    assert len(districts) == 18
    tay_giang = area("district", "504", dt.date(2024, 1, 1))
    assert tay_giang.full_name == "huyện Tây Giang"
    assert len(tay_giang.children) == 10
    new_tay_giang = area("commune", "20455")
    assert new_tay_giang.parent.name == "Đà Nẵng"
    assert new_tay_giang.path_name == "xã Tây Giang, thành phố Đà Nẵng"
    # The new commune reuses an old commune's code; both exist, told apart by validity.
    same_code = db.session.scalars(sa.select(Area).where(Area.code == "20455")).all()
    assert len(same_code) == 2
    old_names = sorted(a.name for a in predecessors(new_tay_giang))
    assert old_names == sorted(["Lăng", "A Nông", "A Tiêng", "Dang"])
    song_kon_old = area("commune", "20476", dt.date(2024, 1, 1))
    assert [a.name for a in successors(song_kon_old)] == ["Sông Kôn"]


def test_bundled_import_is_idempotent():
    before = db.session.scalar(sa.select(sa.func.count(Area.id)))
    lineages = db.session.scalar(sa.select(sa.func.count(AreaLineage.id)))
    result = import_bundled()
    assert result.created == 0 and result.lineages == 0
    assert db.session.scalar(sa.select(sa.func.count(Area.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(AreaLineage.id))) == lineages


@pytest.mark.parametrize(
    "query,expected",
    [
        ("Tay Giang", "Tây Giang"),
        ("tay giang", "Tây Giang"),
        ("dong giang", "Đông Giang"),
        ("SONG KON", "Sông Kôn"),
        ("la ee", "La Êê"),
        ("a vuong", "A Vương"),
    ],
)
def test_search_ignores_diacritics(query, expected):
    assert expected in [a.name for a in search_areas(query)]


def test_search_endpoint_lists_current_units_first(client):
    data = client.get("/areas/search?q=tay+giang").get_json()
    assert data[0]["label"] == "xã Tây Giang, thành phố Đà Nẵng" and data[0]["current"] is True
    assert any(not row["current"] and row["level"] == "district" for row in data)
    current = client.get("/areas/search?q=tay+giang&current=1").get_json()
    assert all(row["current"] for row in current)
    assert client.get("/areas/search?q=").get_json() == []
    assert client.get("/areas/search?q=%25").get_json() == []  # wildcards are literal


def test_fold():
    assert fold("Đắc Pring") == "dac pring"
    assert fold("  Sâm   Ngọc Linh ") == "sam ngoc linh"
    assert fold(None) == ""


def test_csv_import_with_lineage_and_all_or_nothing():
    text = HEADER + (
        "province,99,Tỉnh Thử,tinh,,2000-01-01,2025-06-30,\n"
        "district,990,Huyện Thử,huyen,99,2000-01-01,2025-06-30,\n"
        "commune,99001,Xã Một,xa,990,2000-01-01,2025-06-30,\n"
        "commune,99002,Xã Hai,xa,990,2000-01-01,2025-06-30,\n"
        "province,98,Tỉnh Mới,tinh,,2025-07-01,,province:99\n"
        "commune,99001,Xã Hợp Nhất,xa,98,2025-07-01,,commune:99001;commune:99002\n"
    )
    result = import_areas_csv(text)
    assert (result.created, result.lineages) == (6, 3)
    merged = area("commune", "99001", dt.date(2025, 8, 1))
    assert merged.name == "Xã Hợp Nhất" and merged.parent.code == "98"
    assert sorted(a.name for a in predecessors(merged)) == ["Xã Hai", "Xã Một"]
    assert import_areas_csv(text).created == 0

    bad = (
        HEADER
        + "commune,99003,Xã Ba,xa,990,2000-01-01,,\ncommune,99004,Xã Bốn,xa,12345,2000-01-01,,\n"
    )
    with pytest.raises(AreaImportError) as info:
        import_areas_csv(bad)
    assert info.value.line == 3


@pytest.mark.parametrize(
    "row,message",
    [
        ("village,1,X,xa,,2000-01-01,,", "unknown_level"),
        ("commune,1,X,xom,49,2000-01-01,,", "unknown_kind"),
        ("commune,1,X,xa,49,01/01/2000,,", "bad_date"),
        ("commune,1,X,xa,49,2000-01-01,1999-01-01,", "ends_before_start"),
        ("commune,1,X,xa,,2000-01-01,,", "needs_parent"),
        ("commune,1,X,xa,48,2025-07-01,,commune:424242", "predecessor_missing"),
    ],
)
def test_csv_import_errors_name_the_line(row, message):
    with pytest.raises(AreaImportError) as info:
        import_areas_csv(HEADER + row + "\n")
    assert info.value.line == 2 and info.value.code == message
    assert info.value.message  # a readable reason in the current language


def test_admin_csv_upload_reports_errors_and_keeps_nothing(client, create_user, auth):
    import io

    auth.login(create_user(admin=True))
    before = db.session.scalar(sa.select(sa.func.count(Area.id)))
    text = HEADER + "province,97,Tỉnh Ba,tinh,,2000-01-01,,\ncommune,1,X,xa,,2000-01-01,,\n"
    response = client.post(
        "/admin/areas",
        data={
            "file": (io.BytesIO(text.encode()), "areas.csv"),
            "csrf_token": csrf_token(client, "/admin/areas"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Area.id))) == before
    good = HEADER + "province,97,Tỉnh Ba,tinh,,2000-01-01,,\n"
    response = client.post(
        "/admin/areas",
        data={
            "file": (io.BytesIO(good.encode()), "areas.csv"),
            "csrf_token": csrf_token(client, "/admin/areas"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Area.id))) == before + 1


@pytest.mark.committing
def test_cli_areas_import(tmp_path):
    """`flask --app app areas import FILE` on a fresh database, as an operator would run it."""
    env_db = tmp_path / "cli.sqlite3"
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(HEADER + "province,96,Tỉnh Bốn,tinh,,2000-01-01,,\n", encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{env_db}",
        "EVENTDAY_INSTANCE": str(tmp_path / "instance"),
        "SECRET_KEY": "x",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [*flask, "areas", "import", str(csv_file)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "1 created" in out.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "commune,1,X,xa,,2000-01-01,,\n", encoding="utf-8")
    failed = subprocess.run(
        [*flask, "areas", "import", str(bad)], env=env, capture_output=True, text=True
    )
    assert failed.returncode != 0 and "line 2" in failed.stderr


def test_whole_name_matches_rank_first():
    names = [a.name for a in search_areas("la ee")]
    assert names[0] == "La Êê"
    assert search_areas("nam giang")[0].full_name == "xã Nam Giang"

"""Bank statement import: reading CSV/XLSX with a column mapping, matching transfers to orders,
idempotent re-import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import Workbook

from eventday.db import utcnow
from eventday.extensions import db
from ticketing import statements
from ticketing.codes import order_code
from ticketing.models import BankStatementRow, Order, Payment
from ticketing.statements import (
    ColumnMapping,
    StatementError,
    StatementLine,
    detect_mapping,
    find_order_codes,
    guess_mapping,
    import_statement,
    parse_amount,
    parse_date,
    read_headers,
    read_statement,
)

DAY = dt.date(2025, 3, 26)
VCB = ColumnMapping(date="Ngày giao dịch", amount="Số tiền ghi có", reference="Nội dung")


# --- helpers ---------------------------------------------------------------------------------


def fake_record_payment(order: Order, amount: int, fingerprint: str) -> None:
    """Stand-in for ticketing.operations.record_payment."""
    db.session.add(
        Payment(
            order_id=order.id,
            provider="vietqr",
            state="succeeded",
            amount_vnd=amount,
            external_id=fingerprint,
            confirmed_at=utcnow(),
        )
    )
    order.paid_vnd += amount
    if order.paid_vnd >= order.total_vnd:
        order.state = "paid"
        order.paid_at = utcnow()


@pytest.fixture
def festival(create_festival):
    return create_festival()


@pytest.fixture
def make_order(festival):
    def make(total: int, *, paid: int = 0, fest=None) -> Order:
        order = Order(
            festival_id=(fest or festival).id,
            code=order_code(),
            payment_method="vietqr",
            buyer_name="Trần Văn An",
            total_vnd=total,
            paid_vnd=paid,
            state="paid" if paid and paid >= total else "pending",
        )
        db.session.add(order)
        db.session.flush()
        return order

    return make


def run_import(festival, lines, batch="b1"):
    return import_statement(festival, lines, batch=batch, record_payment=fake_record_payment)


def line(row: int, amount: int, reference: str, day: dt.date = DAY) -> StatementLine:
    return StatementLine(row=row, booked_on=day, amount_vnd=amount, reference=reference)


def payments_of(order: Order) -> list[Payment]:
    return list(db.session.scalars(sa.select(Payment).where(Payment.order_id == order.id)))


def stored_rows(festival) -> list[BankStatementRow]:
    return list(
        db.session.scalars(
            sa.select(BankStatementRow)
            .where(BankStatementRow.festival_id == festival.id)
            .order_by(BankStatementRow.id)
        )
    )


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    text = "\r\n".join(delimiter.join(cells) for cells in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- matching --------------------------------------------------------------------------------


def test_every_status(festival, make_order, create_festival):
    exact = make_order(150_000)
    part = make_order(200_000)
    over = make_order(100_000)
    done = make_order(50_000, paid=50_000)
    twice = make_order(300_000)
    elsewhere = make_order(80_000, fest=create_festival())
    lines = [
        line(2, 150_000, f"NGUYEN VAN A chuyen tien {exact.code}"),
        line(3, 50_000, part.code),
        line(4, 120_000, over.code),
        line(5, 50_000, done.code),
        line(6, 300_000, f"{twice.code} lan 1"),
        line(7, 300_000, f"{twice.code} lan 2"),
        line(8, 99_000, "DH333333"),  # well-formed code, no such order
        line(9, 20_000, "ung ho ngay hoi"),  # no code at all
        line(10, 80_000, elsewhere.code),  # another festival's order
    ]
    report = run_import(festival, lines)

    assert report.counts() == {
        "matched": 2,
        "partial": 1,
        "overpaid": 1,
        "unknown": 3,
        "duplicate": 2,
        "already_imported": 0,
    }
    assert [(r.row, r.status, r.order_code, r.amount_vnd) for r in report.rows] == [
        (2, "matched", exact.code, 150_000),
        (3, "partial", part.code, 50_000),
        (4, "overpaid", over.code, 120_000),
        (5, "duplicate", done.code, 50_000),
        (6, "matched", twice.code, 300_000),
        (7, "duplicate", twice.code, 300_000),
        (8, "unknown", "DH333333", 99_000),
        (9, "unknown", None, 20_000),
        (10, "unknown", elsewhere.code, 80_000),
    ]
    assert report.imported == 9
    assert report.paid_vnd == 150_000 + 50_000 + 120_000 + 300_000

    assert (exact.state, exact.paid_vnd) == ("paid", 150_000)
    assert (part.state, part.paid_vnd) == ("pending", 50_000)
    assert (over.state, over.paid_vnd) == ("paid", 120_000)
    assert (done.paid_vnd, twice.paid_vnd, elsewhere.paid_vnd) == (50_000, 300_000, 0)
    assert payments_of(done) == [] and payments_of(elsewhere) == []
    assert [p.amount_vnd for p in payments_of(twice)] == [300_000]

    rows = stored_rows(festival)
    assert [r.status for r in rows] == [r.status for r in report.rows]
    assert [r.order_id for r in rows] == [
        exact.id,
        part.id,
        over.id,
        done.id,
        twice.id,
        twice.id,
        None,
        None,
        None,
    ]
    assert rows[0].booked_on == DAY
    assert rows[0].reference == f"NGUYEN VAN A chuyen tien {exact.code}"
    assert {r.batch for r in rows} == {"b1"}
    assert len({r.fingerprint for r in rows}) == 9
    # The payment carries the row's fingerprint, so it can be traced back to the statement.
    assert payments_of(exact)[0].external_id == rows[0].fingerprint


def test_partial_then_rest_in_one_file(festival, make_order):
    order = make_order(200_000)
    report = run_import(
        festival, [line(2, 50_000, order.code), line(3, 150_000, order.code + " phan con lai")]
    )
    assert [r.status for r in report.rows] == ["partial", "matched"]
    assert (order.paid_vnd, order.state) == (200_000, "paid")


def test_reimport_changes_nothing(festival, make_order):
    a, b = make_order(150_000), make_order(200_000)
    data = csv_bytes(
        [
            ["Ngày giao dịch", "Số tiền ghi có", "Nội dung"],
            ["26/03/2025", "150.000", a.code],
            ["26/03/2025", "100.000", b.code],
            ["27/03/2025", "20.000", "khong ro"],
        ]
    )
    first = run_import(festival, read_statement(data, "sao-ke.csv", VCB), batch="first")
    assert first.counts()["already_imported"] == 0
    paid_before = (a.paid_vnd, b.paid_vnd)
    payments_before = db.session.scalar(sa.select(sa.func.count(Payment.id)))

    second = run_import(festival, read_statement(data, "sao-ke.csv", VCB), batch="second")

    assert second.counts() == {
        "matched": 0,
        "partial": 0,
        "overpaid": 0,
        "unknown": 0,
        "duplicate": 0,
        "already_imported": 3,
    }
    assert [r.status for r in second.rows] == ["already_imported"] * 3
    assert [r.order_code for r in second.rows] == [a.code, b.code, None]
    assert (a.paid_vnd, b.paid_vnd) == paid_before
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == payments_before
    assert len(stored_rows(festival)) == 3
    assert {r.batch for r in stored_rows(festival)} == {"first"}


def test_two_identical_transfers_in_one_file(festival, make_order):
    order = make_order(100_000)
    data = csv_bytes(
        [
            ["Ngày giao dịch", "Số tiền ghi có", "Nội dung"],
            ["26/03/2025", "100.000", order.code],
            ["26/03/2025", "100.000", order.code],
        ]
    )
    lines = read_statement(data, "x.csv", VCB)
    report = run_import(festival, lines)
    # Two real transfers: two rows; the second one is money paid twice.
    assert [r.status for r in report.rows] == ["matched", "duplicate"]
    assert len(stored_rows(festival)) == 2
    assert order.paid_vnd == 100_000
    again = run_import(festival, read_statement(data, "x.csv", VCB))
    assert again.already_imported == 2 and again.imported == 0
    assert len(stored_rows(festival)) == 2


def test_identical_transfers_unknown_are_both_kept(festival):
    lines = [line(2, 10_000, "ung ho"), line(3, 10_000, "Ủng hộ")]  # same memo once folded
    report = run_import(festival, lines)
    assert report.unknown == 2
    assert len(stored_rows(festival)) == 2
    assert run_import(festival, lines).already_imported == 2


def test_fingerprints_depend_on_festival_and_occurrence(festival, create_festival):
    lines = [line(2, 10_000, "a"), line(3, 10_000, "A"), line(4, 10_000, "a", DAY.replace(day=27))]
    mine = statements.fingerprints(festival.id, lines)
    assert len(set(mine)) == 3
    assert statements.fingerprints(festival.id, lines) == mine
    assert set(statements.fingerprints(create_festival().id, lines)).isdisjoint(mine)


def test_same_statement_in_another_festival_is_imported_there(
    festival, make_order, create_festival
):
    other = create_festival()
    lines = [line(2, 10_000, "ung ho")]
    run_import(festival, lines)
    assert run_import(other, lines).unknown == 1


def test_line_claimed_by_a_concurrent_import_records_nothing(festival, make_order):
    """A row inserted after the pre-check (another import committing first) hits the unique
    constraint: the line counts as already imported and its payment is rolled back."""
    first, second = make_order(10_000), make_order(20_000)
    lines = [line(2, 10_000, first.code), line(3, 20_000, second.code)]
    second_print = statements.fingerprints(festival.id, lines)[1]

    def racing_record_payment(order, amount, fingerprint):
        fake_record_payment(order, amount, fingerprint)
        if order.id == first.id:  # meanwhile, another import stores line 3
            db.session.add(
                BankStatementRow(
                    festival_id=festival.id,
                    fingerprint=second_print,
                    booked_on=DAY,
                    amount_vnd=20_000,
                    reference=second.code,
                    status="matched",
                    order_id=second.id,
                    batch="other",
                )
            )

    report = import_statement(festival, lines, batch="b", record_payment=racing_record_payment)
    assert [r.status for r in report.rows] == ["matched", "already_imported"]
    assert payments_of(second) == []
    assert second.paid_vnd == 0
    assert first.paid_vnd == 10_000
    assert [r.batch for r in stored_rows(festival)] == ["b", "other"]


def test_failing_record_payment_leaves_no_row(festival, make_order):
    order = make_order(10_000)

    def broken(order, amount, fingerprint):
        raise RuntimeError("payment provider down")

    with pytest.raises(RuntimeError):
        import_statement(festival, [line(2, 10_000, order.code)], batch="b", record_payment=broken)
    assert stored_rows(festival) == []


def test_two_different_orders_in_one_memo_is_unknown(festival, make_order):
    a, b = make_order(10_000), make_order(10_000)
    report = run_import(festival, [line(2, 20_000, f"{a.code} {b.code}")])
    assert report.rows[0].status == "unknown"
    assert a.paid_vnd == b.paid_vnd == 0


# --- mangled memos ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "memo",
    [
        "dh 4kq7xa",
        "DH-4KQ7XA",
        "dh4kq7xa",
        "D H 4 K Q 7 X A",
        "DH 4KQ-7XA",
        "MBVCB.3312345.DH4KQ7XA.CT tu 0123456789 NGUYEN VAN A",
        "NGUYEN VAN A chuyen tien DH4KQ7XA FT25085123456",
        "IBFT DH4KQ7XAGD 123456",  # glued to the next word by the bank
        "Ve ngay hoi DH_4KQ7XA",
        "ADH4KQ7XA",  # glued to the previous word
    ],
)
def test_find_mangled_codes(memo):
    assert "DH4KQ7XA" in find_order_codes(memo)


@pytest.mark.parametrize("memo", ["", "chuyen tien", "DH4KQ7", "DH 4KQ0XA", "DHOOOOOO"])
def test_no_code(memo):
    assert find_order_codes(memo) == []


def test_mangled_memos_match(festival, make_order):
    orders = [make_order(10_000) for _ in range(4)]
    memos = [
        orders[0].code.lower(),
        "DH-" + orders[1].code[2:],
        "dh " + orders[2].code[2:5].lower() + " " + orders[2].code[5:].lower() + " cam on",
        "MBVCB.12345." + orders[3].code + "FT25085",
    ]
    report = run_import(festival, [line(i + 2, 10_000, m) for i, m in enumerate(memos)])
    assert [r.status for r in report.rows] == ["matched"] * 4
    assert [r.order_code for r in report.rows] == [o.code for o in orders]


# --- reading files ---------------------------------------------------------------------------


def test_csv_with_bom_semicolons_preamble_and_debits(festival, make_order):
    order = make_order(150_000)
    other = make_order(300_000)
    data = csv_bytes(
        [
            ["SAO KÊ TÀI KHOẢN", "", "", "", ""],
            ["Số tài khoản: 1234567890", "", "", "", ""],
            ["STT", "Ngày giao dịch", "Số tiền ghi nợ", "Số tiền ghi có", "Nội dung chi tiết"],
            ["1", "26/03/2025 10:15:00", "", "+150.000 VND", f"{order.code} Nguyen Thi B"],
            ["2", "26/03/2025 11:00:00", "50.000", "", "Phi SMS"],  # a debit
            ["3", "2025-03-27", "", "150,000", f'"dh-{other.code[2:].lower()}"'],
            ["", "", "", "", ""],
            ["", "Tổng cộng", "50.000", "300.000", ""],
        ],
        delimiter=";",
        bom=True,
    )
    mapping = detect_mapping(data, "sao-ke.csv")
    assert mapping == ColumnMapping(
        date="Ngày giao dịch",
        amount="Số tiền ghi có",
        reference="Nội dung chi tiết",
        header_row=3,
    )
    assert read_headers(data, "sao-ke.csv", 3)[0] == "STT"  # the BOM is gone
    lines = read_statement(data, "sao-ke.csv", mapping)
    assert [(x.row, x.booked_on, x.amount_vnd) for x in lines] == [
        (4, DAY, 150_000),
        (6, dt.date(2025, 3, 27), 150_000),
    ]
    assert lines[0].reference == f"{order.code} Nguyen Thi B"
    report = run_import(festival, lines)
    assert [r.status for r in report.rows] == ["matched", "partial"]


def test_csv_comma_with_quoted_amounts():
    data = csv_bytes(
        [
            ["Ngày", "Mô tả", "Số tiền"],
            ["26/03/2025", '"DH4KQ7XA, cam on"', '"1,500,000"'],
            ["26/03/2025", "rut tien", '"-200,000"'],  # money out: skipped
        ]
    )
    mapping = guess_mapping(read_headers(data, "a.csv"))
    assert mapping == ColumnMapping(date="Ngày", amount="Số tiền", reference="Mô tả")
    lines = read_statement(data, "a.csv", mapping)
    assert [(x.amount_vnd, x.reference) for x in lines] == [(1_500_000, "DH4KQ7XA, cam on")]


def test_xlsx(festival, make_order):
    order = make_order(250_000)
    data = xlsx_bytes(
        [
            ["Ngân hàng TMCP Ngoại thương Việt Nam"],
            [],
            ["Ngày giao dịch", "Diễn giải", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư"],
            [dt.datetime(2025, 3, 26, 9, 30), order.code, None, 250000, 1_250_000],
            [dt.date(2025, 3, 27), "ung ho", None, "50.000", 1_300_000],
            ["28/03/2025", "chuyen di", 70000, None, 1_230_000],
        ]
    )
    mapping = detect_mapping(data, "statement.xlsx")
    assert mapping is not None and mapping.header_row == 3
    assert mapping.amount == "Số tiền ghi có" and mapping.reference == "Diễn giải"
    lines = read_statement(data, "statement.xlsx", mapping)
    assert [(x.row, x.booked_on, x.amount_vnd, x.reference) for x in lines] == [
        (4, DAY, 250_000, order.code),
        (5, dt.date(2025, 3, 27), 50_000, "ung ho"),
    ]
    report = run_import(festival, lines)
    assert (report.matched, report.unknown) == (1, 1)
    # The same transfers exported as CSV have the same fingerprints: nothing new.
    csv_data = csv_bytes(
        [
            ["Ngày giao dịch", "Diễn giải", "Số tiền ghi có"],
            ["26/03/2025 09:30", order.code, "250.000"],
            ["27/03/2025", "ung ho", "50000"],
        ]
    )
    again = run_import(festival, read_statement(csv_data, "statement.csv", mapping_row1(mapping)))
    assert again.already_imported == 2


def mapping_row1(mapping: ColumnMapping) -> ColumnMapping:
    return ColumnMapping(mapping.date, mapping.amount, mapping.reference, header_row=1)


def test_format_is_decided_by_content_not_name():
    data = xlsx_bytes([["Ngày", "Nội dung", "Số tiền"], ["26/03/2025", "x", 1000]])
    lines = read_statement(data, "sao-ke.csv", ColumnMapping("Ngày", "Số tiền", "Nội dung"))
    assert [x.amount_vnd for x in lines] == [1000]


def test_old_xls_refused():
    with pytest.raises(StatementError):
        read_statement(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.xls", VCB)


def test_not_utf8_refused():
    data = "Ngày giao dich,So tien ghi co,Noi dung\n".encode("latin-1")
    with pytest.raises(StatementError):
        read_statement(data, "a.csv", VCB)


def header_and(*rows: list[str]) -> bytes:
    return csv_bytes([["Ngày giao dịch", "Số tiền ghi có", "Nội dung"], *rows])


@pytest.mark.parametrize(
    ("rows", "bad_row", "column"),
    [
        ([["26/03/2025", "150.000", "a"], ["26/03/2025", "mot tram", "b"]], 3, "amount"),
        ([["26/03/2025", "150.5", "a"]], 2, "amount"),
        ([["26/03/2025", "1.50.000", "a"]], 2, "amount"),
        ([["26/03/2025", "150.000", "a"], ["31/02/2025", "10.000", "b"]], 3, "date"),
        ([["hôm qua", "150.000", "a"]], 2, "date"),
        ([["", "150.000", "a"]], 2, "date"),
    ],
)
def test_bad_rows_are_reported_and_nothing_is_imported(festival, rows, bad_row, column):
    with pytest.raises(StatementError) as info:
        lines = read_statement(header_and(*rows), "x.csv", VCB)
        run_import(festival, lines)  # never reached
    error = info.value
    assert (error.row, error.column) == (bad_row, column)
    with force_locale("en"):
        assert f"Row {bad_row}" in error.message
        assert getattr(VCB, column) in error.message
    assert stored_rows(festival) == []


def test_bad_row_message_is_translated(app):
    from flask_babel import force_locale

    error = StatementError("x", row=4, column="amount", header="Số tiền")
    with force_locale("en"):
        assert error.message == "Row 4, column “Số tiền”: x"


def test_missing_column_reported():
    data = csv_bytes([["Ngày giao dịch", "Số tiền", "Nội dung"], ["26/03/2025", "1", "a"]])
    with pytest.raises(StatementError) as info:
        read_statement(data, "x.csv", VCB)
    assert (info.value.row, info.value.column) == (1, "amount")


def test_header_matching_ignores_case_and_diacritics():
    data = csv_bytes(
        [["NGAY GIAO DICH", "so tien ghi co", " Nội  dung "], ["26/03/2025", "1", "a"]]
    )
    assert [x.amount_vnd for x in read_statement(data, "x.csv", VCB)] == [1]


def test_header_row_outside_file():
    with pytest.raises(StatementError):
        read_statement(header_and(), "x.csv", ColumnMapping("a", "b", "c", header_row=5))


# --- parsing cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("150.000", 150_000),
        ("150,000", 150_000),
        ("150000", 150_000),
        ("+150.000 VND", 150_000),
        ("150.000 đ", 150_000),
        ("150.000₫", 150_000),
        ("1.500.000,00", 1_500_000),
        ("1,500,000.00", 1_500_000),
        ("150 000", 150_000),
        ("-150.000", -150_000),
        ("(150.000)", -150_000),
        ("150.000-", -150_000),
        (150000, 150_000),
        (150000.0, 150_000),
    ],
)
def test_parse_amount(raw, expected):
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "150.5", "1,5", "1.50.000", "150.000,50", True, 1.5])
def test_parse_amount_refuses(raw):
    with pytest.raises(ValueError):
        parse_amount(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "26/03/2025",
        "2025-03-26",
        "26/03/2025 10:15:00",
        "26/03/2025 10:15",
        "2025-03-26T10:15:00",
        "26-03-2025",
        "26.03.2025",
        dt.date(2025, 3, 26),
        dt.datetime(2025, 3, 26, 23, 59),
    ],
)
def test_parse_date(raw):
    assert parse_date(raw) == DAY


@pytest.mark.parametrize("raw", ["", None, "03/26/2025", "26/03", "hom nay"])
def test_parse_date_refuses(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["STT", "Ngày giao dịch", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Nội dung"],
            ("Ngày giao dịch", "Số tiền ghi có", "Nội dung"),
        ),
        (["Ngày", "Mô tả", "Số tiền"], ("Ngày", "Số tiền", "Mô tả")),
        (
            ["Ngày hiệu lực", "Diễn giải", "Phát sinh có", "Phát sinh nợ"],
            ("Ngày hiệu lực", "Phát sinh có", "Diễn giải"),
        ),
        (
            ["Ngày giao dịch (GMT+7)", "Số tiền (VND)", "Nội dung giao dịch"],
            ("Ngày giao dịch (GMT+7)", "Số tiền (VND)", "Nội dung giao dịch"),
        ),
        (
            ["Transaction Date", "Debit", "Credit", "Description"],
            ("Transaction Date", "Credit", "Description"),
        ),
    ],
)
def test_guess_mapping(headers, expected):
    mapping = guess_mapping(headers)
    assert mapping is not None
    assert (mapping.date, mapping.amount, mapping.reference) == expected


@pytest.mark.parametrize(
    "headers", [[], ["Ngày giao dịch", "Nội dung"], ["Số tài khoản", "Tên", "Số dư"]]
)
def test_guess_mapping_none(headers):
    assert guess_mapping(headers) is None

"""OCOP product groups of Decision 148/QĐ-TTg (2023), star bands and certificate validity.

Group codes are written ``I``, ``I.3`` or ``I.3.c`` (group, sub-group, kind); products carry
the most specific code known. Names are in Vietnamese as in the decision, with English.
"""

from __future__ import annotations

import calendar
import datetime as dt

from booths.models import CERTIFICATE_VALID_MONTHS

# code -> (Vietnamese, English)
GROUPS: dict[str, tuple[str, str]] = {
    "I": ("Thực phẩm", "Food"),
    "I.1": ("Thực phẩm tươi sống", "Fresh food"),
    "I.1.a": ("Rau, củ, quả, hạt tươi", "Fresh vegetables, fruit, nuts"),
    "I.1.b": ("Thịt, thủy sản, trứng, sữa tươi", "Fresh meat, seafood, eggs, milk"),
    "I.2": ("Thực phẩm thô, sơ chế", "Raw and pre-processed food"),
    "I.2.a": ("Gạo, ngũ cốc", "Rice, cereals"),
    "I.2.b": ("Mật ong, nông sản khác", "Honey, other farm produce"),
    "I.3": ("Thực phẩm chế biến", "Processed food"),
    "I.3.a": ("Đồ ăn nhanh", "Fast food"),
    "I.3.b": ("Chế biến từ gạo, ngũ cốc", "Made from rice and cereals"),
    "I.3.c": ("Chế biến từ rau, củ, quả", "Made from vegetables and fruit"),
    "I.3.d": (
        "Chế biến từ thịt, trứng, sữa, thủy sản, mật ong",
        "Made from meat, eggs, milk, seafood, honey",
    ),
    "I.4": ("Gia vị", "Condiments"),
    "I.4.a": ("Tương, nước mắm", "Sauces, fish sauce"),
    "I.4.b": ("Gia vị khác", "Other condiments"),
    "I.5": ("Chè", "Tea"),
    "I.5.a": ("Chè", "Tea"),
    "I.5.b": ("Chè từ thực vật khác", "Tea from other plants"),
    "I.6": ("Cà phê, ca cao", "Coffee, cocoa"),
    "II": ("Đồ uống", "Drinks"),
    "II.1": ("Đồ uống có cồn", "Alcoholic drinks"),
    "II.1.a": ("Rượu trắng", "White spirits"),
    "II.1.b": ("Đồ uống có cồn khác", "Other alcoholic drinks"),
    "II.2": ("Đồ uống không cồn", "Non-alcoholic drinks"),
    "II.2.a": ("Nước khoáng, nước uống đóng chai", "Mineral and bottled water"),
    "II.2.b": ("Đồ uống không cồn khác", "Other non-alcoholic drinks"),
    "III": ("Dược liệu", "Medicinal herbs"),
    "III.1": (
        "Thực phẩm chức năng, thuốc dược liệu, thuốc cổ truyền",
        "Supplements, herbal and traditional medicines",
    ),
    "III.2": ("Mỹ phẩm", "Cosmetics"),
    "III.3": ("Tinh dầu và dược liệu khác", "Essential oils and other herbs"),
    "IV": ("Thủ công mỹ nghệ", "Handicrafts"),
    "IV.1": ("Đồ gia dụng, trang trí", "Household and decorative goods"),
    "IV.2": ("Vải, may mặc", "Textiles, clothing"),
    "V": ("Sinh vật cảnh", "Ornamental plants and animals"),
    "V.1": ("Hoa", "Flowers"),
    "V.2": ("Cây cảnh", "Ornamental plants"),
    "V.3": ("Động vật cảnh", "Ornamental animals"),
    "VI": ("Dịch vụ du lịch", "Tourism services"),
}

# Score bands of Decision 148 (score out of 100 -> stars).
STAR_BANDS = ((90, 5), (70, 4), (50, 3), (30, 2), (0, 1))


def normalize_group(code: str | None) -> str | None:
    """ "i.3.C" -> "I.3.c"; None for an empty or unknown code."""
    if not code or not code.strip():
        return None
    parts = code.strip().replace(" ", "").split(".")
    parts[0] = parts[0].upper()
    if len(parts) > 2:
        parts[2] = parts[2].lower()
    normal = ".".join(parts)
    return normal if normal in GROUPS else None


def group_and_parents(code: str) -> list[str]:
    """ "I.3.c" -> ["I", "I.3", "I.3.c"]: a filter on "I" finds every food product."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def stars_for_score(score: int) -> int:
    for floor, stars in STAR_BANDS:
        if score >= floor:
            return stars
    return 1


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_valid_until(decision_date: dt.date) -> dt.date:
    """A certificate is valid 36 months from its decision: decision date + 36 months."""
    return add_months(decision_date, CERTIFICATE_VALID_MONTHS)

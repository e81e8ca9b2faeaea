"""Labels for area levels and kinds."""

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    "province": _l("Province"),
    "district": _l("District"),
    "commune": _l("Commune"),
}

# Official Vietnamese unit names; shown as-is in both languages, as on official documents.
KIND_LABELS = {
    "tinh": _l("province"),
    "thanh_pho": _l("city"),
    "huyen": _l("district"),
    "thi_xa": _l("town"),
    "xa": _l("commune"),
    "phuong": _l("ward"),
    "thi_tran": _l("township"),
    "dac_khu": _l("special zone"),
}

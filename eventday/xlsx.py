"""Excel workbooks in and out: opening an upload checked by content, and text cells that stay
text (never a formula, whatever they start with: =, +, -, @)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def open_workbook(data: bytes, error: type[Exception], max_bytes: int):
    """A read-only openpyxl workbook of an uploaded file, or ``error(message)`` with a
    translated reason: too large, an old .xls, not an XLSX by content, damaged."""
    if len(data) > max_bytes:
        raise error(_l("The file is larger than %(max)s MB.", max=max_bytes // (1024 * 1024)))
    if data[:8] == XLS_MAGIC:
        raise error(_l("Old Excel files (.xls) are not supported: save as XLSX."))
    if data[:4] != ZIP_MAGIC:
        raise error(
            _l("This is not an XLSX workbook: save the list as Excel (.xlsx) and try again.")
        )
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise error(_l("The XLSX file cannot be opened.")) from exc


def text_cell(sheet, value):
    """A write-only cell holding ``value``; text stays text."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def append_row(sheet, values: Iterable) -> None:
    """Append a row to an ordinary worksheet; its text cells stay text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"

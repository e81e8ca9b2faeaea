"""Small helpers for the workbooks the pitches package exports."""

from __future__ import annotations

from collections.abc import Iterable


def append_row(sheet, values: Iterable) -> None:
    """Append a row to an openpyxl worksheet; its text cells stay text, never a formula,
    whatever the text starts with (=, +, -, @), as ``booths.reports.export_xlsx`` does."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"

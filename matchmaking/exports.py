"""What organizers take out of the matchmaking: the schedule as XLSX, printable table signs
and per-table lists for the table hosts."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _

from eventday.festivals.models import Festival
from eventday.i18n import format_date, format_time, localized
from eventday.xlsx import append_row
from matchmaking.grid import (
    ATTENDANCE_LABELS,
    MEETING_STATE_LABELS,
    PRIORITY_LABELS,
    attendance,
    festival_meetings,
    kind_label,
    parties,
)
from matchmaking.models import MatchTable, Meeting
from matchmaking.setup import sessions, table_name, tables


def schedule_xlsx(festival: Festival) -> bytes:
    """One row per live meeting in time order: session, date, times, table, both parties and
    their kinds, priority, state, published or draft, attendance."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    names = {s.id: localized(s, "name") for s in sessions(festival)}
    wb = Workbook()
    ws = wb.active
    ws.title = _("Meetings")[:31]
    append_row(
        ws,
        [
            _("Session"),
            _("Date"),
            _("Starts"),
            _("Ends"),
            _("Table"),
            _("Host"),
            _("Kind"),
            _("Guest"),
            _("Kind"),
            _("Priority"),
            _("Mutual"),
            _("State"),
            _("Published"),
            _("Attendance"),
        ],
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for meeting in festival_meetings(festival):
        host, guest = parties(meeting)
        append_row(
            ws,
            [
                names.get(meeting.session_id, ""),
                format_date(meeting.starts_at),
                format_time(meeting.starts_at),
                format_time(meeting.ends_at),
                table_name(meeting.table),
                host.display_name,
                kind_label(host.kind),
                guest.display_name,
                kind_label(guest.kind),
                str(PRIORITY_LABELS.get(meeting.request.priority, meeting.request.priority)),
                _("yes") if meeting.request.mutual else _("no"),
                str(MEETING_STATE_LABELS.get(meeting.state, meeting.state)),
                _("yes") if meeting.published else _("no"),
                str(ATTENDANCE_LABELS.get(attendance(meeting), "")),
            ],
        )
    widths = (24, 12, 8, 8, 14, 32, 14, 32, 14, 14, 8, 12, 10, 14)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class TableList:
    table: MatchTable
    name: str
    meetings: list[Meeting]


def table_lists(festival: Festival, *, published_only: bool = False) -> list[TableList]:
    """Per active table (and any table that has meetings) its live meetings in time order."""
    by_table: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in festival_meetings(festival):
        if published_only and not meeting.published:
            continue
        by_table[meeting.table_id].append(meeting)
    return [
        TableList(t, table_name(t), by_table.get(t.id, []))
        for t in tables(festival)
        if t.active or by_table.get(t.id)
    ]

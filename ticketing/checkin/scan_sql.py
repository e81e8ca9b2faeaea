"""``checkin_scan``: an online QR scan decided and recorded by PostgreSQL in one call.

The lean path (``ticketing.checkin.fastscan``) verifies the code's signature in Python, then
calls this function once, as its own transaction: one round trip instead of five. Inside, each
statement reads with a fresh snapshot (a VOLATILE function in READ COMMITTED), so the admission
is read *after* the ticket's row lock is granted — the same order as ``operations.scan_ticket``
— and the partial unique index ``uq_scans_one_admission`` stays the last line of defence.

The rules are ``operations.rule_status`` and the single-entry part of ``operations._decide``,
written again in SQL; ``tests/ticketing/test_checkin_fastscan.py`` sends the same scans through
both and compares every answer. The function answers ``hand_over`` (and writes nothing) for
everything that is not its to decide: an unknown or revoked device, another list, a ticket of
another festival or none, a nonce seen before, an entry on a list that tracks exits, and a
unique rule that caught a concurrent write. The Flask view answers those.

Created by migration 7d1f0c2a9b3e, and by ``create_all`` through the DDL events below.
"""

import sqlalchemy as sa

FUNCTION = r"""
CREATE OR REPLACE FUNCTION checkin_scan(
    p_token_hash varchar, p_ticket_id bigint, p_festival_id bigint, p_list_id bigint,
    p_type varchar, p_nonce varchar, p_scanned_at timestamptz, p_now timestamptz,
    p_raw_code varchar, p_last_seen_every interval, p_local_tz text
) RETURNS TABLE (
    outcome text, status text, short_code varchar, attendee_name varchar, type_vi varchar,
    type_en varchar, state varchar, first_at timestamptz, first_gate varchar
) LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    d record;
    l record;
    t record;
    local_day date;
    v_status text;
    v_admits boolean := false;
    a_at timestamptz;
    a_gate varchar;
    a_found boolean;
    v_id integer;
BEGIN
    SELECT dev.id, dev.gate_id, dev.last_seen_at, dev.list_id INTO d
    FROM scanner_devices dev
    WHERE dev.token_hash = p_token_hash AND dev.revoked_at IS NULL;
    IF NOT FOUND OR (p_list_id IS NOT NULL AND p_list_id <> d.list_id) THEN
        RETURN QUERY SELECT 'hand_over', NULL, NULL::varchar, NULL::varchar, NULL::varchar,
            NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::varchar;
        RETURN;
    END IF;
    SELECT cl.id, cl.festival_id, cl.allow_reentry, cl.track_exits, cl.starts_at, cl.ends_at
    INTO l FROM checkin_lists cl WHERE cl.id = d.list_id;

    -- The row lock: a second scan of this ticket waits here until the first one commits.
    SELECT tk.festival_id, tk.ticket_type_id, tk.state, tk.short_code, tk.attendee_name,
           ty.name_vi, ty.name_en
    INTO t
    FROM tickets tk JOIN ticket_types ty ON ty.id = tk.ticket_type_id
    WHERE tk.id = p_ticket_id
    FOR UPDATE OF tk;
    IF NOT FOUND OR t.festival_id <> l.festival_id OR p_festival_id <> l.festival_id
       OR (l.allow_reentry AND l.track_exits AND p_type = 'entry') THEN
        RETURN QUERY SELECT 'hand_over', NULL, NULL::varchar, NULL::varchar, NULL::varchar,
            NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::varchar;
        RETURN;
    END IF;

    -- After the lock, with a fresh snapshot: the ticket's admission on this list.
    SELECT s.scanned_at, g.name INTO a_at, a_gate
    FROM scans s LEFT JOIN gates g ON g.id = s.gate_id
    WHERE s.list_id = l.id AND s.ticket_id = p_ticket_id AND s.admits;
    a_found := FOUND;

    -- operations.rule_status, then the single-entry rule of operations._decide.
    local_day := (p_scanned_at AT TIME ZONE p_local_tz)::date;
    IF t.state = 'reserved' THEN
        v_status := 'unpaid';
    ELSIF t.state <> 'valid' THEN
        v_status := 'revoked';
    ELSIF EXISTS (SELECT 1 FROM checkin_list_types x WHERE x.list_id = l.id)
          AND NOT EXISTS (SELECT 1 FROM checkin_list_types x
                          WHERE x.list_id = l.id AND x.ticket_type_id = t.ticket_type_id) THEN
        v_status := 'wrong_list';
    ELSIF NOT (
            CASE WHEN EXISTS (SELECT 1 FROM ticket_type_days x
                              WHERE x.ticket_type_id = t.ticket_type_id)
                 THEN EXISTS (SELECT 1 FROM ticket_type_days x
                              JOIN festival_days fd ON fd.id = x.festival_day_id
                              WHERE x.ticket_type_id = t.ticket_type_id AND fd.day = local_day)
                 ELSE EXISTS (SELECT 1 FROM festival_days fd
                              WHERE fd.festival_id = t.festival_id AND fd.day = local_day)
            END
            AND (NOT EXISTS (SELECT 1 FROM checkin_list_days x WHERE x.list_id = l.id)
                 OR EXISTS (SELECT 1 FROM checkin_list_days x
                            JOIN festival_days fd ON fd.id = x.festival_day_id
                            WHERE x.list_id = l.id AND fd.day = local_day)))
          OR (l.starts_at IS NOT NULL AND p_scanned_at < l.starts_at)
          OR (l.ends_at IS NOT NULL AND p_scanned_at > l.ends_at) THEN
        v_status := 'wrong_day';
    ELSIF p_type = 'exit' OR l.allow_reentry THEN
        v_status := 'ok';
    ELSIF a_found THEN
        v_status := 'already_checked_in';
    ELSE
        v_status := 'ok';
        v_admits := true;
    END IF;

    INSERT INTO scans (festival_id, list_id, ticket_id, device_id, gate_id, type, status,
                       admits, nonce, scanned_at, received_at, offline, raw_code)
    VALUES (l.festival_id, l.id, p_ticket_id, d.id, d.gate_id, p_type, v_status, v_admits,
            p_nonce, p_scanned_at, p_now, false, p_raw_code)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
    -- A nonce seen before (a replay: the view answers with the first answer), or the
    -- one-admission index caught what the lock did not: the view sorts it out.
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'hand_over', NULL, NULL::varchar, NULL::varchar, NULL::varchar,
            NULL::varchar, NULL::varchar, NULL::timestamptz, NULL::varchar;
        RETURN;
    END IF;
    IF d.last_seen_at IS NULL OR p_now - d.last_seen_at >= p_last_seen_every THEN
        UPDATE scanner_devices SET last_seen_at = p_now WHERE id = d.id;
    END IF;
    RETURN QUERY SELECT 'answered', v_status, t.short_code, t.attendee_name, t.name_vi,
        t.name_en, t.state,
        CASE WHEN v_status = 'already_checked_in' THEN a_at END,
        CASE WHEN v_status = 'already_checked_in' THEN a_gate END;
END
$fn$
"""

DROP = "DROP FUNCTION IF EXISTS checkin_scan(varchar, bigint, bigint, bigint, varchar, varchar, timestamptz, timestamptz, varchar, interval, text)"  # noqa: E501


def register_ddl(scans_table: sa.Table) -> None:
    """``create_all`` and ``drop_all`` make and remove the function with the scans table."""
    sa.event.listen(scans_table, "after_create", sa.DDL(FUNCTION).execute_if(dialect="postgresql"))
    sa.event.listen(scans_table, "before_drop", sa.DDL(DROP).execute_if(dialect="postgresql"))

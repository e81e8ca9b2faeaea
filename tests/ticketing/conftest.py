import datetime as dt

import pytest

from eventday.extensions import db
from ticketing.models import TicketType


@pytest.fixture
def create_ticket_type(app):
    def make(festival, **values):
        values.setdefault("name_vi", f"Vé {len(values)}-{dt.datetime.now().timestamp()}")
        values.setdefault("price_vnd", 0)
        values.setdefault("quota", 100)
        ticket_type = TicketType(festival_id=festival.id, **values)
        db.session.add(ticket_type)
        db.session.commit()
        return ticket_type

    return make


@pytest.fixture
def bank_festival(create_festival):
    """A published festival with VietQR transfer and cash set up."""
    from ticketing import operations as ops

    festival = create_festival(state="published")
    settings = ops.payment_settings(festival)
    settings.bank_bin = "970436"
    settings.account_number = "1234567890"
    settings.account_name = "UBND XA DONG GIANG"
    db.session.commit()
    return festival

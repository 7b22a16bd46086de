"""The booking ledger: one row per parcel (the idempotency key), written in its own short
transactions so that "pending" survives a handler that fails after the courier was called."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hub.adapters.couriers.base import Booking, BookingRequest
from hub.adapters.orm_couriers import courier_bookings as t


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class LedgerEntry:
    parcel_id: str
    order_id: str
    courier: str
    status: str
    attempts: int
    booking: Booking | None
    error: str | None = None


def _entry(row: Any) -> LedgerEntry:
    booking = None
    if row.status in ("booked", "cancelled") and row.tracking_number:
        booking = Booking(courier=row.courier, service=row.service or "",
                          tracking_number=row.tracking_number, why=row.why or "",
                          label=row.label or b"", label_format=row.label_format or "",
                          courier_ref=row.courier_ref or "", cost=row.cost)
    return LedgerEntry(row.parcel_id, row.order_id, row.courier, row.status,
                       int(row.attempts), booking, row.error)


class BookingLedger:
    def __init__(self, engine: Engine, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.now = now

    def get(self, parcel_id: str) -> LedgerEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.parcel_id == parcel_id)).first()
        return _entry(row) if row else None

    def start(self, request: BookingRequest, courier: str) -> tuple[LedgerEntry, bool]:
        """The parcel's entry, created pending if new; True when it already existed."""
        now = self.now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t).values(
                    parcel_id=request.parcel_id, order_id=request.order_id, courier=courier,
                    status="pending", attempts=0, created_at=now, updated_at=now))
        except IntegrityError:
            existing = self.get(request.parcel_id)
            assert existing is not None
            if existing.status == "failed":
                self._set(request.parcel_id, status="pending", error=None)
            return existing, True
        entry = self.get(request.parcel_id)
        assert entry is not None
        return entry, False

    def attempt(self, parcel_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.parcel_id == parcel_id).values(
                attempts=t.c.attempts + 1, updated_at=self.now()))

    def booked(self, parcel_id: str, booking: Booking) -> None:
        self._set(parcel_id, status="booked", courier=booking.courier, service=booking.service,
                  tracking_number=booking.tracking_number, courier_ref=booking.courier_ref,
                  label=booking.label, label_format=booking.label_format, cost=booking.cost,
                  why=booking.why, error=None)

    def failed(self, parcel_id: str, error: str) -> None:
        self._set(parcel_id, status="failed", error=error[:2000])

    def cancelled(self, parcel_id: str) -> None:
        self._set(parcel_id, status="cancelled")

    def _set(self, parcel_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.parcel_id == parcel_id).values(
                **values, updated_at=self.now()))

    def by_status(self, status: str) -> list[LedgerEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.status == status)).all()
        return [_entry(r) for r in rows]

    def for_tracking_number(self, tracking_number: str) -> LedgerEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.tracking_number == tracking_number)).first()
        return _entry(row) if row else None

    def for_order(self, order_id: str) -> list[LedgerEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.order_id == order_id)).all()
        return [_entry(r) for r in rows]

"""Booking that never buys two labels for one parcel.

Before calling the courier the parcel is marked pending in the ledger. A timeout leaves it
pending: the courier may have booked. Before any retry (in this call or a later one) the
courier is asked whether it holds a booking for the parcel (reconcile); only if it doesn't is
the booking sent again. A courier that cannot be asked is not retried after a timeout.
"""

from __future__ import annotations

import time

import structlog

from hub.adapters.couriers.base import (
    Booking,
    BookingRequest,
    Courier,
    CourierError,
    CourierRejected,
    CourierTimeout,
    CourierUnavailable,
    CourierUnsupported,
    Manifest,
    Rate,
    TrackingUpdate,
)
from hub.adapters.couriers.ledger import BookingLedger

log = structlog.get_logger(__name__)


class CannotReconcile(CourierRejected):
    """A timed-out booking with a courier that can't be asked: a person must check."""


class IdempotentCourier(Courier):
    def __init__(self, inner: Courier, ledger: BookingLedger, *, attempts: int = 3,
                 backoff_s: float = 0.5) -> None:
        self.inner = inner
        self.name = inner.name
        self.ledger = ledger
        self.attempts = attempts
        self.backoff_s = backoff_s

    def book(self, request: BookingRequest) -> Booking:
        entry, existed = self.ledger.start(request, self.inner.name)
        if entry.status == "booked" and entry.booking is not None:
            log.info("booking_replayed", parcel_id=request.parcel_id)
            return entry.booking
        must_reconcile = existed and entry.attempts > 0
        last: CourierError | None = None
        sends = asks = 0
        while True:
            if must_reconcile:  # the courier may hold a booking: ask before sending again
                if asks >= self.attempts:
                    break
                asks += 1
                try:
                    found = self._reconcile(request)
                except (CourierTimeout, CourierUnavailable) as exc:
                    last = exc
                    self._pause(asks)
                    continue
                if found is not None:
                    self.ledger.booked(request.parcel_id, found)
                    log.info("booking_reconciled", parcel_id=request.parcel_id,
                             tracking_number=found.tracking_number)
                    return found
                must_reconcile = False
            if sends >= self.attempts:
                break
            sends += 1
            self.ledger.attempt(request.parcel_id)
            try:
                booking = self.inner.book(request)
            except CourierTimeout as exc:
                last, must_reconcile = exc, True
                log.warning("booking_timed_out", parcel_id=request.parcel_id, attempt=sends)
                continue
            except CourierUnavailable as exc:
                last = exc
                self._pause(sends)
                continue
            except CourierRejected as exc:
                self.ledger.failed(request.parcel_id, str(exc))
                raise
            self.ledger.booked(request.parcel_id, booking)
            return booking
        raise CourierUnavailable(self.name, f"parcel {request.parcel_id} not booked after "
                                 f"{sends} sends and {asks} look-ups (left pending): {last}")

    def _pause(self, tries: int) -> None:
        if tries < self.attempts:
            time.sleep(self.backoff_s * tries)

    def _reconcile(self, request: BookingRequest) -> Booking | None:
        try:
            return self.inner.find_booking(request)
        except CourierUnsupported as exc:
            raise CannotReconcile(self.name, f"parcel {request.parcel_id} may be booked and "
                                  "the courier cannot be asked; left pending") from exc

    def rate(self, request: BookingRequest) -> list[Rate]:
        return self.inner.rate(request)

    def cancel(self, booking: Booking) -> None:
        self.inner.cancel(booking)

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return self.inner.track(tracking_number)

    def manifest(self, bookings: list[Booking]) -> Manifest:
        return self.inner.manifest(bookings)

    def find_booking(self, request: BookingRequest) -> Booking | None:
        return self.inner.find_booking(request)

    def stored_booking(self, tracking_number: str) -> Booking | None:
        entry = self.ledger.for_tracking_number(tracking_number)
        if entry is None or entry.booking is None or entry.booking.courier != self.name:
            return None
        return entry.booking

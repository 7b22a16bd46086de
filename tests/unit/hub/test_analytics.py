"""POP, step timing, errors and skipped steps on constructed timelines with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.analytics.errors import error_table, mistakes
from hub.analytics.pop import judge, overall, pop_table, verdicts
from hub.analytics.report import build_report, plain
from hub.analytics.rules import DEFAULT_RULES, Match, Requirement
from hub.analytics.skipped import check_order, skip_table, skipped_steps
from hub.analytics.timelines import percentile, period_key
from hub.analytics.timing import all_spans, order_spans, step_trend, timing_table
from hub.domain.timeline import Step, TimelineEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, ISO week 10


def ev(order: str, step: Step, name: str, s: float, actor: str = "system",
       outcome: str = "ok", **details: Any) -> TimelineEvent:
    return TimelineEvent(order, step, name, T0 + timedelta(seconds=s), actor, outcome, details)


def happy(order: str, start: float = 0, channel: str = "shopify", courier: str = "manual",
          picker: str = "zone-a/amy", bench: str = "bench-1") -> list[TimelineEvent]:
    """Received at 0; released +10; picks at +40, +50; packed +80; label +90."""
    t = start
    return [
        ev(order, Step.ORDER_RECEIVED, "order_received", t, f"channel:{channel}"),
        ev(order, Step.PAYMENT, "payment_confirmed", t),
        ev(order, Step.RECORDED, "order_recorded", t),
        ev(order, Step.CUSTOMER_CONFIRMED, "customer_notified", t + 2),
        ev(order, Step.RELEASED, "order_released", t + 10, "api"),
        ev(order, Step.PICKED, "item_picked", t + 40, picker, sku="MUG"),
        ev(order, Step.PICKED, "item_picked", t + 50, picker, sku="TEE"),
        ev(order, Step.PICKED, "order_picked", t + 50),
        ev(order, Step.STOCK_UPDATED, "stock_updated", t + 50),
        ev(order, Step.PACKED, "pack_verified", t + 80, bench),
        ev(order, Step.SHIPPING_BOOKED, "shipping_booked", t + 80, courier=courier),
        ev(order, Step.TRACKING_RECORDED, "tracking_recorded", t + 80),
        ev(order, Step.LABEL_PRINTED, "label_printed", t + 90, bench, reprint=False),
        ev(order, Step.PACKED, "order_packed", t + 90, bench),
    ]


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(values, 50) == 5.5
    assert percentile(values, 90) == pytest.approx(9.1)
    assert percentile(values, 99) == pytest.approx(9.91)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_period_keys() -> None:
    assert period_key(T0, "day") == "2026-03-02"
    assert period_key(T0, "week") == "2026-W10"
    with pytest.raises(ValueError, match="day or week"):
        period_key(T0, "month")


def test_a_clean_order_is_perfect() -> None:
    verdict = judge("a", happy("a"))
    assert verdict.perfect and verdict.reasons == ()
    assert (verdict.channel, verdict.courier) == ("shopify", "manual")


def test_each_imperfect_order_says_why() -> None:
    short = happy("short")
    short.insert(6, ev("short", Step.PICKED, "item_short", 45, "zone-a/amy", "short", sku="TEE"))
    short[8] = ev("short", Step.PICKED, "order_picked", 50, outcome="short")
    reprint = [*happy("reprint"),
               ev("reprint", Step.LABEL_PRINTED, "label_printed", 120, "bench-1", reprint=True)]
    damaged = [*happy("damaged"),
               ev("damaged", Step.COMPLAINT, "complaint_recorded", 9000, outcome="damaged")]
    late = [*happy("late"), ev("late", Step.DELIVERED, "delivered", 7200 * 2)]
    promised = {"late": T0 + timedelta(hours=1), "ontime": T0 + timedelta(days=1)}
    ontime = [*happy("ontime"), ev("ontime", Step.DELIVERED, "delivered", 7200)]
    unfinished = happy("unfinished")[:8]  # never labelled: not counted yet
    events = [*short, *reprint, *damaged, *late, *ontime, *unfinished, *happy("fine")]
    judged = {v.order_id: v for v in verdicts(events, promised)}
    assert set(judged) == {"short", "reprint", "damaged", "late", "ontime", "fine"}
    assert judged["short"].reasons == ("incomplete: item_short (short) TEE",
                                       "incomplete: order_picked (short)")
    assert judged["reprint"].reasons == ("wrong_documents: label_printed",)
    assert judged["damaged"].reasons == ("damaged: complaint_recorded (damaged)",)
    assert judged["late"].reasons == ("late: delivered 3.0 h after the promise",)
    assert judged["ontime"].perfect and judged["fine"].perfect
    total = overall(list(judged.values()))
    assert (total.orders, total.perfect) == (6, 2)
    assert total.pop == pytest.approx(100 * 2 / 6)
    assert total.causes == {"incomplete": 1, "wrong_documents": 1, "damaged": 1, "late": 1}


def test_pop_per_day_week_channel_courier() -> None:
    day2 = 86400.0
    events = [*happy("a", 0, "shopify", "dpd"), *happy("b", day2, "shopify", "royalmail"),
              *happy("c", day2, "phone", "dpd"),
              ev("c", Step.LABEL_PRINTED, "label_printed", day2 + 200, reprint=True)]
    judged = verdicts(events)
    by_day = {r.group: (r.orders, r.perfect) for r in pop_table(judged, "day")}
    assert by_day == {"2026-03-02": (1, 1), "2026-03-03": (2, 1)}
    assert [(r.group, r.pop) for r in pop_table(judged, "week")] == [
        ("2026-W10", pytest.approx(200 / 3))]
    by_channel = {r.group: r.pop for r in pop_table(judged, "channel")}
    assert by_channel == {"phone": 0.0, "shopify": 100.0}
    by_courier = {r.group: (r.orders, r.perfect) for r in pop_table(judged, "courier")}
    assert by_courier == {"dpd": (2, 1), "royalmail": (1, 1)}
    with pytest.raises(ValueError, match="group by"):
        pop_table(judged, "colour")


def test_queue_and_work_time_per_step() -> None:
    spans = {s.step: s for s in order_spans(happy("a"))}
    picked = spans[Step.PICKED]  # ready at +10 (released); first pick +40; last +50
    assert (picked.queue_s, picked.work_s, picked.actor) == (30.0, 10.0, "zone-a/amy")
    packed = spans[Step.PACKED]  # ready at +50; verified +80; packed +90
    assert (packed.queue_s, packed.work_s, packed.actor) == (30.0, 10.0, "bench-1")
    assert spans[Step.RELEASED].total_s == 8.0  # customer_notified at +2, released at +10


def test_a_work_started_event_moves_time_from_work_to_queue() -> None:
    timeline = happy("a")
    timeline.insert(5, ev("a", Step.PICKED, "pick_started", 35, "zone-a/amy"))
    picked = {s.step: s for s in order_spans(timeline)}[Step.PICKED]
    assert (picked.queue_s, picked.work_s) == (25.0, 15.0)


def test_percentiles_per_step_and_per_actor() -> None:
    # pick work of 10 s everywhere; pick queue 30 s, plus 0..90 s of extra wait per order
    events = []
    for n in range(10):
        timeline = happy(f"o{n}", picker="zone-a/amy" if n < 5 else "zone-a/bob")
        shifted = [e if e.step < Step.PICKED or e.step == Step.RELEASED
                   else ev(e.order_id, Step(e.step), e.name, (e.at - T0).total_seconds() + 10 * n,
                           e.actor, e.outcome, **e.details) for e in timeline]
        events += shifted
    rows = {r.step: r for r in timing_table(all_spans(events))}
    picked = rows[Step.PICKED]  # totals 40, 50, ..., 130
    assert picked.orders == 10
    assert picked.p50_s == 85.0
    assert picked.p90_s == pytest.approx(121.0)
    assert picked.p99_s == pytest.approx(129.1)
    assert picked.max_s == 130.0
    assert picked.work_p50_s == 10.0 and picked.queue_p50_s == 75.0
    by_actor = {(r.step, r.group): r for r in timing_table(all_spans(events), by="actor")}
    assert by_actor[(Step.PICKED, "zone-a/amy")].p50_s == 60.0  # 40..80
    assert by_actor[(Step.PICKED, "zone-a/bob")].p50_s == 110.0  # 90..130
    by_device = {(r.step, r.group): r.orders for r in timing_table(all_spans(events), "device")}
    assert by_device[(Step.PICKED, "zone-a")] == 10
    trend = [p for p in step_trend(all_spans(events)) if p.step == Step.PICKED]
    assert [(p.period, p.orders, p.p50_s) for p in trend] == [("2026-03-02", 10, 85.0)]


def test_errors_ranked_by_count_and_by_time_cost() -> None:
    a = happy("a")
    a.insert(6, ev("a", Step.PICKED, "scan_rejected", 42, "zone-a/amy", "wrong_item"))
    a.insert(7, ev("a", Step.PICKED, "scan_rejected", 44, "zone-a/amy", "over_quantity"))
    b = happy("b")
    b.insert(9, ev("b", Step.PACKED, "weight_checked", 60, "bench-1", "weight_mismatch"))
    b.insert(5, ev("b", Step.PICKED, "scan_rejected", 20, "zone-a/amy", "wrong_item"))
    held = [ev("c", Step.ORDER_RECEIVED, "order_received", 0, "channel:web"),
            ev("c", Step.PAYMENT, "payment_pending", 0, outcome="payment_pending")]
    found = mistakes([*a, *b, *held])
    by_count = error_table(found)
    assert [(r.step, r.kind, r.count) for r in by_count] == [
        (Step.PICKED, "wrong_item", 2), (Step.PACKED, "weight_mismatch", 1),
        (Step.PICKED, "mis_scan", 1)]
    # wrong_item: a 40→44 = 4 s; b 10→40 = 30 s; weight: 50→80 = 30 s; mis-scan 42→50 = 8 s
    costs = {(r.step, r.kind): r.cost_s for r in by_count}
    assert costs == {(Step.PICKED, "wrong_item"): 34.0, (Step.PACKED, "weight_mismatch"): 30.0,
                     (Step.PICKED, "mis_scan"): 8.0}
    by_cost = error_table(found, rank_by="cost")
    assert [r.kind for r in by_cost] == ["wrong_item", "weight_mismatch", "mis_scan"]
    assert by_count[0].example_orders == ("a", "b")


def test_a_new_error_name_is_data_not_code() -> None:
    failed = [*happy("a"), ev("a", Step.SHIPPING_BOOKED, "booking_failed", 85,
                              outcome="courier_down")]
    assert [m.kind for m in mistakes(failed)] == ["booking_failure"]
    odd = [*happy("b"), ev("b", Step.DELIVERED, "delivery_scan", 900, outcome="address_unknown")]
    assert [m.kind for m in mistakes(odd)] == ["address_unknown"]  # unknown outcome: own kind


def test_skipped_steps_with_counts_and_examples() -> None:
    clean = happy("clean")
    no_pack = [e for e in happy("nopack") if e.name != "pack_verified"]
    no_pick = [e for e in happy("nopick") if e.name not in ("order_picked", "item_picked")]
    no_confirm = [e for e in happy("noconfirm") if e.name != "customer_notified"]
    late_confirm = [e for e in happy("lateconfirm") if e.name != "customer_notified"]
    late_confirm.append(ev("lateconfirm", Step.CUSTOMER_CONFIRMED, "customer_notified", 300))
    override = [ev("ovr", Step.PACKED, "pack_verified", 80, override=True) if
                e.name == "pack_verified" else e for e in happy("ovr")]
    assert check_order(clean) == []
    assert [s.code for s in check_order(no_pack)] == ["label_without_pack_check"]
    assert [s.code for s in check_order(no_pick)] == ["packed_without_pick_confirmation"]
    assert [s.code for s in check_order(no_confirm)] == ["no_customer_confirmation"]
    assert check_order(late_confirm) == []  # sent later is sent
    assert [s.code for s in check_order(override)] == ["weight_check_overridden"]
    handed = [*happy("handed"), ev("handed", Step.HANDED_OVER, "handed_over", 500)]
    assert [s.code for s in check_order(handed)] == ["no_shipping_notification"]
    events = [*clean, *no_pack, *no_pick, *no_confirm, *late_confirm, *override, *handed,
              *[e for e in happy("nopack2") if e.name != "pack_verified"]]
    rows = {r.code: r for r in skip_table(skipped_steps(events))}
    assert rows["label_without_pack_check"].orders == 2
    assert rows["label_without_pack_check"].example_orders == ("nopack", "nopack2")
    assert rows["shipped_without_booking"].orders == 0
    assert len(rows) == len(DEFAULT_RULES.expected)


def test_a_new_expected_step_is_data() -> None:
    rule = Requirement("no_review_request", "delivered with no review request",
                       trigger=(Match("delivered"),), needs=(Match("review_requested"),),
                       anytime=True)
    delivered = [*happy("a"), ev("a", Step.DELIVERED, "delivered", 900)]
    assert [s.code for s in check_order(delivered, (rule,))] == ["no_review_request"]
    delivered.append(ev("a", Step.REVIEW_REQUESTED, "review_requested", 1000))
    assert check_order(delivered, (rule,)) == []


def test_report_bundles_and_serialises() -> None:
    events = [*happy("a"), *[e for e in happy("b") if e.name != "pack_verified"]]
    report = build_report(events)
    assert (report.pop.orders, report.pop.perfect) == (2, 2)
    assert {r.code: r.orders for r in report.skipped}["label_without_pack_check"] == 1
    data = plain(report)
    assert data["pop"]["pop"] == 100.0
    assert data["steps"][0]["step"] == 1 and isinstance(data["steps"][0]["step"], int)

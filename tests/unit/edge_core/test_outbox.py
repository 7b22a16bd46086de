"""The on-disk outbox: order, resend bookkeeping, acks, persisted state, threads."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from edge.outbox import Outbox, OutboxItem


def item(n: int) -> OutboxItem:
    payload = json.dumps({"msg_id": f"m{n:04d}", "replay": False, "n": n})
    return OutboxItem(f"m{n:04d}", "fulfil/s/d/evt/x", payload)


def test_events_come_out_in_insertion_order_and_stay_until_acked(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(3), item(1)])
    box.add([item(2)])
    assert [i.msg_id for i in box.due(5.0)] == ["m0003", "m0001", "m0002"]
    box.mark_sent(["m0003", "m0001", "m0002"])
    assert box.due(5.0) == [] and box.depth() == 3
    assert box.ack(["m0001", "unknown"]) == 1
    assert [i.msg_id for i in box.pending()] == ["m0003", "m0002"]


def test_resend_is_flagged_replay_with_the_same_msg_id(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(1)])
    [first] = box.due(5.0)
    assert json.loads(first.wire_payload())["replay"] is False
    box.mark_sent([first.msg_id])
    time.sleep(0.02)
    [again] = box.due(0.01)
    payload = json.loads(again.wire_payload())
    assert payload["replay"] is True and payload["msg_id"] == "m0001" and again.sends == 1


def test_resend_wait_doubles_with_every_send_up_to_eight_times(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(1)])
    for sends, wait in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 80), (12, 80)]:
        for ago, due in [(wait - 1, False), (wait + 1, True)]:
            box._db.execute("UPDATE outbox SET sends = ?, last_sent_at = ?",
                            (sends, time.time() - ago))
            assert bool(box.due(10.0)) is due, (sends, ago)


def test_reset_makes_everything_due_after_a_reconnect(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(1), item(2)])
    box.mark_sent(["m0001", "m0002"])
    box.reset_sent()
    assert [i.sends for i in box.due(3600)] == [1, 1]


def test_duplicate_msg_id_is_stored_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(1)])
    box.add([item(1)])
    assert box.depth() == 1


def test_state_and_bdseq_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    box = Outbox(path)
    assert box.next_bdseq() == 0
    assert box.next_bdseq() == 1
    box.add([item(1)], {"state:pick_zone": '{"tasks": []}'})
    box.mark_sent(["m0001"])
    box.close()
    box = Outbox(path)
    assert box.next_bdseq() == 2
    assert box.get("state:pick_zone") == '{"tasks": []}'
    assert box.pending()[0].sends == 1
    assert box.get("missing") is None


def test_dead_letter_moves_the_event_out(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.add([item(1)])
    assert box.dead_letter("m0001", "bad") is True
    assert box.dead_letter("m0001", "bad") is False
    assert box.depth() == 0 and box.dead_letters() == [("m0001", "fulfil/s/d/evt/x", "bad")]


def test_two_threads_writing_and_acking(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")

    def writer(offset: int) -> None:
        for n in range(offset, offset + 200):
            box.add([item(n)], {"k": str(n)})

    def acker() -> None:
        for _ in range(50):
            box.ack([i.msg_id for i in box.due(0)][:10])

    threads = [threading.Thread(target=writer, args=(o,)) for o in (0, 1000)]
    threads.append(threading.Thread(target=acker))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    remaining = {i.msg_id for i in box.pending()}
    assert len(remaining) <= 400 and box.depth() == len(remaining)


def test_synchronous_mode_is_configurable(tmp_path: Path) -> None:
    for mode, pragma in (("full", 2), ("normal", 1)):
        outbox = Outbox(tmp_path / f"{mode}.sqlite", mode)  # type: ignore[arg-type]
        try:
            assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == pragma
        finally:
            outbox.close()

"""The bench printer table comes from its own Alembic revision on a fresh database, and a
bench's birth message fills it (and a birth without a printer empties it)."""

from __future__ import annotations

from sqlalchemy import inspect, select

from edge.wire import messages as wire
from edge.wire import topics
from hub.adapters import migrate
from hub.adapters.db import make_engine
from hub.adapters.orm_printers import bench_printers
from hub.bootstrap import bootstrap
from hub.config import Settings
from hub.domain import commands


def test_fresh_database_migrates_to_the_bench_printer_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("bench_printers")}
        assert columns == {c.name for c in bench_printers.columns}
        with engine.connect() as conn:
            heads = {row[0] for row in conn.exec_driver_sql(
                "SELECT version_num FROM alembic_version")}
        assert "gaps_couriers_0001" in heads
    finally:
        engine.dispose()


def test_birth_records_and_forgets_the_printer(database_url: str) -> None:
    hub = bootstrap(Settings(database_url=database_url, site="test"))
    try:
        def birth(bdseq: int, printer: wire.PrinterInfo | None) -> None:
            status = wire.DeviceStatus(device_id="bench-9", boot_id="b", seq=bdseq,
                                       state="online", bdseq=bdseq, role="pack_bench",
                                       printer=printer)
            hub.handle(commands.DeviceMessage(topics.status("test", "bench-9"), status))

        def stored() -> list[tuple[str, int, int, list[str]]]:
            with hub.uow() as uow:
                return [(r.language, r.dpi, r.width_dots, r.formats) for r in
                        uow.session.execute(select(bench_printers)).all()]

        birth(1, wire.PrinterInfo(language="zpl", dpi=300, width_dots=1218, formats=["zpl"]))
        assert stored() == [("zpl", 300, 1218, ["zpl"])]
        birth(2, wire.PrinterInfo(language="escpos", dpi=203, width_dots=384,
                                  formats=["escpos_raster", "png"]))
        assert stored() == [("escpos", 203, 384, ["escpos_raster", "png"])]
        birth(3, None)
        assert stored() == []
    finally:
        hub.stop()

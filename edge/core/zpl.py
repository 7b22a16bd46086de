"""ZPL II rendering of a laid-out label, and Zebra ``~HS`` host status parsing (pure).

The label is laid out once by edge.core.label_layout; this module only places its elements
on a ``^PW``/``^LL`` canvas (4x6 in at 203 dpi is ``^PW812 ^LL1218``). Field data is sent
hex-escaped (``^FH``) so a ``^`` or ``~`` in an address cannot end a field or start a
command, and ``^CI28`` makes the printer read UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.core.label_layout import LabelElement, LabelLayout

MARGIN = 30


def label_size_dots(width_in: float, length_in: float, dpi: int) -> tuple[int, int]:
    return round(width_in * dpi), round(length_in * dpi)


def _field_data(text: str) -> str:
    """``^FH`` escaped data: control characters and ZPL's ^ ~ _ become _XX hex."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if byte < 0x20 or ch in "^~_\\" or byte >= 0x7F:
            out.append(f"_{byte:02X}")
        else:
            out.append(ch)
    return "".join(out)


def _text(e: LabelElement, y: int, width: int, dpi: int) -> tuple[str, int]:
    height = round(dpi * (0.22 if e.large else 0.13))
    if e.bold and not e.large:
        height = round(height * 1.15)
    block = width - 2 * MARGIN
    align = "C" if e.center else "L"
    cmd = (f"^FO{MARGIN},{y}^A0N,{height},{height}^FB{block},1,0,{align},0"
           f"^FH^FD{_field_data(e.value)}^FS")
    return cmd, y + height + round(dpi * 0.04)


def render_zpl(layout: LabelLayout, width_dots: int = 812, length_dots: int = 1218,
               dpi: int = 203) -> bytes:
    """One ``^XA ... ^XZ`` format for the whole label."""
    lines = ["^XA", "^CI28", f"^PW{width_dots}", f"^LL{length_dots}", "^LH0,0"]
    y = MARGIN
    for e in layout.elements:
        if e.kind == "text":
            cmd, y = _text(e, y, width_dots, dpi)
        elif e.kind == "code128":
            height = round(dpi * 0.8)
            module = 3 if dpi <= 203 else 4
            x = max(MARGIN, (width_dots - module * (11 * len(e.value) + 35)) // 2)
            cmd = (f"^FO{x},{y}^BY{module},3,{height}^BCN,{height},N,N,N"
                   f"^FH^FD{_field_data(e.value)}^FS")
            y += height + round(dpi * 0.08)
        else:  # qr
            magnification = 5 if dpi <= 203 else 8
            x = max(MARGIN, width_dots // 2 - 25 * magnification)
            cmd = f"^FO{x},{y}^BQN,2,{magnification}^FH^FDMA,{_field_data(e.value)}^FS"
            y += 55 * magnification
        lines.append(cmd)
    lines.append("^PQ1")
    lines.append("^XZ")
    if y > length_dots:
        raise ValueError(f"label content needs {y} dots, the label has {length_dots}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- ~HS host status --------------------------------------------------------------------

HOST_STATUS_QUERY = b"~HS"
STX, ETX = b"\x02", b"\x03"


@dataclass(frozen=True)
class HostStatus:
    paper_out: bool
    paused: bool
    head_open: bool
    ribbon_out: bool
    buffer_full: bool
    over_temperature: bool

    @property
    def problem(self) -> str | None:
        """The first reason the printer cannot print now, worded for an operator."""
        for flag, text in ((self.paper_out, "paper out"), (self.head_open, "head open"),
                           (self.ribbon_out, "ribbon out"), (self.paused, "paused"),
                           (self.over_temperature, "head over temperature"),
                           (self.buffer_full, "receive buffer full")):
            if flag:
                return text
        return None


def format_host_status(paper_out: bool = False, paused: bool = False, head_open: bool = False,
                       ribbon_out: bool = False) -> bytes:
    """The three ``~HS`` strings as a printer sends them."""
    s1 = f"030,{int(paper_out)},{int(paused)},1218,000,0,0,0,000,0,0,0"
    s2 = f"001,0,{int(head_open)},{int(ribbon_out)},0,2,4,0,00000000,1,000"
    s3 = "1234,0"
    return b"".join(STX + s.encode() + ETX + b"\r\n" for s in (s1, s2, s3))


def parse_host_status(data: bytes) -> HostStatus | None:
    """Read the ``~HS`` answer; None until all three strings are complete or if malformed."""
    strings: list[list[str]] = []
    rest = data
    while len(strings) < 3:
        start = rest.find(STX)
        end = rest.find(ETX, start + 1)
        if start < 0 or end < 0:
            return None
        strings.append(rest[start + 1:end].decode("ascii", "replace").split(","))
        rest = rest[end + 1:]
    s1, s2, _ = strings
    if len(s1) < 12 or len(s2) < 4:
        return None
    try:
        flag = [int(f.strip() or "0") for f in (s1[1], s1[2], s1[5], s1[11], s2[2], s2[3])]
    except ValueError:
        return None
    return HostStatus(paper_out=bool(flag[0]), paused=bool(flag[1]), buffer_full=bool(flag[2]),
                      over_temperature=bool(flag[3]), head_open=bool(flag[4]),
                      ribbon_out=bool(flag[5]))

"""Decoding of a keyboard-wedge barcode scanner's key events (pure).

Key codes are the Linux input-event-codes numbers (``KEY_A`` = 30 ...), so this module needs
no evdev import. Characters are mapped with the SCANNER's keyboard layout, not the host's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layout = Literal["us", "uk", "de", "fr"]
Terminator = Literal["ENTER", "KPENTER", "TAB"]

KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_CAPSLOCK = 58
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_RIGHTALT = 100

TERMINATOR_KEYS: dict[Terminator, int] = {"ENTER": KEY_ENTER, "KPENTER": KEY_KPENTER,
                                          "TAB": KEY_TAB}
SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
CTRL_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
GROUP_SEPARATOR = "\x1d"

KEY_UP, KEY_DOWN, KEY_HOLD = 0, 1, 2

# Key positions of the main block, row by row: (first key code, keys in the row).
_ROWS: tuple[tuple[int, int], ...] = ((2, 12), (16, 12), (30, 12), (44, 10))
# Keys the row table does not cover: backslash (43), space, keypad, ISO 102nd.
_BACKSLASH, _SPACE, _ISO102 = 43, 57, 86
_KEYPAD: dict[int, str] = {
    55: "*", 71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+",
    79: "1", 80: "2", 81: "3", 82: "0", 83: ".", 98: "/",
}


def _table(rows: tuple[str, str, str, str], rows_shift: tuple[str, str, str, str],
           extra: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    table: dict[int, tuple[str, str]] = {}
    for (first, count), plain, shifted in zip(_ROWS, rows, rows_shift, strict=True):
        assert len(plain) == count and len(shifted) == count
        for i in range(count):
            table[first + i] = (plain[i], shifted[i])
    table.update(extra)
    table[_SPACE] = (" ", " ")
    for code, ch in _KEYPAD.items():
        table[code] = (ch, ch)
    return table


_US = _table(
    ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'`", "zxcvbnm,./"),
    ("!@#$%^&*()_+", "QWERTYUIOP{}", 'ASDFGHJKL:"~', "ZXCVBNM<>?"),
    {_BACKSLASH: ("\\", "|"), _ISO102: ("\\", "|")},
)
_UK = _table(
    ("1234567890-=", "qwertyuiop[]", "asdfghjkl;'`", "zxcvbnm,./"),
    ('!"£$%^&*()_+', "QWERTYUIOP{}", "ASDFGHJKL:@¬", "ZXCVBNM<>?"),
    {_BACKSLASH: ("#", "~"), _ISO102: ("\\", "|")},
)
_DE = _table(
    ("1234567890ß\u00b4", "qwertzuiopü+", "asdfghjklöä^", "yxcvbnm,.-"),  # \u00b4: acute
    ('!"§$%&/()=?`', "QWERTZUIOPÜ*", "ASDFGHJKLÖÄ°", "YXCVBNM;:_"),
    {_BACKSLASH: ("#", "'"), _ISO102: ("<", ">")},
)
_FR = _table(  # AZERTY: digits need shift
    ("&é\"'(-è_çà)=", "azertyuiop^$", "qsdfghjklmù²", "wxcvbn,;:!"),
    ("1234567890°+", "AZERTYUIOP¨£", "QSDFGHJKLM%²", "WXCVBN?./§"),
    {_BACKSLASH: ("*", "µ"), _ISO102: ("<", ">")},
)
_FR_ALTGR: dict[int, str] = {3: "~", 4: "#", 5: "{", 6: "[", 7: "|", 8: "`", 9: "\\",
                             10: "^", 11: "@", 12: "]", 13: "}", 18: "€"}
_DE_ALTGR: dict[int, str] = {16: "@", 3: "²", 4: "³", 8: "{", 9: "[", 10: "]", 11: "}",
                             12: "\\", 27: "~", _ISO102: "|", 18: "€"}

LAYOUTS: dict[Layout, dict[int, tuple[str, str]]] = {"us": _US, "uk": _UK, "de": _DE,
                                                     "fr": _FR}
ALTGR: dict[Layout, dict[int, str]] = {"us": {}, "uk": {18: "€"}, "de": _DE_ALTGR,
                                       "fr": _FR_ALTGR}


def _ctrl_letter(layout: dict[int, tuple[str, str]], code: int) -> str | None:
    """The letter Ctrl combines with on ``code``: the layout's letter, else the US key's
    character (so Ctrl+] for GS is the same key position on every layout)."""
    plain = layout.get(code, ("", ""))[0].upper()
    if len(plain) == 1 and "A" <= plain <= "Z":
        return plain
    us = _US.get(code, ("", ""))[0].upper()
    return us if len(us) == 1 and "@" <= us <= "_" else None


@dataclass(frozen=True)
class Keystroke:
    """How a character is typed: the key and the modifiers held."""

    code: int
    shift: bool = False
    altgr: bool = False
    ctrl: bool = False


def keystroke_for(char: str, layout: Layout = "us") -> Keystroke:
    """The key (and modifiers) that type ``char`` in ``layout``; ValueError if none does."""
    if len(char) == 1 and 0 < ord(char) < 0x20 and char not in "\t\r\n":
        letter = chr(ord(char) + 0x40)  # Ctrl+] types GS (0x1d), Ctrl+A types 0x01 ...
        for code in LAYOUTS[layout]:
            if code not in _KEYPAD and _ctrl_letter(LAYOUTS[layout], code) == letter:
                return Keystroke(code, ctrl=True)
        raise ValueError(f"no key for control character {ord(char):#04x} in layout {layout}")
    for code, (plain, shifted) in LAYOUTS[layout].items():
        if code in _KEYPAD:
            continue
        if plain == char:
            return Keystroke(code)
        if shifted == char:
            return Keystroke(code, shift=True)
    for code, ch in ALTGR[layout].items():
        if ch == char:
            return Keystroke(code, altgr=True)
    raise ValueError(f"no key types {char!r} in layout {layout}")


class KeyDecoder:
    """Turns key events into complete barcodes.

    Feed every EV_KEY event with ``feed(code, value, timestamp)``; it returns the barcode when
    the terminator key goes down, else None. A gap longer than ``inter_key_timeout_s``
    between key-downs drops the half-read code (a scanner types a code in one burst).
    """

    def __init__(self, layout: Layout = "us", terminator: Terminator = "ENTER",
                 inter_key_timeout_s: float = 0.2, max_length: int = 512,
                 group_separator: str = GROUP_SEPARATOR,
                 gs_sent_as: str = GROUP_SEPARATOR) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown keyboard layout {layout!r}")
        self._table = LAYOUTS[layout]
        self._altgr_table = ALTGR[layout]
        self._terminator = TERMINATOR_KEYS[terminator]
        self._timeout = inter_key_timeout_s
        self._max_length = max_length
        self._gs = group_separator
        # What the scanner types for a GS1 group separator when it is not Ctrl+] (some are
        # programmed to send a printable stand-in such as "~" or "<GS>").
        self._gs_sent_as = gs_sent_as if gs_sent_as != GROUP_SEPARATOR else ""
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._altgr = False
        self._buffer: list[str] = []
        self._last_ts: float | None = None
        self.dropped = 0  # half-read codes dropped by the timeout

    @property
    def pending(self) -> str:
        return "".join(self._buffer)

    def reset(self) -> None:
        self._buffer.clear()
        self._last_ts = None
        self._shift.clear()
        self._ctrl.clear()
        self._altgr = False

    def _track_modifier(self, code: int, down: bool) -> bool:
        for keys, group in ((SHIFT_KEYS, self._shift), (CTRL_KEYS, self._ctrl)):
            if code in keys:
                if down:
                    group.add(code)
                else:
                    group.discard(code)
                return True
        if code == KEY_RIGHTALT:
            self._altgr = down
            return True
        return code in (KEY_LEFTALT, KEY_CAPSLOCK)

    def feed(self, code: int, value: int, timestamp: float) -> str | None:
        if value not in (KEY_UP, KEY_DOWN):
            return None  # autorepeat
        if self._track_modifier(code, value == KEY_DOWN) or value != KEY_DOWN:
            return None
        if (self._buffer and self._last_ts is not None
                and timestamp - self._last_ts > self._timeout):
            self._buffer.clear()
            self.dropped += 1
        self._last_ts = timestamp
        if code == self._terminator:
            code_read = "".join(self._buffer)
            self._buffer.clear()
            if self._gs_sent_as:
                code_read = code_read.replace(self._gs_sent_as, self._gs)
            return code_read or None
        char = self._char(code)
        if char is not None and len(self._buffer) < self._max_length:
            self._buffer.append(char)
        return None

    def _char(self, code: int) -> str | None:
        if self._altgr:
            return self._altgr_table.get(code)
        pair = self._table.get(code)
        if pair is None:
            return None
        plain, shifted = pair
        if self._ctrl:
            letter = _ctrl_letter(self._table, code)
            if letter is None:
                return None
            ch = chr(ord(letter) - 0x40)
            return self._gs if ch == GROUP_SEPARATOR else ch
        return shifted if self._shift else plain

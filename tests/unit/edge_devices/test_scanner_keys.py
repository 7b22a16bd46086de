"""Key event decoding: layouts, shift tracking, autorepeat, terminators, timeouts."""

from __future__ import annotations

import pytest

from edge.core import scanner_keys as sk
from edge.core.scanner_keys import KeyDecoder, keystroke_for


def type_into(decoder: KeyDecoder, text: str, layout: sk.Layout = "us", t0: float = 100.0,
              step: float = 0.001, terminator: int = sk.KEY_ENTER) -> list[str]:
    """Feed the key events a scanner would send for ``text`` + terminator."""
    out: list[str] = []
    t = t0

    def feed(code: int, value: int) -> None:
        result = decoder.feed(code, value, t)
        if result is not None:
            out.append(result)

    for ch in text:
        stroke = keystroke_for(ch, layout)
        mods = [m for m, on in ((sk.KEY_LEFTSHIFT, stroke.shift), (sk.KEY_RIGHTALT, stroke.altgr),
                                (sk.KEY_LEFTCTRL, stroke.ctrl)) if on]
        for m in mods:
            feed(m, 1)
        feed(stroke.code, 1)
        feed(stroke.code, 0)
        for m in mods:
            feed(m, 0)
        t += step
    feed(terminator, 1)
    feed(terminator, 0)
    return out


def test_key_codes_match_linux_input_event_codes() -> None:
    ecodes = pytest.importorskip("evdev").ecodes
    assert sk.KEY_ENTER == ecodes.KEY_ENTER
    assert sk.KEY_KPENTER == ecodes.KEY_KPENTER
    assert sk.KEY_TAB == ecodes.KEY_TAB
    assert sk.KEY_LEFTSHIFT == ecodes.KEY_LEFTSHIFT
    assert sk.KEY_RIGHTSHIFT == ecodes.KEY_RIGHTSHIFT
    assert sk.KEY_RIGHTALT == ecodes.KEY_RIGHTALT
    us = sk.LAYOUTS["us"]
    for ch in "abcdefghijklmnopqrstuvwxyz":
        assert us[getattr(ecodes, f"KEY_{ch.upper()}")][0] == ch
    for digit in "0123456789":
        assert us[getattr(ecodes, f"KEY_{digit}")][0] == digit
        assert us[getattr(ecodes, f"KEY_KP{digit}")][0] == digit
    for name, ch in (("MINUS", "-"), ("EQUAL", "="), ("LEFTBRACE", "["), ("RIGHTBRACE", "]"),
                     ("SEMICOLON", ";"), ("APOSTROPHE", "'"), ("GRAVE", "`"),
                     ("BACKSLASH", "\\"), ("COMMA", ","), ("DOT", "."), ("SLASH", "/"),
                     ("SPACE", " ")):
        assert us[getattr(ecodes, f"KEY_{name}")][0] == ch


def test_us_code_with_upper_case_and_symbols() -> None:
    code = "ABC-123_xyz/%+$.:"
    assert type_into(KeyDecoder("us"), code) == [code]


def test_right_shift_counts_as_shift() -> None:
    d = KeyDecoder("us")
    assert d.feed(sk.KEY_RIGHTSHIFT, 1, 1.0) is None
    d.feed(30, 1, 1.0)  # KEY_A
    d.feed(30, 0, 1.0)
    d.feed(sk.KEY_RIGHTSHIFT, 0, 1.0)
    d.feed(30, 1, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "Aa"


def test_autorepeat_and_key_up_are_ignored() -> None:
    d = KeyDecoder("us")
    d.feed(30, 1, 1.0)
    d.feed(30, 2, 1.0)
    d.feed(30, 2, 1.0)
    d.feed(30, 0, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "a"


@pytest.mark.parametrize(("terminator", "key"), [("ENTER", sk.KEY_ENTER),
                                                 ("KPENTER", sk.KEY_KPENTER), ("TAB", sk.KEY_TAB)])
def test_configurable_terminator(terminator: sk.Terminator, key: int) -> None:
    d = KeyDecoder("us", terminator=terminator)
    assert type_into(d, "5012345678900", terminator=key) == ["5012345678900"]


def test_other_terminator_is_not_a_terminator() -> None:
    d = KeyDecoder("us", terminator="TAB")
    assert type_into(d, "123", terminator=sk.KEY_ENTER) == []
    assert d.pending == "123"


def test_inter_key_timeout_drops_half_read_code() -> None:
    d = KeyDecoder("us", inter_key_timeout_s=0.1)
    d.feed(2, 1, 10.0)  # "1"
    d.feed(3, 1, 10.05)  # "2"
    d.feed(4, 1, 11.0)  # "3" after a pause: the "12" was half a code
    assert d.feed(sk.KEY_ENTER, 1, 11.01) == "3"
    assert d.dropped == 1


def test_empty_terminator_gives_nothing() -> None:
    d = KeyDecoder("us")
    assert d.feed(sk.KEY_ENTER, 1, 1.0) is None


def test_group_separator_from_ctrl_right_bracket() -> None:
    assert type_into(KeyDecoder("us"), "01\x1d10ABC") == ["01\x1d10ABC"]
    d = KeyDecoder("us", group_separator="<GS>")
    assert type_into(d, "01\x1d10") == ["01<GS>10"]


def test_uk_layout_differs_from_us() -> None:
    # Shift+2 is '"' on a UK scanner, '@' on a US one: same keys, different characters.
    uk_events_for_at = keystroke_for("@", "uk")
    assert uk_events_for_at.code == 40 and uk_events_for_at.shift
    assert type_into(KeyDecoder("uk"), 'a"b@c#~£', "uk") == ['a"b@c#~£']
    d = KeyDecoder("us")
    d.feed(sk.KEY_LEFTSHIFT, 1, 1.0)
    d.feed(3, 1, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "@"


def test_de_layout_swaps_y_and_z_and_uses_altgr() -> None:
    assert type_into(KeyDecoder("de"), "Zyx-_@{}", "de") == ["Zyx-_@{}"]
    assert keystroke_for("z", "de").code == 21  # where a US keyboard has Y
    # The same key events decoded as US give a different text: the layout matters.
    d = KeyDecoder("us")
    d.feed(21, 1, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "y"


def test_max_length() -> None:
    d = KeyDecoder("us", max_length=4)
    assert type_into(d, "123456") == ["1234"]


def test_unknown_layout_and_character() -> None:
    with pytest.raises(ValueError):
        KeyDecoder("tr")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        keystroke_for("€", "us")


def test_fr_azerty_digits_need_shift_and_altgr_symbols() -> None:
    assert keystroke_for("1", "fr") == sk.Keystroke(2, shift=True)
    assert keystroke_for("a", "fr").code == 16  # where a US keyboard has Q
    assert keystroke_for("@", "fr") == sk.Keystroke(11, altgr=True)
    text = "Commande-0123456789/ABC_éàç@#"
    assert type_into(KeyDecoder("fr"), text, "fr") == [text]
    # a French scanner's unshifted digit row read as US gives digits: the layout matters
    d = KeyDecoder("us")
    for code in (2, 3, 4):
        d.feed(code, 1, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "123"
    d = KeyDecoder("fr")
    for code in (2, 3, 4):
        d.feed(code, 1, 1.0)
    assert d.feed(sk.KEY_ENTER, 1, 1.0) == "&é\""


@pytest.mark.parametrize("layout", ["us", "uk", "de", "fr"])
def test_gs1_with_ctrl_bracket_on_every_layout(layout: sk.Layout) -> None:
    gs1 = "0109501101530008\x1d10ABC123\x1d21XYZ"
    assert keystroke_for("\x1d", layout) == sk.Keystroke(27, ctrl=True)
    assert type_into(KeyDecoder(layout), gs1, layout) == [gs1]
    d = KeyDecoder(layout, group_separator="|")
    assert type_into(d, gs1, layout) == [gs1.replace("\x1d", "|")]


def test_gs1_printable_stand_in_from_the_profile() -> None:
    d = KeyDecoder("us", gs_sent_as="<GS>")
    assert type_into(d, "01095011015300<GS>10AB", "us") == ["01095011015300\x1d10AB"]
    d = KeyDecoder("fr", gs_sent_as="~", group_separator="<FNC1>")
    assert type_into(d, "01~10", "fr") == ["01<FNC1>10"]

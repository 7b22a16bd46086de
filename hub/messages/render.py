"""Render a customer message from Jinja2 templates with a fallback chain.

Templates live under ``templates/<channel>/<language>/<name>.{subject,txt,html}.j2``;
``default`` stands for any channel. A message for channel ``amazon`` in ``de`` is looked
up as amazon/de, default/de, amazon/<default language>, default/<default language>.
A folder set in ``message_templates_dir`` is searched before the shipped templates, so a
shop can override any one file without copying the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

TEMPLATES = ("order_confirmed", "shipped", "out_for_delivery", "delivered", "delay",
             "return_authorised", "refund_issued", "review_request", "restock_needed")
DEFAULT_CHANNEL = "default"
PARTS = ("subject", "txt", "html")


class UnknownTemplate(LookupError):
    pass


@dataclass(frozen=True)
class RenderedMessage:
    template: str
    subject: str
    text: str
    html: str
    sources: tuple[str, ...]  # the files used, for previews


@lru_cache(maxsize=8)
def environment(override_dir: str | None = None) -> Environment:
    loaders: list[Any] = [PackageLoader("hub.messages", "templates")]
    if override_dir:
        loaders.insert(0, FileSystemLoader(override_dir))
    return Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                    default_for_string=False),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def candidates(name: str, part: str, channel: str, language: str,
               default_language: str) -> list[str]:
    folders: list[tuple[str, str]] = []
    for lang in dict.fromkeys((language, default_language)):
        for chan in dict.fromkeys((channel, DEFAULT_CHANNEL)):
            folders.append((chan, lang))
    return [f"{chan}/{lang}/{name}.{part}.j2" for chan, lang in folders]


def render(name: str, context: dict[str, Any], *, channel: str = DEFAULT_CHANNEL,
           language: str = "en", default_language: str = "en",
           override_dir: str | None = None) -> RenderedMessage:
    if name not in TEMPLATES:
        raise UnknownTemplate(f"no message template {name!r}; known: {', '.join(TEMPLATES)}")
    env = environment(override_dir)
    out: dict[str, str] = {}
    sources: list[str] = []
    for part in PARTS:
        try:
            template = env.select_template(candidates(name, part, channel or DEFAULT_CHANNEL,
                                                      language or default_language,
                                                      default_language))
        except TemplateNotFound:
            raise UnknownTemplate(f"message template {name!r} has no {part} file") from None
        out[part] = template.render(**context).strip()
        sources.append(str(template.name))
    subject = " ".join(out["subject"].split())  # one line, whatever the template did
    return RenderedMessage(name, subject, out["txt"] + "\n", out["html"], tuple(sources))


def language_for(ship_to: dict[str, Any] | None, default: str = "en") -> str:
    """The customer's language: given on the address, else guessed from the country."""
    ship_to = ship_to or {}
    given = str(ship_to.get("language") or "").strip().lower()
    if given:
        return given.split("-")[0]
    country = str(ship_to.get("country") or "").upper()
    return COUNTRY_LANGUAGE.get(country, default)


COUNTRY_LANGUAGE = {"DE": "de", "AT": "de", "CH": "de", "LI": "de", "FR": "fr", "BE": "fr",
                    "ES": "es", "IT": "it", "NL": "nl", "PL": "pl", "PT": "pt"}


def templates_available(override_dir: str | None = None) -> list[str]:
    root = Path(__file__).parent / "templates"
    found = {p.name.split(".")[0] for p in root.glob("*/*/*.j2")}
    if override_dir:
        found |= {p.name.split(".")[0] for p in Path(override_dir).glob("*/*/*.j2")}
    return sorted(found & set(TEMPLATES))

"""Customer messages: template previews, the messages of an order, opt-outs, review
requests (steps 3, 14, 20)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from jinja2 import TemplateError
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import select

from hub.adapters.orm_customer import message_opt_outs
from hub.entrypoints.api.deps import ChannelOrOps, HubDep, Ops, UowDep
from hub.errors import InvalidInput, NotFound
from hub.messages.render import DEFAULT_CHANNEL, UnknownTemplate, render, templates_available
from hub.service_layer import customer_messages as messages
from hub.service_layer.handlers import customer

router = APIRouter(tags=["customer messages"])

SAMPLE = {"order_ref": "SAMPLE-1001", "order_id": "ord_sample", "customer_name": "Ada Lovelace",
          "lines": [{"sku": "MUG", "name": "Mug", "qty": 2}], "total": "24.00",
          "currency": "GBP", "courier": "royalmail", "courier_name": "Royal Mail",
          "tracking_number": "TT123456789GB",
          "tracking_url": "https://www.royalmail.com/track-your-item#/tracking-results/"
                          "TT123456789GB",
          "description": "Address incomplete", "location": "Front door",
          "rma_code": "RMA-SAMPLE", "amount": "12.00", "review_url": "https://example.com/r"}


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str = Field(min_length=1, max_length=40)
    channel: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    order_id: str | None = Field(default=None, max_length=40,
                                 description="fill the template from this order")
    context: dict[str, Any] = Field(default_factory=dict,
                                    description="values that replace the sample's")


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    reason: str | None = Field(default=None, max_length=200)


@router.get("/messages/templates")
def list_templates(hub: HubDep, _: Ops) -> list[str]:
    return templates_available(hub.settings.message_templates_dir)


@router.post("/messages/preview")
def preview(body: PreviewIn, hub: HubDep, uow: UowDep, _: Ops) -> dict[str, Any]:
    context: dict[str, Any] = {**SAMPLE, "shop_name": hub.settings.shop_name,
                               "language": hub.settings.message_default_language}
    channel = DEFAULT_CHANNEL
    if body.order_id is not None:
        order = uow.repo.get_order(body.order_id)
        if order is None:
            raise NotFound(f"order {body.order_id!r} not found")
        context.update(messages.order_context(uow, hub.ctx, order))
        channel = order.channel
    context.update(body.context)
    channel = body.channel or channel
    language = body.language or str(context["language"])
    context["language"] = language
    try:
        rendered = render(body.template, context, channel=channel, language=language,
                          default_language=hub.settings.message_default_language,
                          override_dir=hub.settings.message_templates_dir)
    except UnknownTemplate as exc:
        raise NotFound(str(exc)) from None
    except TemplateError as exc:
        raise InvalidInput(f"template {body.template!r} cannot be rendered: {exc}") from None
    return {"template": rendered.template, "channel": channel, "language": language,
            "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
            "sources": list(rendered.sources)}


@router.get("/orders/{order_id}/messages")
def order_messages(order_id: str, uow: UowDep, _: Ops) -> list[dict[str, Any]]:
    if uow.repo.get_order(order_id) is None:
        raise NotFound(f"order {order_id!r} not found")
    return messages.messages_of(uow, order_id)


@router.post("/messages/opt-outs")
def add_opt_out(body: OptOutIn, hub: HubDep, response: Response,
                _: ChannelOrOps) -> dict[str, Any]:
    added = hub.handle(customer.OptOut(str(body.email), body.reason))
    response.status_code = status.HTTP_201_CREATED if added else status.HTTP_200_OK
    return {"email": messages.normalise_email(str(body.email)), "opted_out": True,
            "added": added}


@router.get("/messages/opt-outs")
def list_opt_outs(uow: UowDep, _: Ops) -> list[dict[str, Any]]:
    rows = uow.session.execute(select(message_opt_outs).order_by(message_opt_outs.c.email))
    return [{"email": r.email, "reason": r.reason, "created_at": r.created_at} for r in rows]


@router.delete("/messages/opt-outs/{email}", status_code=status.HTTP_204_NO_CONTENT)
def remove_opt_out(email: str, hub: HubDep, _: ChannelOrOps) -> Response:
    hub.handle(customer.OptIn(email))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/messages/review-requests")
def request_reviews(hub: HubDep, _: Ops) -> dict[str, Any]:
    queued: list[str] = hub.handle(customer.RequestReviews())
    return {"queued": queued}

"""The webhooks' forms and answers over HTTP (OpenAPI models)."""

from typing import Annotated

from pydantic import BaseModel, Field


class WebhookForm(BaseModel):
    url: Annotated[str, Field(min_length=8, max_length=2000, description="https://… (checked against SSRF)")]


class WebhookView(BaseModel):
    subscription_id: str
    facility_id: str
    url: str
    active: bool
    created_at: str
    rotated_at: str | None = Field(None, description="When its secret was last rotated.")
    previous_secret_until: str | None = Field(
        None, description="Until when the secret it replaced still signs beside the new one (after a rotation)."
    )


class WebhookCreated(WebhookView):
    secret: str = Field(description="whsec_… — shown this once; it signs every delivery (see the README).")


class WebhookRotated(WebhookView):
    secret: str = Field(
        description="The new whsec_… — shown this once. Until previous_secret_until each delivery carries "
        "two signatures in webhook-signature (the new secret's first), then only the new one's."
    )


class WebhookList(BaseModel):
    items: list[WebhookView]


class AttemptView(BaseModel):
    at: str | None
    outcome: str = Field(description="delivered, http_<status>, timeout, ConnectError …, webhook.* (target refused)")
    status_code: int | None
    took_ms: int


class DeliveryView(BaseModel):
    delivery_id: str
    subscription_id: str
    event_id: str = Field(description="The CloudEvent's id, sent as `webhook-id`: the receiver's idempotency key.")
    registration_number: str
    sequence: int
    change: str | None
    status: str = Field(description="pending, delivered or dead (parked in the dead-letter list)")
    attempts: int
    created_at: str | None
    next_at: str | None
    delivered_at: str | None
    dead_at: str | None
    log: list[AttemptView]


class DeliveryLog(BaseModel):
    items: list[DeliveryView]

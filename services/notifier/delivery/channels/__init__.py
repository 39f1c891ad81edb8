"""The ways a notification reaches a practitioner, and how a failed delivery is reported.

A channel raises `TransientDeliveryError` when trying again later may succeed (the handler retries
with backoff, then dead-letters) and `PermanentDeliveryError` when it will not (record the failure,
do not retry).
"""


class DeliveryError(Exception):
    """A channel could not deliver a notification."""

    def __init__(self, channel: str, detail: str, *, code: int | None = None) -> None:
        super().__init__(f"{channel}: {detail}" if code is None else f"{channel}: {code} {detail}")
        self.channel = channel
        self.detail = detail
        self.code = code


class TransientDeliveryError(DeliveryError):
    """The far side is unreachable, slow or asks us to come back later."""


class PermanentDeliveryError(DeliveryError):
    """The far side refused for good (unknown mailbox, bad address, refused credentials)."""


__all__ = ["DeliveryError", "PermanentDeliveryError", "TransientDeliveryError"]

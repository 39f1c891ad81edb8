"""The Dispatcher: what a channel consumer does with one `DeliveryRequested`.

Skip what is already done, record the try, open the sealed secret, send, record the outcome.
Each channel has its own consumer (and retries, and dead letters), so a dead mail server only
delays e-mails. Logs name deliveries by id only: never a code, a phone number or a message body.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mumaris.clock import now
from mumaris.crypto import SealBroken, unseal
from mumaris.kafka import PermanentEventError
from schemas.events import DeliveryRequested
from services.notifier.delivery.channels import DeliveryError, PermanentDeliveryError
from services.notifier.delivery.rules import FINAL_STATUSES, is_expired, reveal
from services.notifier.delivery.senders import Sender
from services.notifier.delivery.store import DeliveryStore

log = logging.getLogger("mumaris.notifier.delivery")

ERROR_LIMIT = 500


@dataclass(frozen=True)
class Dispatcher:
    store: DeliveryStore
    sealing_key: str
    senders: Mapping[str, Sender]

    async def dispatch(self, request: DeliveryRequested) -> None:
        """Send one recorded delivery at most once per try, and never again once it is done.

        Permanent refusals are recorded and end here; anything else is recorded as the last error
        and raised, so the delivery policy retries with backoff and finally dead-letters it."""
        delivery_id = request.delivery_id
        delivery = await self.store.delivery(delivery_id)
        if delivery is None:
            raise PermanentEventError(f"no recorded delivery {delivery_id}")
        if delivery["status"] in FINAL_STATUSES:
            log.info("delivery %s already %s; skipped", delivery_id, delivery["status"])
            return
        if is_expired(delivery, now()):
            await self.store.mark_expired(delivery_id, now())
            log.info("delivery %s expired before it could be sent", delivery_id)
            return
        sender = self.senders.get(delivery["channel"])
        if sender is None:
            raise PermanentEventError(f"no sender for channel {delivery['channel']!r}")

        delivery = await self.store.start_try(delivery_id, now())  # the intent to send, now
        if delivery is None:
            return  # finished by another consumer meanwhile
        try:
            message = reveal(delivery["message"], self._open_secret(delivery))
            provider_message_id = await sender(delivery_id, message)
        except PermanentDeliveryError as error:
            await self.store.mark_failed(delivery_id, now(), str(error)[:ERROR_LIMIT])
            log.warning("delivery %s failed for good (%s, %s)", delivery_id, error.channel, error.code or "refused")
            return
        except Exception as error:
            await self.store.note_transient_failure(delivery_id, now(), describe(error))
            raise
        await self.store.mark_sent(delivery_id, now(), provider_message_id)
        log.info("delivery %s sent (try %d)", delivery_id, delivery["tries"])

    def _open_secret(self, delivery: dict[str, Any]) -> str | None:
        if not delivery.get("secret"):
            return None
        try:
            return unseal(delivery["sealed_secret"], self.sealing_key)
        except SealBroken as error:
            # Another key (a rotation gone wrong) or a damaged record: no retry will open it.
            raise PermanentDeliveryError(delivery["channel"], "the sealed code or link cannot be opened") from error


def describe(error: BaseException) -> str:
    # Channel errors are written to be safe to keep (no code, number or text); others by type only.
    if isinstance(error, DeliveryError):
        return str(error)[:ERROR_LIMIT]
    return type(error).__name__

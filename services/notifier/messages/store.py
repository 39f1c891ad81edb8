"""The messages area's collection, `notifier.contacts`: where an account's messages go (name,
e-mail and language from account.registered; the phone a sign-up code was sent to)."""

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class ContactStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.contacts = db["notifier.contacts"]

    async def save_contact(
        self, account_id: str, name: str, email: str, locale: str, session: AsyncClientSession
    ) -> None:
        # $set, not replace: the phone may have arrived first (account.phone_code is another topic).
        await self.contacts.update_one(
            {"_id": account_id},
            {"$set": {"name": name, "email": email, "locale": locale}},
            upsert=True,
            session=session,
        )

    async def save_phone(self, account_id: str, phone: str, session: AsyncClientSession) -> None:
        """The number a sign-up code was sent to: where the account's SMS notices go."""
        await self.contacts.update_one({"_id": account_id}, {"$set": {"phone": phone}}, upsert=True, session=session)

    async def phone_of(self, account_id: str, session: AsyncClientSession) -> str | None:
        contact = await self.contacts.find_one({"_id": account_id}, {"phone": 1}, session=session)
        return contact.get("phone") if contact else None

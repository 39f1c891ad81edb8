"""Staff accounts created by operations (`mumaris users create`), with the same rules as sign-up."""

import uuid
from typing import Literal

from pymongo.errors import DuplicateKeyError

from mumaris.clock import now
from mumaris.mongo import make_client
from mumaris.settings import Settings
from services.intake.accounts import rules as rules
from services.intake.accounts.store import AccountStore


async def create_staff_account(
    settings: Settings,
    *,
    role: Literal["reviewer", "supervisor", "admin"] | str,
    email: str,
    first_name: str,
    last_name: str,
    id_number: str,
    password: str,
    locale: Literal["ar", "en"],
) -> str:
    """Returns the new account id; raises ValueError with the refusal's code."""
    first, last = rules.check_name(first_name, "first_name"), rules.check_name(last_name, "last_name")
    number, kind = rules.parse_id_number(id_number)
    address = rules.normalize_email(email)
    rules.check_password(password, password, email=address, id_number=number, names=[first, last])
    client = make_client(settings)
    try:
        store = AccountStore(client[settings.mongo_db])
        await store.ensure_indexes()
        at = now()
        account_id = str(uuid.uuid4())
        await store.accounts.insert_one(
            {
                "_id": account_id,
                "first_name": first,
                "last_name": last,
                "id_kind": kind,
                "id_number": number,
                "email": address,
                "mobile": None,
                "locale": locale,
                "password_hash": rules.Passwords().hash(password),
                "role": role,
                "status": "active",
                "terms": {"version": settings.terms_version, "accepted_at": at},
                "created_at": at,
                "email_confirmed_at": at,
            }
        )
        return account_id
    except DuplicateKeyError as error:
        raise ValueError("account.email_taken or account.id_taken") from error
    finally:
        await client.close()

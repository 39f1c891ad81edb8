"""The outbound register feed's rules: what each registry event says as a change, completed from
the registration as kept, a suspension outlasting what follows it."""

from datetime import UTC, date, datetime

from schemas.classifications import CLASSIFICATIONS
from schemas.events import PractitionerRef, RegistrationExpiring, RegistrationRenewed, RegistryChange
from services.intake.registry import rules

WHO = PractitionerRef(id="p-1", name="Reem Al-Zahrani", email="reem@example.sa", locale="en")
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
SPECIALIST = CLASSIFICATIONS["nursing.specialist"].ref()


def test_a_reminder_is_an_expiring_change_whose_status_says_whether_renewal_is_open() -> None:
    event = RegistrationExpiring(
        registration_number="RG-00000018",
        practitioner=WHO,
        cycle=1,
        expires_on=date(2027, 2, 1),
        days_before=60,
        days_left=58,
        renewal_open=True,
    )
    change = rules.fill(
        rules.expiring(event, AT),
        status="renewal_open",
        profession="nursing",
        classification=SPECIALIST,
        expires_on=date(2027, 2, 1),
    )
    assert (change.change, change.status, change.days_left) == (RegistryChange.EXPIRING, "renewal_open", 58)
    assert (change.profession, change.classification) == ("nursing", SPECIALIST)


def test_a_suspended_registration_stays_suspended_in_a_later_change_and_the_event_wins_the_dates() -> None:
    event = RegistrationRenewed(
        registration_number="RG-00000018",
        practitioner=WHO,
        renewal_id="r-1",
        cycle=2,
        previous_expires_on=date(2027, 2, 1),
        expires_on=date(2029, 2, 1),
        renewed_at=AT,
    )
    change = rules.fill(
        rules.renewed(event),
        status="suspended",
        profession="nursing",
        classification=SPECIALIST,
        expires_on=date(2027, 2, 1),
    )
    assert (change.status, change.expires_on) == ("suspended", date(2029, 2, 1))
    running = rules.fill(
        rules.renewed(event),
        status="active",
        profession="nursing",
        classification=SPECIALIST,
        expires_on=date(2027, 2, 1),
    )
    assert running.status == "renewed"

from mumaris.settings import PROJECT_ROOT
from services.notifier.messages.rules import CHANNELS
from services.notifier.messages.samples import document, samples

SAMPLES = PROJECT_ROOT / "docs" / "notifications.md"


def test_the_checked_in_samples_are_what_the_templates_render_now() -> None:
    assert SAMPLES.read_text(encoding="utf-8") == document(), (
        "docs/notifications.md is stale: run `python -m services.notifier.messages.samples > docs/notifications.md`"
    )


def test_every_kind_but_the_code_has_a_sample() -> None:
    assert {note.kind for _, note in samples()} | {"account.phone_code"} == set(CHANNELS)

from mumaris.settings import PROJECT_ROOT
from services.notifier.domain import CHANNELS
from services.notifier.samples import document, samples

SAMPLES = PROJECT_ROOT / "docs" / "notifications.md"


def test_the_checked_in_samples_are_what_the_templates_render_now() -> None:
    assert SAMPLES.read_text(encoding="utf-8") == document(), (
        "docs/notifications.md is stale: run `python -m services.notifier.samples > docs/notifications.md`"
    )


def test_every_kind_but_the_code_has_a_sample() -> None:
    assert {note.kind for _, note in samples()} | {"account.phone_code"} == set(CHANNELS)

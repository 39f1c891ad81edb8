"""`mumaris`: the command line for developers and operations.

mumaris stack up|down|status     the embedded local stack (Kafka KRaft + SecantusDB)
    mumaris stack build              build the embedded database server once (secantusd-rs, pinned)
mumaris topics create            create every catalogue topic and its dead-letter topic
mumaris run <service>            run one service (intake, validator, review, notifier)
mumaris demo                     the whole pipeline, one certificate from upload to approval
mumaris up                       everything running for a browser (portal, console) until Ctrl-C
mumaris dlq list|show|replay     dead letters for operations
mumaris users create             reviewer and admin accounts
mumaris registrations migrate    one-off: a registration for every practitioner approved before them
mumaris certificates backfill    one-off: expiry reminders for certificates approved before them
mumaris verify <card>            check a registration card offline against the published keys
mumaris keys card                a new Ed25519 key for signing registration cards
mumaris token                    mint a development bearer token
"""

import asyncio
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from mumaris.settings import STACK_ENV_FILE, get_settings

if TYPE_CHECKING:
    pass

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
stack_app = typer.Typer(help="The embedded local stack: a real Kafka broker and a MongoDB-wire server.")
topics_app = typer.Typer(
    help="Kafka topics: without a command, their live status (offsets, rates, lag).", invoke_without_command=True
)
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")


class ServiceName(StrEnum):
    intake = "intake"
    validator = "validator"
    review = "review"
    notifier = "notifier"


@stack_app.command("up")
def stack_up() -> None:
    """Start Kafka and the database on free loopback ports; write their addresses to .mumaris/stack.env."""
    from mumaris.tools.stack import STACK_DIR, LocalStack, stack_is_running
    from schemas.topics import all_topic_names

    stack = LocalStack.attach(STACK_DIR) if (STACK_DIR / "stack.json").exists() else LocalStack(STACK_DIR)
    if stack_is_running(stack):
        typer.echo(f"already running: {json.dumps(stack.status())}")
        return
    info = stack.start(all_topic_names(), partitions=get_settings().kafka_partitions)
    _write_env_file(info.env())
    typer.echo(f"kafka {info.kafka_bootstrap}\nmongo {info.mongo_uri}\nenv   {STACK_ENV_FILE}")


@stack_app.command("down")
def stack_down() -> None:
    """Stop the local stack (data stays in .mumaris/stack until `rm -rf .mumaris`)."""
    from mumaris.tools.stack import STACK_DIR, LocalStack

    if not (STACK_DIR / "stack.json").exists():
        typer.echo("not running")
        return
    LocalStack.attach(STACK_DIR).stop()
    STACK_ENV_FILE.unlink(missing_ok=True)
    typer.echo("stopped")


@stack_app.command("build")
def stack_build() -> None:
    """Build the embedded database server (secantusd-rs, pinned) once; nothing to do when it is built."""
    from mumaris.tools.stack import SECANTUS_MDB_VERSION, build_secantusd_rs, embedded_db

    if embedded_db() == "python":
        typer.echo("MUMARIS_EMBEDDED_DB=python: the Python server from PyPI is used, nothing to build")
        return
    typer.echo(f"secantusd-rs {SECANTUS_MDB_VERSION}: {build_secantusd_rs()}")


@stack_app.command("status")
def stack_status() -> None:
    from mumaris.tools.stack import STACK_DIR, LocalStack

    if not (STACK_DIR / "stack.json").exists():
        typer.echo("not running")
        raise typer.Exit(1)
    typer.echo(json.dumps(LocalStack.attach(STACK_DIR).status(), indent=2, default=str))


def _write_env_file(env: dict[str, str]) -> None:
    STACK_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    STACK_ENV_FILE.write_text("".join(f"{k}={v}\n" for k, v in env.items()))


@topics_app.callback()
def topics_status(
    ctx: typer.Context,
    dlq: Annotated[bool, typer.Option(help="include the dead-letter topics")] = True,
    topic: Annotated[list[str] | None, typer.Option(help="only these topics (repeatable)")] = None,
) -> None:
    """For each topic: partitions, end offsets, messages/s over the last minute, lag per consumer group."""
    if ctx.invoked_subcommand is not None:
        return
    from mumaris.topic_status import render, topic_status
    from schemas.topics import CATALOGUE

    names = topic or [name for t in CATALOGUE for name in ((t.name, t.dlq) if dlq else (t.name,))]
    typer.echo(render(asyncio.run(topic_status(get_settings().kafka_bootstrap, names))))


@topics_app.command("list")
def topics_list() -> None:
    """Print the catalogue: topic, CloudEvents type, key, producers → consumers."""
    from schemas.topics import CATALOGUE

    for topic in CATALOGUE:
        typer.echo(
            f"{topic.name:<22} {topic.ce_type:<34} key={topic.key:<14} "
            f"{','.join(topic.producers)} → {','.join(topic.consumers)}   (+ {topic.dlq})"
        )


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic of the catalogue and its `.dlq` (existing topics are left alone)."""
    from mumaris.tools.stack import create_topics
    from schemas.topics import all_topic_names

    settings = get_settings()
    created = asyncio.run(
        create_topics(
            settings.kafka_bootstrap, all_topic_names(), settings.kafka_partitions, settings.kafka_replication_factor
        )
    )
    typer.echo(f"created {len(created)} topic(s): {', '.join(created) or '-'}")


@app.command("run")
def run(
    service: ServiceName,
    port: Annotated[int | None, typer.Option(help="HTTP port (default: MUMARIS_<SERVICE>_PORT)")] = None,
) -> None:
    """Run one service: its Kafka subscribers, outbox relay and HTTP routes."""
    import uvicorn

    from mumaris.logs import configure_logging

    settings = get_settings()
    configure_logging(service.value, log_format=settings.log_format)
    uvicorn.run(
        f"services.{service.value}.app:create_app",
        factory=True,
        host=settings.http_host,
        port=port or settings.port_of(service.value),
        log_config=None,  # uvicorn's loggers go through the root handler configured above
        access_log=False,  # replaced by mumaris.http.RequestLogContext's line (no query strings)
        # What uvicorn's own production setup ("uvicorn[standard]") runs: libuv's event loop and
        # the C HTTP parser instead of asyncio's loop and the pure-Python h11.
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=10,
    )


schemas_app = typer.Typer(help="The contracts other systems code against (schemas/json/).")
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("export")
def schemas_export(
    check: Annotated[bool, typer.Option(help="only compare; exit 1 when schemas/json/ is stale")] = False,
) -> None:
    """Write a JSON Schema per topic's event into schemas/json/ (checked in)."""
    from schemas.export import SCHEMA_DIR, export, stale_files

    if check:
        stale = stale_files()
        for name in stale:
            typer.echo(f"stale: {SCHEMA_DIR.name}/{name}")
        raise typer.Exit(1 if stale else 0)
    for name in export():
        typer.echo(f"wrote schemas/json/{name}")


dlq_app = typer.Typer(help="Dead letters: what failed, why, and replay once it can succeed.")
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("list")
def dlq_list(topic: Annotated[str, typer.Argument(help="e.g. submission.received (its .dlq is read)")]) -> None:
    """One line per dead letter: partition/offset, service, reason, attempts, error."""
    from mumaris.tools.dlq import list_dead_letters, summary

    for view in asyncio.run(list_dead_letters(get_settings().kafka_bootstrap, topic)):
        typer.echo(json.dumps(summary(view), ensure_ascii=False))


@dlq_app.command("show")
def dlq_show(topic: str, partition: int, offset: int) -> None:
    """Every header and the body of one dead letter."""
    from mumaris.tools.dlq import list_dead_letters

    for view in asyncio.run(list_dead_letters(get_settings().kafka_bootstrap, topic)):
        if (view.partition, view.offset) == (partition, offset):
            typer.echo(
                json.dumps(
                    {"headers": view.headers, "key": view.key, "body": view.body.decode("utf-8", "replace")},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
    typer.echo("no such dead letter", err=True)
    raise typer.Exit(1)


@dlq_app.command("replay")
def dlq_replay(topic: str) -> None:
    """Republish the dead letters not replayed yet to their original topic (idempotent)."""
    from mumaris.tools.dlq import replay

    replayed = asyncio.run(replay(get_settings().kafka_bootstrap, topic))
    typer.echo(f"replayed {len(replayed)} record(s) to {topic.removesuffix('.dlq')}")


users_app = typer.Typer(help="Staff accounts (reviewers, supervisors, admins); practitioners sign up themselves.")
app.add_typer(users_app, name="users")


class StaffRole(StrEnum):
    reviewer = "reviewer"
    supervisor = "supervisor"
    admin = "admin"


@users_app.command("create")
def users_create(
    role: Annotated[StaffRole, typer.Option()],
    email: Annotated[str, typer.Option()],
    first_name: Annotated[str, typer.Option()],
    last_name: Annotated[str, typer.Option()],
    id_number: Annotated[str, typer.Option(help="national ID or iqama number")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    locale: Annotated[str, typer.Option()] = "ar",
) -> None:
    """Create an active reviewer, supervisor or admin account (same rules as sign-up, no SMS step)."""
    from services.intake.accounts.service import create_staff_account

    try:
        account_id = asyncio.run(
            create_staff_account(
                get_settings(),
                role=role.value,
                email=email,
                first_name=first_name,
                last_name=last_name,
                id_number=id_number,
                password=password,
                locale="en" if locale == "en" else "ar",
            )
        )
    except ValueError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"created {role.value} {account_id}")


registrations_app = typer.Typer(help="Professional registrations (intake).")
app.add_typer(registrations_app, name="registrations")


@registrations_app.command("migrate")
def registrations_migrate(
    batch: Annotated[int, typer.Option(help="accounts read per round trip")] = 500,
) -> None:
    """One-off: issue a registration to every practitioner whose classification was approved before
    registrations existed, as of that approval. Safe to run again: it issues nothing twice."""
    from services.intake.registration.service import migrate_registrations

    seen, issued = asyncio.run(migrate_registrations(get_settings(), batch))
    typer.echo(f"{seen} approved practitioner(s) without a registration; {issued} registration(s) issued")


certificates_app = typer.Typer(help="Certificates that expire (review's reminders).")
app.add_typer(certificates_app, name="certificates")


@certificates_app.command("backfill")
def certificates_backfill(
    batch: Annotated[int, typer.Option(help="review items read per round trip")] = 500,
) -> None:
    """One-off: keep every certificate with an expiry approved before expiry reminders existed,
    so that it is reminded too. Safe to run again: it keeps nothing twice."""
    from services.review.certificates.service import backfill_expiries

    seen, kept = asyncio.run(backfill_expiries(get_settings(), batch))
    typer.echo(f"{seen} approved certificate(s) with an expiry; {kept} newly kept for reminders")


@app.command("verify")
def verify(
    card: Annotated[str, typer.Argument(help="the card: a PDF or text file, the URL its QR code holds, or the token")],
    keys: Annotated[
        str | None, typer.Option(help="a saved JWKS file or its URL (default: intake's /.well-known/jwks.json)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Check a registration card offline: the registry's signature, its key (known, not revoked)
    and the card's dates. Exit 0 when it is signed and unexpired, 1 otherwise. Whether the
    registration is valid now only the public register's verification page can tell."""
    from services.intake.register.offline import load_keyset, verify_offline

    source = keys or f"{get_settings().public_base_url.rstrip('/')}/.well-known/jwks.json"
    try:
        keyset = load_keyset(source)
    except ValueError as error:
        typer.echo(f"card.keys_unavailable: {error}", err=True)
        raise typer.Exit(2) from error
    verdict = verify_offline(card, keyset)
    if as_json:
        typer.echo(json.dumps(verdict, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{verdict['verdict']}: {verdict['message']['en']}")
        typer.echo(verdict["message"]["ar"])
        shown = verdict["card"]
        if shown:
            names = " / ".join(n for n in (shown["name"]["ar"], shown["name"]["latin"]) if n)
            typer.echo(f"{shown['registration_number']}  {names}  {shown['classification']['en']}")
            typer.echo(f"valid {shown['valid_from']} to {shown['valid_until']}; key {verdict['kid']}")
    raise typer.Exit(0 if verdict["verdict"] == "card.signed_offline" else 1)


keys_app = typer.Typer(help="Signing keys.")
app.add_typer(keys_app, name="keys")


@keys_app.command("card")
def keys_card() -> None:
    """A new Ed25519 key for registration cards: set MUMARIS_CARD_SIGNING_KEY to the seed, and add
    the old key's public key to MUMARIS_CARD_PREVIOUS_KEYS so cards it signed keep verifying."""
    from services.intake.register import cards

    seed = cards.new_seed()
    public = cards.private_key(seed).public_key()
    typer.echo(f"MUMARIS_CARD_SIGNING_KEY={seed}")
    typer.echo(f"public key: {cards.jwk_of(public)['x']}")
    typer.echo(f"kid: {cards.thumbprint(public)}")


@app.command("token")
def token(
    sub: Annotated[str, typer.Option(help="subject id")],
    role: Annotated[str, typer.Option()] = "practitioner",
    name: Annotated[str, typer.Option()] = "",
    email: Annotated[str, typer.Option()] = "",
    locale: Annotated[str, typer.Option()] = "ar",
    ttl: Annotated[int, typer.Option(help="seconds")] = 3600,
) -> None:
    """Print a bearer token for a practitioner, reviewer or admin."""
    from mumaris.auth import Principal, issue_token

    principal = Principal(id=sub, role=role, name=name, email=email, locale="en" if locale == "en" else "ar")  # type: ignore[arg-type]
    typer.echo(issue_token(principal, get_settings(), ttl_s=ttl))


@app.command("demo")
def demo(
    keep: Annotated[bool, typer.Option(help="leave the stack and services running afterwards")] = False,
) -> None:
    """Start the local stack and the four services, then drive one certificate to approval."""
    from mumaris.tools.demo import run_demo

    raise typer.Exit(run_demo(keep=keep))


@app.command("up")
def up() -> None:
    """Start everything and keep it running for a browser (the portal, the console), until Ctrl-C."""
    from mumaris.tools.demo import run_up

    raise typer.Exit(run_up())


def main() -> None:
    app()


if __name__ == "__main__":
    main()

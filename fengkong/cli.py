"""The `fengkong` command."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fengkong import demo as demo_data
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.config import Settings, load_settings
from fengkong.core.errors import FengkongError
from fengkong.decision.cli import strategy_app
from fengkong.loans.quote import Quote
from fengkong.scoring import cli as scoring_cli
from fengkong.telematics import heap, runtime
from fengkong.telematics.analytics import cli as riskareas_cli
from fengkong.telematics.analytics.stream import start_analytics
from fengkong.telematics.directory import Directory
from fengkong.telematics.gateway.server import Gateway
from fengkong.telematics.gateway.settings import GatewaySettings
from fengkong.telematics.simulator import cli as simulator_cli

app = typer.Typer(help="fengkong: risk control for car and consumer lenders.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (lenders).", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
loan_app = typer.Typer(help="Loans.", no_args_is_help=True)
app.add_typer(loan_app, name="loan")
ledger_app = typer.Typer(help="The general ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
simulator_cli.register(app)
scoring_cli.register(app)
app.add_typer(strategy_app, name="strategy")
riskareas_cli.register(app)

console = Console(stderr=True)


def _container(settings: Settings | None = None) -> Container:
    return bootstrap(settings or load_settings())


def _fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _ready(container: Container) -> None:
    from fengkong.core.migrate import current_revision, head_revision

    if current_revision(container.engine) != head_revision():
        raise _fail("the database schema is not current; run `fengkong db upgrade` first")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from fengkong.core.migrate import current_revision, upgrade

    container = _container()
    upgrade(container.engine)
    tenants = _sync_roles(container)
    console.print(f"database at revision {current_revision(container.engine)}; "
                  f"predefined roles refreshed for {tenants} tenants")


def _sync_roles(container: Container) -> int:
    from fengkong.org import service

    with container.uow() as uow:
        count = service.sync_all_builtin_roles(uow)
        uow.commit()
    return count


@tenant_app.command("create")
def tenant_create(
    code: Annotated[str, typer.Option(help="short code, e.g. acme")],
    name: Annotated[str, typer.Option(help="the lender's name")],
    admin_username: Annotated[str, typer.Option(help="first tenant administrator")],
    admin_password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                                confirmation_prompt=True)],
    timezone: Annotated[str | None, typer.Option(
        help="business time zone [default: FENGKONG_TIMEZONE or Asia/Shanghai]")] = None,
) -> None:
    """Create a tenant with its root unit HQ, its predefined roles and an administrator."""
    from fengkong.core.audit_service import SystemActor
    from fengkong.org import service

    container = _container()
    _ready(container)
    with container.uow() as uow:
        tenant = service.create_tenant(uow, SystemActor(), code=code, name=name,
                                       timezone=timezone or container.settings.timezone)
        service.create_user(uow, SystemActor(tenant_id=tenant.id), container.hasher,
                            tenant_id=tenant.id, username=admin_username,
                            display_name="Administrator", password=admin_password,
                            org_unit_id=service.root_unit(uow, tenant.id).id,
                            roles=["tenant_admin"],
                            min_password_length=container.settings.password_min_length)
        uow.commit()
    typer.echo(tenant.id)


@user_app.command("create")
def user_create(
    tenant: Annotated[str, typer.Option(help="tenant code ('platform' for platform admins)")],
    username: Annotated[str, typer.Option()],
    unit: Annotated[str, typer.Option(help="org unit code")],
    role: Annotated[list[str], typer.Option(help="role code; repeat for several")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    display_name: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create a user in a tenant's org unit."""
    from sqlalchemy import select

    from fengkong.core.audit_service import SystemActor
    from fengkong.core.errors import InvalidInput
    from fengkong.org import service
    from fengkong.org.models import OrgUnit

    container = _container()
    _ready(container)
    with container.uow() as uow:
        if tenant == service.PLATFORM_CODE:
            service.ensure_platform(uow)
        t = service.tenant_by_code(uow, tenant)
        unit_id = uow.session.scalar(select(OrgUnit.id).where(
            OrgUnit.tenant_id == t.id, OrgUnit.code == unit))
        if unit_id is None:
            raise InvalidInput(f"tenant {tenant} has no unit {unit}", code="unknown_reference",
                               field="unit")
        user = service.create_user(uow, SystemActor(tenant_id=t.id), container.hasher,
                                   tenant_id=t.id, username=username,
                                   display_name=display_name or username, password=password,
                                   org_unit_id=unit_id, roles=role,
                                   min_password_length=container.settings.password_min_length)
        uow.commit()
    typer.echo(user.id)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the audit trail; exit 1 naming the first broken record."""
    from fengkong.core import audit_service

    container = _container()
    _ready(container)
    with container.uow() as uow:
        total = audit_service.count(uow.session)
        with Progress(TextColumn("verifying audit trail"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("verify", total=total)
            breaks = audit_service.verify(uow.session,
                                          on_record=lambda: progress.advance(task))
    if not breaks:
        typer.echo(f"audit trail intact: {total} records")
        return
    for brk in breaks:
        where = f"record {brk.record_id}" if brk.record_id else "chain head"
        typer.echo(f"BROKEN chain {brk.chain} at seq {brk.seq}, {where}: {brk.reason}")
    raise typer.Exit(1)


@loan_app.command("quote")
def loan_quote(
    user: Annotated[str | None, typer.Option(
        help="act as this user (needed to quote from a product_id)")] = None,
) -> None:
    """Quote a loan: terms as JSON on standard input, the schedule as JSON on standard output.

    Full terms need no database. With "product_id", the product's terms apply and --user names
    the user whose tenant and org unit the quote is for."""
    import json

    from fengkong.core.errors import InvalidInput
    from fengkong.loans import parse_terms, quote, quote_to_dict

    try:
        body = json.loads(sys.stdin.read() or "null")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"standard input is not JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidInput("standard input must be a JSON object of loan terms",
                           code="invalid_type")
    result = _product_quote(body, user) if "product_id" in body else quote(parse_terms(body))
    typer.echo(json.dumps(quote_to_dict(result), ensure_ascii=False, indent=2))


def _product_quote(body: dict[str, object], user: str | None) -> Quote:
    from sqlalchemy.exc import NoResultFound

    from fengkong.core.errors import InvalidInput
    from fengkong.loans import product_service

    if not user:
        raise InvalidInput("a quote from a product needs --user", code="required", field="user")
    container = _container()
    _ready(container)
    with container.uow() as uow:
        try:
            acting = demo_data.principal_of(uow, user)
        except NoResultFound:
            raise InvalidInput(f"no user {user}", code="unknown_reference",
                               field="user") from None
        return product_service.quote_for(uow, acting, body)


@ledger_app.command("trial-balance")
def ledger_trial_balance(
    tenant: Annotated[str, typer.Option(help="tenant code")],
    as_of: Annotated[str | None, typer.Option(help="business date YYYY-MM-DD [default: all]")
                     ] = None,
) -> None:
    """Print a tenant's trial balance: debits, credits and balance per account."""
    from fengkong.ledger import queries
    from fengkong.org import service

    day = _date_option(as_of, "as-of")
    container = _container()
    _ready(container)
    with container.uow() as uow:
        tb = queries.tenant_trial_balance(uow, service.tenant_by_code(uow, tenant).id,
                                          as_of=day)
    table = Table(title=f"Trial balance of {tenant}" + (f" as of {day}" if day else ""))
    table.add_column("account")
    table.add_column("type")
    for name in ("debit", "credit", "balance"):
        table.add_column(name, justify="right")
    for row in tb.rows:
        table.add_row(row.code, row.type.value, _yuan(row.debit), _yuan(row.credit),
                      _yuan(row.balance))
    table.add_section()
    table.add_row("total", "", _yuan(tb.debit), _yuan(tb.credit), _yuan(tb.debit - tb.credit))
    Console().print(table)


@ledger_app.command("check")
def ledger_check(tenant: Annotated[str, typer.Option(help="tenant code")]) -> None:
    """Exit 0 when every entry balances, the trial balance sums to zero and every loan's
    sub-ledger agrees with the ledger to the fen; else exit 1 naming what disagrees."""
    from fengkong.core.money import from_minor
    from fengkong.ledger import queries
    from fengkong.loans.reconcile import reconcile
    from fengkong.org import service

    container = _container()
    _ready(container)
    with container.uow() as uow:
        tenant_id = service.tenant_by_code(uow, tenant).id
        result = queries.check_balanced(uow, tenant_id)
        checked, mismatches = reconcile(uow, tenant_id)
    for m in mismatches[:20]:
        typer.echo(f"MISMATCH loan {m.loan_id} {m.account}: ledger {m.ledger}, "
                   f"loan records {m.expected}")
    if mismatches:
        typer.echo(f"{len(mismatches)} mismatches over {checked} loans")
        raise typer.Exit(1)
    if result.first_unbalanced is not None:
        typer.echo(f"UNBALANCED entry {result.first_unbalanced}: {result.detail}")
        raise typer.Exit(1)
    if not result.ok:
        typer.echo(f"UNBALANCED trial balance: debits {from_minor(result.debit)}, credits "
                   f"{from_minor(result.credit)}")
        raise typer.Exit(1)
    typer.echo(f"ledger balanced: {result.entries} entries, debits = credits = "
               f"{from_minor(result.debit)}; {checked} loan sub-ledgers reconcile")


def _yuan(fen: int) -> str:
    from fengkong.core.money import format_amount, from_minor

    return format_amount(from_minor(fen))


def _date_option(value: str | None, name: str) -> date | None:
    from fengkong.core.errors import InvalidInput

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", code="bad_format",
                           field=name) from None


@app.command()
def cob(
    business_date: Annotated[str | None, typer.Option(
        "--date", help="close up to this business date (YYYY-MM-DD) [default: yesterday]")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="tenant code [default: every tenant]")
                      ] = None,
    chunk: Annotated[int, typer.Option(help="loans per transaction")] = 20_000,
) -> None:
    """Close of business: penalties, accruals, days past due and buckets, day by day."""
    from datetime import date as date_type
    from datetime import timedelta

    from sqlalchemy import select

    from fengkong.core.audit_service import SystemActor
    from fengkong.core.clock import business_date as today_in
    from fengkong.core.errors import InvalidInput
    from fengkong.loans import cob_service
    from fengkong.org import service
    from fengkong.org.models import Tenant

    container = _container()
    _ready(container)
    with container.uow() as uow:
        if tenant:
            tenants = [service.tenant_by_code(uow, tenant)]
        else:
            tenants = list(uow.session.scalars(select(Tenant).where(
                Tenant.is_platform.is_(False), Tenant.is_active.is_(True))))
        plan = [(t.id, t.code, t.timezone) for t in tenants]
    for tenant_id, code, zone in plan:
        if business_date:
            try:
                until = date_type.fromisoformat(business_date)
            except ValueError:
                raise InvalidInput("--date is YYYY-MM-DD", code="invalid_date",
                                   field="date") from None
        else:
            until = today_in(container.clock, zone) - timedelta(days=1)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as progress:
            def on_day(day: date_type, total: int, code: str = code) -> cob_service.cob.Progress:
                task = progress.add_task(f"{code} {day}", total=total)
                return lambda done: progress.advance(task, done)

            report = cob_service.close_business(container.uow, SystemActor(tenant_id=tenant_id),
                                                tenant_id, until, chunk=chunk, on_day=on_day)
        closed = ", ".join(d.business_date.isoformat() for d in report.days) or "nothing to do"
        typer.echo(f"{code}: closed {closed}; {report.loans} loan-days")


TrackersOption = Annotated[bool, typer.Option(
    "--trackers/--no-trackers",
    help="also run the tracker gateway and its pipeline in this process")]


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    trackers: TrackersOption = True,
) -> None:
    """Run the API server (and, unless --no-trackers, the tracker gateway on
    FENGKONG_GT06_PORT and FENGKONG_JT808_PORT with the position pipeline)."""
    container = _container()
    _ready(container)
    _run(container, host, port, trackers=trackers)


def _gateway_settings(settings: Settings, gt06_port: int | None = None,
                      jt808_port: int | None = None, host: str | None = None
                      ) -> GatewaySettings:
    return GatewaySettings(host=host or settings.gateway_host, ports={
        "gt06": settings.gt06_port if gt06_port is None else gt06_port,
        "jt808": settings.jt808_port if jt808_port is None else jt808_port})


def _run(container: Container, host: str, port: int, *, trackers: bool = True,
         gateway: GatewaySettings | None = None,
         after_start: Callable[[Gateway], object] | None = None, demo: bool = False) -> None:
    import uvicorn

    from fengkong.alerts.wiring import AlarmScheduler
    from fengkong.api.app import create_app
    from fengkong.bootstrap import wire_reactions
    from fengkong.core.logs import configure_logging
    from fengkong.loans.cob_schedule import CobScheduler

    configure_logging(container.settings.log_level, container.settings.log_format)
    scheduler = CobScheduler(container.uow, container.clock)
    scheduler.start()  # closes each tenant's yesterday once it is over
    metrics = CollectorRegistry()  # /metrics shows the API's and the gateway's figures
    reactions = wire_reactions(container, demo=demo)
    alarm_scheduler = AlarmScheduler(reactions.ticks)
    alarm_scheduler.start()  # escalations, delivery retries, silent trackers
    thread = analytics = None
    if trackers:
        analytics = start_analytics(container.uow, container.bus)  # behind position.received
        settings = gateway or _gateway_settings(container.settings)
        thread = runtime.GatewayThread(lambda: runtime.build_gateway(
            container.uow, Directory(container.session_factory, container.clock),
            container.clock, settings, runtime.DatabaseWriter(container.uow),
            registry=metrics),
            after_start=after_start,
            dispatch=lambda listening: runtime.start_dispatcher(container.uow, listening))
        listening = thread.start()
        console.print("tracker gateway: " + ", ".join(
            f"{name} on {settings.host}:{p}" for name, p in listening.ports.items()))
    try:
        uvicorn.run(create_app(container, metrics=metrics), host=host, port=port,
                    log_config=None,
                    access_log=False)
    finally:
        if thread is not None:
            thread.stop()
        if analytics is not None:
            analytics.stop()
        scheduler.stop()
        alarm_scheduler.stop()
        reactions.close()


@app.command()
def gateway(
    gt06_port: Annotated[int | None, typer.Option(help="default FENGKONG_GT06_PORT")] = None,
    jt808_port: Annotated[int | None, typer.Option(help="default FENGKONG_JT808_PORT")] = None,
    metrics_port: Annotated[int, typer.Option(
        help="Prometheus metrics at http://<FENGKONG_GATEWAY_HOST>:PORT/metrics; 0: none")
    ] = 9105,
) -> None:
    """Run the tracker listeners only; every accepted frame goes to NATS JetStream
    (FENGKONG_BUS_URL=nats://…) and is acknowledged once JetStream has stored it. Queued
    commands are sent from here, where the connections are."""
    from fengkong.core.logs import configure_logging
    from fengkong.telematics.jetstream import FramePublisher, JetStreamSink, StreamNames

    container = _container()
    _ready(container)
    url = _nats_url(container.settings)
    configure_logging(container.settings.log_level, container.settings.log_format)
    settings = _gateway_settings(container.settings, gt06_port, jt808_port)

    async def main() -> None:
        publisher = await FramePublisher.open(
            url, StreamNames.named(container.settings.frames_stream))
        registry = CollectorRegistry()
        listeners = runtime.build_gateway(
            container.uow, Directory(container.session_factory, container.clock),
            container.clock, settings, JetStreamSink(publisher), registry=registry)
        if metrics_port:
            start_http_server(metrics_port, addr=settings.host, registry=registry)
        await listeners.start()
        heap.settle()
        dispatcher = runtime.start_dispatcher(container.uow, listeners)
        console.print("tracker gateway: " + ", ".join(
            f"{name} on {settings.host}:{p}" for name, p in listeners.ports.items())
            + f"; frames to {url}")
        try:
            await asyncio.Event().wait()
        finally:
            dispatcher.cancel()
            await listeners.stop()
            await publisher.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


@app.command()
def worker(
    batch: Annotated[int, typer.Option(min=1, help="frames per transaction at most")] = 500,
) -> None:
    """Run the position pipeline only: frames from NATS JetStream (FENGKONG_BUS_URL) into the
    database, each batch acknowledged to JetStream after its commit."""
    from fengkong.core.logs import configure_logging
    from fengkong.telematics.jetstream import FrameConsumer, StreamNames

    container = _container()
    _ready(container)
    url = _nats_url(container.settings)
    configure_logging(container.settings.log_level, container.settings.log_format)

    async def main() -> None:
        consumer = await FrameConsumer.open(
            url, StreamNames.named(container.settings.frames_stream), batch=batch)
        console.print(f"position worker: frames from {url}")
        from fengkong.bootstrap import wire_reactions

        wire_reactions(container)  # the worker publishes positions: it runs the analyzers
        analytics = start_analytics(container.uow, container.bus)
        try:
            await runtime.run_worker(consumer, runtime.DatabaseWriter(container.uow),
                                     asyncio.Event())
        finally:
            await consumer.close()
            analytics.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def _nats_url(settings: Settings) -> str:
    if not settings.bus_url.startswith(("nats://", "tls://")):
        raise _fail("the gateway and the worker run apart over NATS JetStream: set "
                    "FENGKONG_BUS_URL=nats://host:4222 (fengkong serve runs both in one "
                    "process)")
    return settings.bus_url


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="HTTP port")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="where the demo keeps its data")] = Path(
        "var/demo"),
    reset: Annotated[bool, typer.Option(help="start from empty demo data")] = False,
    gt06_port: Annotated[int, typer.Option(help="GT06 tracker port")] = 5023,
    jt808_port: Annotated[int, typer.Option(help="JT/T 808 tracker port")] = 5015,
    simulate: Annotated[bool, typer.Option(
        "--simulate/--no-simulate", help="drive the demo cars' trackers against the demo's "
        "own gateway")] = True,
) -> None:
    """Run fengkong with embedded defaults (SQLite, in-process bus) and demo data."""
    from fengkong.core.migrate import upgrade

    if reset and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings().with_data_dir(data_dir)
    container = _container(settings)
    upgrade(container.engine)
    _sync_roles(container)
    world = demo_data.seed(container, showcase=True)
    _close_demo_days(container, world)
    _print_demo(port, container.settings, world)
    gateway = _gateway_settings(settings, gt06_port, jt808_port, host="127.0.0.1")
    _run(container, "127.0.0.1", port, gateway=gateway,
         after_start=_drive_demo_cars if simulate else None, demo=True)


def _drive_demo_cars(listening: Gateway) -> object:
    """Simulated trackers of the demo cars, driving against the demo's own gateway."""
    from fengkong.telematics import demo_data as tracker_demo

    fleets = tracker_demo.demo_fleets(listening.ports)
    return asyncio.get_running_loop().create_task(tracker_demo.drive(fleets))


def _close_demo_days(container: Container, world: demo_data.DemoWorld) -> None:
    """Bring the demo loans up to yesterday, so penalties and buckets show."""
    from datetime import timedelta

    from fengkong.core.audit_service import SystemActor
    from fengkong.core.clock import business_date
    from fengkong.loans import cob_service

    yesterday = business_date(container.clock, "Asia/Shanghai") - timedelta(days=1)
    with console.status("closing the demo's business days"):
        cob_service.close_business(container.uow, SystemActor(tenant_id=world.tenant_id),
                                   world.tenant_id, yesterday)


def _print_demo(port: int, settings: Settings, world: demo_data.DemoWorld) -> None:
    base = f"http://127.0.0.1:{port}"
    table = Table(title="Demo Auto Finance: logins",
                  caption=f"password: {settings.demo_password} (as it was when the demo data "
                          "was made; --reset applies a new FENGKONG_DEMO_PASSWORD)")
    table.add_column("username")
    table.add_column("role")
    table.add_column("org unit")
    table.add_row(demo_data.PLATFORM_ADMIN, "platform_admin", "PLATFORM")
    for username, role, unit, _ in demo_data.USERS:
        table.add_row(username, role, unit)
    out = Console()
    out.print(table)
    out.print(f"API docs:   {base}/api/docs")
    out.print(f"OpenAPI:    {base}/api/openapi.json")
    out.print(f"Health:     {base}/healthz   Ready: {base}/readyz   Metrics: {base}/metrics")
    out.print(f"Get a token: curl -d username=demo.admin -d password={settings.demo_password} "
              f"{base}/api/v1/auth/token")
    for note in world.notes:
        out.print(note)


def main() -> None:
    try:
        app()
    except FengkongError as exc:
        field = f" ({exc.field})" if exc.field else ""
        console.print(f"error: {exc.code}{field}: {exc.detail}", markup=False,
                      highlight=False)
        sys.exit(2)

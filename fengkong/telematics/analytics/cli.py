"""`fengkong riskareas import FILE --tenant C`: risk areas in bulk from CSV or GeoJSON, with a
progress bar; every row is checked before anything is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fengkong.bootstrap import bootstrap
from fengkong.core.config import load_settings
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal
from fengkong.telematics.analytics import geofence_service
from fengkong.telematics.analytics.permissions import GEOFENCES_MANAGE, GEOFENCES_READ
from fengkong.telematics.analytics.riskarea_files import read_rows

riskareas_app = typer.Typer(help="Risk areas (used-car markets, pawnshops, ports...).",
                            no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(riskareas_app, name="riskareas")


@riskareas_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="a .csv (name, category, latitude, longitude, "
                                              "radius_m[, dwell_s, id]) or a .geojson")],
    tenant: Annotated[str, typer.Option(help="the tenant's code")],
    replace: Annotated[bool, typer.Option(help="drop the tenant's risk areas first")] = False,
) -> None:
    """Import risk areas for a tenant."""
    from fengkong.core.migrate import current_revision, head_revision
    from fengkong.org import service

    container = bootstrap(load_settings())
    console = Console(stderr=True)
    if current_revision(container.engine) != head_revision():
        console.print("[red]error:[/red] the database schema is not current; run "
                      "`fengkong db upgrade` first")
        raise typer.Exit(2)
    with container.uow() as uow:
        t = service.tenant_by_code(uow, tenant)
        root = service.root_unit(uow, t.id)
        acting = Principal(tenant_id=t.id, actor_id="system", name="fengkong riskareas import",
                           org_unit_id=root.id, unit_path=root.path,
                           grants={GEOFENCES_MANAGE: DataScope.TENANT,
                                   GEOFENCES_READ: DataScope.TENANT})
        with console.status(f"reading {file.name}"):
            rows = list(read_rows(file.read_bytes(), file.name))
        with Progress(TextColumn("importing risk areas"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("import", total=len(rows))
            count = geofence_service.import_risk_areas(
                uow, acting, rows, source=file.name, replace=replace,
                progress=lambda n: progress.advance(task, n))
        uow.commit()
    typer.echo(f"imported {count} risk areas into {tenant}")

"""`regista catalog audit|lineage|expire-pending`: the Unity Catalog audit log and lineage for admins, and the
removal of versions never finalized, through the catalog domain's services on the server's database."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from regista.cli.database import BackendStoreUri, DataDir, admin_context, open_database

catalog_app = typer.Typer(help="Models in Unity Catalog: audit log, lineage, maintenance.", no_args_is_help=True,
                          rich_markup_mode=None)


def _lines(items: list[dict[str, object]]) -> None:
    for item in items:
        typer.echo(orjson.dumps(item).decode())


@catalog_app.command("audit")
def audit_log(
    principal: Annotated[str | None, typer.Option(help="Only this principal's entries.")] = None,
    full_name: Annotated[str | None, typer.Option(help="Only entries on this securable.")] = None,
    result: Annotated[str | None, typer.Option(help="ALLOWED or DENIED.")] = None,
    max_results: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 100,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Print audit entries (one JSON object per line, newest first)."""
    from regista.server.catalog.services import audit

    with admin_context(backend_store_uri, data_dir) as ctx:
        page = audit.search(ctx, principal, full_name, result, None, max_results, None)
    _lines(page.items)


@catalog_app.command("lineage")
def lineage(
    table: Annotated[str | None, typer.Option(help="The versions trained on this table / dataset.")] = None,
    model: Annotated[str | None, typer.Option(help="catalog.schema.model: the tables behind --version.")] = None,
    version: Annotated[int | None, typer.Option(help="The version of --model.")] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Lineage both ways: `--table NAME` lists versions, `--model NAME --version N` lists tables."""
    from regista.server.catalog.services import lineage as service
    from regista.server.catalog.services import uc_versions

    if (table is None) == (model is None) or (model is not None and version is None):
        raise typer.BadParameter("give either --table, or --model with --version")
    with admin_context(backend_store_uri, data_dir) as ctx:
        if table is not None:
            items = service.versions_trained_on(ctx, table)
        else:
            found, row = uc_versions.get_version(ctx, str(model), version)
            items = service.sources_of_version(ctx, found.id, row.version)
    _lines(items)


@catalog_app.command("expire-pending")
def expire_pending(
    older_than: Annotated[float, typer.Option(help="Remove versions still PENDING_REGISTRATION created more "
                                                   "than this many seconds ago.")],
    artifacts_destination: Annotated[str | None, typer.Option(help="The server's artifact store (default: "
                                                                   "artifacts/ in the data directory).")] = None,
    backend_store_uri: BackendStoreUri = None,
    data_dir: DataDir = None,
) -> None:
    """Remove Unity Catalog versions never finalized (the server also does this periodically)."""
    from regista.server.catalog.services import uc_versions
    from regista.server.storage.repository import ArtifactRepository

    settings, engine = open_database(backend_store_uri, data_dir, create=False)
    try:
        root = artifacts_destination or settings.artifact_root
        removed = uc_versions.expire_pending(engine, ArtifactRepository(root), older_than)
    finally:
        engine.dispose()
    typer.echo(f"removed {removed} version(s) never finalized")


@catalog_app.command("sweep-uploads")
def sweep_uploads(
    artifacts_destination: Annotated[str | None, typer.Option(help="The server's artifact store (default: "
                                                                   "artifacts/ in the data directory).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Remove abandoned multipart upload sessions now: expired ones, and unreadable ones untouched for
    REGISTA_UC_UPLOAD_TIMEOUT seconds (the server also does this periodically)."""
    from regista.server.catalog.services.upload_sweep import sweep_round
    from regista.server.settings import Settings
    from regista.server.storage.repository import ArtifactRepository

    settings = Settings.from_env(data_dir=data_dir)
    artifacts = ArtifactRepository(artifacts_destination or settings.artifact_root)
    removed, resume_after = 0, None
    while True:
        done = sweep_round(artifacts, settings.uc_upload_timeout_s, resume_after)
        removed += done.removed
        if done.resume_after is None:
            break
        resume_after = done.resume_after
    typer.echo(f"removed {removed} abandoned upload session(s)")

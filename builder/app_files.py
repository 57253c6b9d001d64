"""Apps as code: import a folder of YAML app files as versions, export the newest versions.

The stored version is the file's text byte for byte, so export -> import -> export round-trips
without noise in diffs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from builder import appspec
from builder.context import Toolcrib
from builder.errors import UserError
from builder.store import apps as app_records
from builder.store import datasources as ds_records


class AppFilesError(UserError):
    pass


def app_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise AppFilesError(f"{directory} is not a folder")
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))


def import_directory(tc: Toolcrib, directory: Path, *, publish: bool,
                     skip_missing_datasources: bool = False) -> Iterator[str]:
    """Validate every file first; import only when all are valid (nothing half-imported).

    ``skip_missing_datasources`` (the demo's choice): a file that is valid but names a data
    source this instance does not have is left out with a message saying which, instead of
    stopping the whole import.
    """
    files = app_files(directory)
    with tc.store.session() as session:
        known = ds_records.names(session)
    loaded = []
    skipped: list[str] = []
    problems: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            spec = appspec.load_app(text, str(path), widgets=tc.widgets,
                                    datasource_names=None if skip_missing_datasources else known)
        except appspec.AppSpecError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        missing = sorted({q.datasource for q in spec.queries.values()} - set(known))
        if missing:  # only when skipping: otherwise load_app has reported them
            names = ", ".join(repr(m) for m in missing)
            skipped.append(f"{spec.slug}: skipped {path.name}: it uses the data source"
                           f"{'s' if len(missing) > 1 else ''} {names}, not set up here")
            continue
        loaded.append((path, text, spec))
    if problems:
        raise AppFilesError("nothing imported:\n" + "\n".join(problems))
    yield from skipped
    with tc.store.session() as session:
        for path, text, spec in loaded:
            version = app_records.latest_version(session, spec.slug)
            if version is not None and version.source == text:
                message = f"{spec.slug}: unchanged (version {version.number})"
            else:
                version = app_records.save_version(session, slug=spec.slug, title=spec.title,
                                                   source=text, created_by="import")
                message = f"{spec.slug}: imported {path.name} as version {version.number}"
            if publish:
                app_records.publish(session, version)
                message += ", published"
            yield message


def export_directory(tc: Toolcrib, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with tc.store.session() as session:
        for app in app_records.list_apps(session):
            source = app_records.latest_source(session, app.slug)
            if source is None:
                continue
            path = directory / f"{app.slug.replace('-', '_')}.yaml"
            path.write_text(source, encoding="utf-8")
            written.append(path)
    return written

"""Write every not-yet-exported submission into a bundle, atomically.

The bundle is complete and in place before any submission is marked exported; a crash in between
only means those submissions go out again next time (the reviewer kit drops duplicates by id).
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from crypto.bundle import BundleWriter

from .store import Store, today


def export_bundle(store: Store, out: Path) -> int:
    """Write the bundle to ``out`` and return how many submissions it holds (0: none written)."""
    versions = store.pending_versions()
    if not versions:
        return 0
    surveys = {d: s.to_dict() for d, s in store.definitions(versions).items()}
    writer = BundleWriter(out, today().isoformat(), surveys)
    exported: list[str] = []
    try:
        # Closed even when a payload fails: its open cursor must not wait for the collector.
        with closing(store.pending_export()) as pending:
            for record in pending:
                parts = {p: store.payload(record.submission_id, p) for p in record.parts}
                writer.add(record, parts)
                exported.append(record.submission_id)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    store.mark_exported(exported)
    return len(exported)

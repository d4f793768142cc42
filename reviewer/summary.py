"""What a batch of opened submissions contributes to a ``glas decrypt`` folder: checked against
its version's rules, rendered (table rows, testimony pages) and counted for the report.

:func:`summarize` is pure: the decrypting worker processes run it on whole batches, and the
output (reviewer/output.py) only writes what it rendered and adds up its counts. A submission
that cannot be rendered costs only itself: it becomes a failure with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crypto.codename import check_follow_up_proof
from crypto.keys import ReviewerKey
from surveys.answers import check_document_asked
from surveys.followups import FOLLOW_UP_ID, MESSAGE
from surveys.model import Survey

from .columns import Plan
from .report import VersionStats
from .tables import RenderedRows, render_row
from .testimonies import Attachment, render_testimony


@dataclass
class Summary:
    """What a batch of opened submissions contributes to the output."""

    rows: dict[str, RenderedRows] = field(default_factory=dict)
    stats: dict[tuple[str, str], VersionStats] = field(default_factory=dict)
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    #: (version, submission id, received day, page HTML, excerpt)
    testimonies: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    unknown: list[Any] = field(default_factory=list)  # versions without a definition
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: Follow-ups whose proof opens with one of the run's keys (crypto/codename.py): written
    #: by the holder of the codename whose public key they name.
    proven: list[str] = field(default_factory=list)


def summarize(
    plans: dict[str, Plan],
    opened: list[Any],
    files: dict[str, dict[str, str]] | None = None,
    attachments: dict[str, list[Attachment]] | None = None,
    keys: tuple[ReviewerKey, ...] = (),
) -> Summary:
    """Check, render and count a batch of opened submissions (safe to run in a worker, which
    inherits ``keys`` by fork: they check follow-ups' proofs and are never sent anywhere).

    A submission that cannot be rendered becomes one entry of ``failures``; the others go on.
    """
    summary = Summary()
    for item in opened:
        record = item.record
        plan = plans.get(record.version)
        if plan is None or plan.survey is None:
            summary.unknown.append(item)
            continue
        try:
            _summarize_one(summary, plan, plan.survey, item, files, attachments)
        except Exception as e:  # hostile content: it costs one submission, never the run
            summary.failures.append((record.submission_id, could_not(e)))
            continue
        if record.survey_id == FOLLOW_UP_ID and _proven(item.answers, keys):
            summary.proven.append(record.submission_id)
    return summary


def _proven(document: dict[str, Any], keys: tuple[ReviewerKey, ...]) -> bool:
    """Whether a follow-up's proof opens, for one of ``keys``, with the key it names."""
    answers = document.get("answers")
    message = answers.get(MESSAGE) if isinstance(answers, dict) else None
    login, key = document.get("reply_login"), document.get("reply_key")
    if not (isinstance(message, str) and isinstance(login, str) and isinstance(key, str)):
        return False
    proof = document.get("reply_proof")
    return any(check_follow_up_proof(message, login, key, proof, k) for k in keys)


def _summarize_one(
    summary: Summary,
    plan: Plan,
    survey: Survey,
    item: Any,
    files: dict[str, dict[str, str]] | None,
    attachments: dict[str, list[Attachment]] | None,
) -> None:
    """Render everything of one submission first; only then add it, so a failure adds nothing."""
    record, document = item.record, item.answers  # its shape was checked when it was opened
    problems, asked = check_document_asked(survey, document)
    relative = (files or {}).get(record.submission_id, {})
    listed = (attachments or {}).get(record.submission_id, [])
    row = render_row(
        plan,
        record.submission_id,
        record.received,
        record.version,
        document,
        relative,
    )
    page = None
    if survey.kind == "testimony":
        page = render_testimony(
            plan, record.version, record.submission_id, record.received, document, listed
        )
    key = (record.survey_id, record.version)
    if key not in summary.stats:
        summary.stats[key] = VersionStats(record.survey_id, record.version, plan)
    # Counting reads only what the schema has checked (answers of the right types): it is the
    # last step, after everything that could fail on unusual content.
    summary.stats[key].add(
        record.submission_id, record.received, document.get("answers") or {}, asked, listed
    )
    if problems:
        summary.violations.append((record.submission_id, problems))
    summary.rows.setdefault(record.version, RenderedRows()).add(*row, shared=plan.shared_index)
    if page is not None:
        summary.testimonies.append((record.version, record.submission_id, record.received, *page))


def could_not(error: Exception) -> str:
    return f"It could not be written out ({type(error).__name__}); its content is unusual."

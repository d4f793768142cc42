"""Writing back: a respondent's follow-up under her codename, sealed like any submission.

The page sends the message with the codename (without JavaScript) or with the login id and
public key the browser derived from it (with JavaScript: the codename stays in the browser).
The server seals the message, the login id and the key to the reviewers of the built-in
follow-up survey and keeps the ciphertext, the day and a size bucket, like any submission:
nothing it stores says which testimony or reply box the follow-up belongs to. Only a reviewer
sees that its login id matches a testimony's (surveys/followups.py).
"""

from __future__ import annotations

from crypto.bundle import SubmissionRecord
from crypto.codename import CodenameKeys, follow_up_proof
from crypto.envelope import Binding, Sealer, new_submission_id, size_bucket
from surveys.answers import answers_document, validate_answers
from surveys.followups import FOLLOW_UP_ID, MESSAGE, follow_up_survey
from surveys.messages import N_, Message, SurveyText
from surveys.schema import is_proof

from ..errors import StorageError
from ..storage import Store, today


class FollowUpRefused(StorageError):
    """The message cannot be sent (empty, too long, or no reviewer to seal it to); ``reason``
    is shown to the respondent in her language (portal.i18n.translate)."""

    def __init__(self, reason: Message | SurveyText) -> None:
        super().__init__(str(reason))
        self.reason = reason


def send_follow_up(
    store: Store,
    message: str,
    reply: dict[str, str],
    keys: CodenameKeys | None = None,
    proof: dict[str, str] | None = None,
    language: str = "",
) -> None:
    """Seal and store one follow-up; ``reply`` holds ``reply_key`` and ``reply_login``. Its
    proof of the codename (crypto/codename.py) is made here from ``keys`` (without JavaScript:
    the one request that holds the typed codename) or comes made by the browser (``proof``);
    only the reviewers can check it, against the testimony's key."""
    survey = follow_up_survey()
    validated = validate_answers(survey, {MESSAGE: [message]})
    if not validated.ok:
        raise FollowUpRefused(validated.errors[MESSAGE])
    if proof is not None and not is_proof(proof):
        raise FollowUpRefused(Message(N_("Sending did not work. Please try again.")))
    if store.is_closed(FOLLOW_UP_ID):
        raise FollowUpRefused(Message(N_("Writing back is switched off on this portal.")))
    recipients = store.recipients(FOLLOW_UP_ID)
    if not recipients:
        raise FollowUpRefused(Message(N_("No reviewer can read follow-ups yet.")))
    version = survey.digest()
    published = store.published(FOLLOW_UP_ID)
    if published is None or published.version != version:
        store.import_survey(survey, publish=True)
    binding = Binding(FOLLOW_UP_ID, version, new_submission_id())
    sealer = Sealer(binding, recipients)
    document = answers_document(FOLLOW_UP_ID, version, validated, language)
    document.update(reply)
    if keys is not None:
        proof = follow_up_proof(validated.answers[MESSAGE], keys, recipients)
    if proof is not None:
        document["reply_proof"] = proof
    answers = sealer.seal_answers(document)
    store.save_submission(
        SubmissionRecord(
            submission_id=binding.submission_id,
            survey_id=FOLLOW_UP_ID,
            version=version,
            received=today().isoformat(),
            size_bucket=size_bucket(len(answers)),
            slots=sealer.slots,
            answers=answers,
            parts=[],
        ),
        None,
    )

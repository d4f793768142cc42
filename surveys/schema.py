"""The shape every decrypted answers document must have before the reviewer's tools touch it.

Anyone can submit, and a browser may seal any document it likes: authentic ciphertext says
nothing about what is inside. So before a document is rendered, counted or used to name a file,
it is checked against a strict schema derived from its survey version: known keys only, the
right type for every question, finite numbers, well-formed attachment entries. A document that
fails is a *failed submission* with a reason; it never reaches a table, a page or the disk.

Rule-level problems (a choice not offered, an answer to a skipped question, a constraint) are a
different matter: the document is well-formed, and :func:`surveys.answers.check_document` lists
them for the reviewer beside the row.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .answers import ANSWERS_FORMAT, FORBIDDEN_CHARACTERS
from .model import MAX_INSTANCES, MAX_REPEATS, MONTH, Group, Survey

DOCUMENT_KEYS = frozenset(
    {
        "format", "survey", "version", "answers", "files", "language",
        "reply_key", "reply_login", "reply_proof",
    }
)  # fmt: skip
#: The language the respondent's pages were in (a BCP 47 tag, or a survey's private x- code):
#: the reviewer answers her in it.
LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}")
#: A codename's public key (base64 of 32 bytes) and login id (64 hex digits).
REPLY_KEY = re.compile(r"[A-Za-z0-9+/]{43}=")
REPLY_LOGIN = re.compile(r"[0-9a-f]{64}")
#: A follow-up's proof (crypto/codename.py follow_up_proof): per reviewer key id (BLAKE2b-160
#: in hex), the base64 of nonce, MAC and digest (24 + 16 + 32 bytes).
PROOF_KEY_ID = re.compile(r"[0-9a-f]{40}")
PROOF_BOX = re.compile(r"[A-Za-z0-9+/]{96}")
MAX_PROOFS = 50
FILE_KEYS = frozenset({"question", "part", "name", "type", "size"})
#: What an unknown survey version may use as an answer key: it becomes a column header.
ANSWER_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,119}$")
#: An attachment's question: its name, and in a repeat the instance's numbers ("photo#2").
FILE_QUESTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,119}(?:#[1-9][0-9]{0,2}){0,8}$")
MAX_ANSWERS = 2_000
MAX_TEXT = 100_000
MAX_CHOICES = 1_000
MAX_FILES = 100
MAX_PART = 999
MAX_FILE_NAME = 1_000
MAX_TYPE = 255
MAX_FILE_SIZE = 2**50
MAX_INTEGER = 10**18


class DocumentShapeError(ValueError):
    """Raised when a decrypted answers document breaks the schema of its survey version."""


def document_problem(
    survey: Survey | None, survey_id: str, version: str, document: Any
) -> str | None:
    """Say what is wrong with a decrypted document's shape, or None when it may be used.

    ``survey`` is the trusted definition of the record's version, or None when the bundle
    does not describe that version (then only the generic shape is checked).
    """
    try:
        check_document_shape(survey, survey_id, version, document)
    except DocumentShapeError as e:
        return str(e)
    return None


def check_document_shape(
    survey: Survey | None, survey_id: str, version: str, document: Any
) -> None:
    """Raise :class:`DocumentShapeError` unless ``document`` has the shape of its version."""
    if not isinstance(document, dict):
        raise DocumentShapeError("The answers document is not an object.")
    unknown = sorted(set(document) - DOCUMENT_KEYS)
    if unknown:
        raise DocumentShapeError(f"The answers document has an unknown field {_quote(unknown[0])}.")
    if document.get("format", ANSWERS_FORMAT) != ANSWERS_FORMAT:
        raise DocumentShapeError("The answers document is of an unknown format.")
    if document.get("survey", survey_id) != survey_id:
        raise DocumentShapeError("The answers document names another survey than its record.")
    if document.get("version", version) != version:
        raise DocumentShapeError("The answers document names another version than its record.")
    language = document.get("language")
    if "language" in document and (
        not isinstance(language, str) or not LANGUAGE.fullmatch(language)
    ):  # absent when unknown (older documents), never null or empty
        raise DocumentShapeError("The answers document's language is malformed.")
    reply_key = document.get("reply_key")
    if reply_key is not None and (
        not isinstance(reply_key, str) or not REPLY_KEY.fullmatch(reply_key)
    ):
        raise DocumentShapeError("The answers document's reply key is malformed.")
    reply_login = document.get("reply_login")
    if reply_login is not None and (
        reply_key is None
        or not isinstance(reply_login, str)
        or not REPLY_LOGIN.fullmatch(reply_login)
    ):
        raise DocumentShapeError("The answers document's reply login id is malformed.")
    proof = document.get("reply_proof")
    if proof is not None and not is_proof(proof):
        raise DocumentShapeError("The answers document's reply proof is malformed.")
    if proof is not None and reply_login is None:
        raise DocumentShapeError("The answers document has a reply proof but no login id.")
    _check_answers(survey, document.get("answers", {}))
    _check_files(survey, document.get("files", []))


def is_proof(proof: Any) -> bool:
    """Whether ``proof`` has the shape of a follow-up's reply proof (one box per reviewer)."""
    return (
        isinstance(proof, dict)
        and 0 < len(proof) <= MAX_PROOFS
        and all(
            isinstance(k, str)
            and PROOF_KEY_ID.fullmatch(k) is not None
            and isinstance(v, str)
            and PROOF_BOX.fullmatch(v) is not None
            for k, v in proof.items()
        )
    )


def _check_answers(survey: Survey | None, answers: Any) -> None:
    if not isinstance(answers, dict):
        raise DocumentShapeError("The answers are not an object of question names.")
    if len(answers) > MAX_ANSWERS:
        raise DocumentShapeError(f"The document holds more than {MAX_ANSWERS} answers.")
    known = survey.by_name if survey is not None else {}
    counted = [0]
    for name, value in answers.items():
        question = known.get(name)  # a question's own name was checked when it was loaded
        if question is None and (not isinstance(name, str) or not ANSWER_KEY.match(name)):
            raise DocumentShapeError(f"An answer has an invalid question name {_quote(name)}.")
        if survey is None:
            _check_any_value(name, value)
        elif name in survey.repeats and name in survey.level_blocks[""]:
            _check_instances(survey, name, value, counted)
        elif (
            question is None
            or not question.answerable
            or question.type == "file"
            or name in survey.repeat_of
        ):
            raise DocumentShapeError(f"{_quote(name)} is not a question of this survey version.")
        else:
            _check_value(name, question.type, value)


def _check_instances(survey: Survey, name: str, value: Any, counted: list[int]) -> None:
    """A repeat: a list of at most MAX_REPEATS objects of its own questions' answers, and no
    more than MAX_INSTANCES instances of all repeats together (``counted`` adds them up)."""
    if (
        not isinstance(value, list)
        or len(value) > MAX_REPEATS
        or not all(isinstance(i, dict) for i in value)
    ):
        raise DocumentShapeError(
            f"{_quote(name)} holds no list of at most {MAX_REPEATS} instances."
        )
    counted[0] += len(value)
    if counted[0] > MAX_INSTANCES:
        raise DocumentShapeError(
            f"The repeats hold more than {MAX_INSTANCES} instances in all (at {_quote(name)})."
        )
    blocks = survey.level_blocks[name]
    for instance in value:
        for key, answer in instance.items():
            block = blocks.get(key)
            if isinstance(block, Group):  # a repeat inside this one
                _check_instances(survey, key, answer, counted)
            elif block is None or not block.answerable or block.type == "file":
                raise DocumentShapeError(
                    f"{_quote(key)} is not a question of repeat {_quote(name)}."
                )
            else:
                _check_value(key, block.type, answer)


def _check_value(name: str, kind: str, value: Any) -> None:
    if kind == "integer":
        if type(value) is not int or abs(value) > MAX_INTEGER:
            raise DocumentShapeError(f"{_quote(name)} holds no whole number.")
    elif kind == "select_multiple":
        if (
            not isinstance(value, list)
            or len(value) > MAX_CHOICES
            or not all(isinstance(v, str) and _clean(v, 64) for v in value)
        ):
            raise DocumentShapeError(f"{_quote(name)} holds no list of choices.")
    elif kind == "month":
        # Only the month is ever kept: a day here never reaches a table or report.
        if not isinstance(value, str) or MONTH.fullmatch(value) is None:
            raise DocumentShapeError(f"{_quote(name)} holds no month (YYYY-MM).")
    elif not isinstance(value, str) or not _clean(value, MAX_TEXT):
        raise DocumentShapeError(f"{_quote(name)} holds no text of the question's kind.")


def _check_any_value(name: str, value: Any) -> None:
    """Without a definition: text, whole or finite numbers, or a list of texts."""
    if isinstance(value, str) and _clean(value, MAX_TEXT):
        return
    if type(value) is int and abs(value) <= MAX_INTEGER:
        return
    if type(value) is float and math.isfinite(value):
        return
    if (
        isinstance(value, list)
        and len(value) <= MAX_CHOICES
        and all(isinstance(v, str) and _clean(v, MAX_TEXT) for v in value)
    ):
        return
    if (  # a repeat's instances
        isinstance(value, list)
        and len(value) <= MAX_REPEATS
        and all(isinstance(i, dict) for i in value)
    ):
        for instance in value:
            for key, answer in instance.items():
                if not isinstance(key, str) or not ANSWER_KEY.match(key):
                    raise DocumentShapeError(f"{_quote(name)} holds an invalid question name.")
                if isinstance(answer, list | dict):
                    raise DocumentShapeError(f"{_quote(name)} holds a repeat within a repeat.")
                _check_any_value(key, answer)
        return
    raise DocumentShapeError(f"{_quote(name)} holds a value of no answer's kind.")


def _check_files(survey: Survey | None, files: Any) -> None:
    if not isinstance(files, list) or len(files) > MAX_FILES:
        raise DocumentShapeError("The attachments are not a list of at most 100 entries.")
    file_questions = (
        {q.name: q for q in survey.questions if q.type == "file"} if survey is not None else None
    )
    parts: set[int] = set()
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != FILE_KEYS:
            raise DocumentShapeError("An attachment entry is malformed.")
        question, part = entry["question"], entry["part"]
        if not isinstance(question, str) or not FILE_QUESTION.match(question):
            raise DocumentShapeError("An attachment names an invalid question.")
        name, *numbers = question.split("#")
        if file_questions is not None and (
            name not in file_questions or len(numbers) != len(survey.repeat_chain[name])  # type: ignore[union-attr]
        ):
            raise DocumentShapeError(f"{_quote(question)} is not a file question of this version.")
        if type(part) is not int or not 0 <= part <= MAX_PART or part in parts:
            raise DocumentShapeError("An attachment has an invalid or repeated part number.")
        parts.add(part)
        if not isinstance(entry["name"], str) or not _clean(entry["name"], MAX_FILE_NAME):
            raise DocumentShapeError("An attachment has an invalid file name.")
        if not isinstance(entry["type"], str) or not _clean(entry["type"], MAX_TYPE):
            raise DocumentShapeError("An attachment has an invalid type.")
        size = entry["size"]
        if type(size) is not int or not 0 <= size <= MAX_FILE_SIZE:
            raise DocumentShapeError("An attachment has an invalid size.")


def _clean(text: str, limit: int) -> bool:
    return len(text) <= limit and not FORBIDDEN_CHARACTERS.search(text)


def _quote(value: Any) -> str:
    """A hostile name, made safe to print: escaped, and cut short."""
    shown = ascii(value) if isinstance(value, str) else type(value).__name__
    return shown[:40] + ("…" if len(shown) > 40 else "")

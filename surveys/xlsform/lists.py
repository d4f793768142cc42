"""Choice lists: from the choices sheet, from the external_choices sheet, or from a file the
organizer attaches (Kobo's "media": ``select_one_from_file cities.csv``).

A list in a file arrives with the form or later: without it the question waits (the survey
imports as a draft that names the file and cannot be published); with it, the file's choices
are copied into the definition, so respondents and reviewers never need the file. CSV is read
as ODK reads it (``name``, ``label``, ``label::Language``, any other column a choice_filter can
read), XML as ``<root><item><name/><label/>…</item></root>`` and GeoJSON as features whose
``id`` (or ``properties.name``) is the name and ``properties.title`` (or ``label``) the label.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree

from ..document import Located, LocatedList
from .limits import MAX_ATTACHMENT_BYTES, MAX_CELL_LENGTH, MAX_FILE_CHOICES
from .notes import Notes, Where
from .texts import Texts

FILE_SUFFIXES = (".csv", ".xml", ".geojson")
#: Keys of a choice that are not a column a filter could read.
CHOICE_META = {"name", "label", "media", "image", "audio", "video", "big-image", "list_name"}


class AttachmentError(ValueError):
    """The attached file cannot be read as a list of choices (the message says why)."""


@dataclass(frozen=True)
class RawChoice:
    name: str
    label: Any
    columns: dict[str, str]


def is_file_list(itemset: str) -> bool:
    return itemset.lower().endswith(FILE_SUFFIXES)


class Lists:
    def __init__(
        self,
        form: dict[str, Any],
        external: list[dict[str, Any]],
        attachments: dict[str, bytes],
        texts: Texts,
        notes: Notes,
    ) -> None:
        self.sheet: dict[str, list[RawChoice]] = {
            str(name): [_raw(c) for c in items if isinstance(c, dict)]
            for name, items in (form.get("choices") or {}).items()
        }
        self.external: dict[str, list[RawChoice]] = {}
        for row in external:
            if row.get("list_name") and row.get("name"):
                self.external.setdefault(str(row["list_name"]), []).append(_raw(row))
        self.attachments = attachments
        self.texts = texts
        self.notes = notes
        self.used_files: set[str] = set()
        self.missing: list[str] = []

    def choices(
        self, list_name: str, where: Where, filter_columns: set[str], *, external: bool = False
    ) -> LocatedList | None:
        """The list as Glas choices; None when it waits for a file (then it is in ``missing``)."""
        if is_file_list(list_name):
            raw = self._from_file(list_name, where)
            if raw is None:
                return None
        elif external and list_name in self.external:
            raw = self.external[list_name]
        else:
            raw = self.sheet.get(list_name, [])
        listed = LocatedList()
        listed.line = where.row
        for choice in raw:
            item = Located(name=choice.name)
            item.line, item.key_lines = where.row, {"name": where.row}
            label = self.texts.text(choice.label, Where("choices", 0, "label")) or choice.name
            item["label"], item.key_lines["label"] = label, where.row
            # Every column a filter reads, on every choice: one without it reads '' (as ODK).
            kept = {k: choice.columns.get(k, "") for k in sorted(filter_columns)}
            for column in sorted(set(choice.columns) - filter_columns):
                self.notes.warn(
                    Where("choices", 0, column),
                    "column ignored: not used by Glas",
                    once=f"choices column {column}",
                )
            if kept:
                item["columns"], item.key_lines["columns"] = kept, where.row
            listed.append(item)
        return listed

    def _from_file(self, file_name: str, where: Where) -> list[RawChoice] | None:
        data = self.attachments.get(file_name)
        if data is None:
            if file_name not in self.missing:
                self.missing.append(file_name)
            return None
        self.used_files.add(file_name)
        try:
            return read_choice_file(file_name, data)
        except AttachmentError as e:
            self.notes.problem(where, f"the attached {file_name}: {e}")
            return []


def _raw(row: dict[str, Any]) -> RawChoice:
    columns = {
        str(k): _cell(v)
        for k, v in row.items()
        if str(k) not in CHOICE_META and not str(k).startswith("label::") and _cell(v)
    }
    media = row.get("media")
    if isinstance(media, dict):  # pyxform's {"image": …}: said as set aside, by its column
        columns.update({str(kind): "media" for kind in media})
    label: Any = row.get("label")
    translated = {str(k)[7:]: v for k, v in row.items() if str(k).startswith("label::")}
    if translated:
        label = {**({"default": label} if label else {}), **translated}
    return RawChoice(_cell(row.get("name")), label, columns)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_choice_file(file_name: str, data: bytes) -> list[RawChoice]:
    """A choice file's rows, bounded in size and count; AttachmentError when it is none."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentError(f"larger than {MAX_ATTACHMENT_BYTES // 1024 // 1024} MiB")
    suffix = file_name.lower().rsplit(".", 1)[-1]
    if suffix == "csv":
        rows = _csv_rows(data)
    elif suffix == "xml":
        rows = _xml_rows(data)
    else:
        rows = _geojson_rows(data)
    found = []
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_FILE_CHOICES:
            raise AttachmentError(f"more than {MAX_FILE_CHOICES:,} choices")
        if any(len(str(v)) > MAX_CELL_LENGTH for v in row.values()):
            raise AttachmentError(f"row {number}: a cell longer than {MAX_CELL_LENGTH:,}")
        choice = _raw(row)
        if choice.name:
            found.append(choice)
    if not found:
        raise AttachmentError("no choice in it (a 'name' column with values)")
    return found


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AttachmentError("not UTF-8 text") from e


def _csv_rows(data: bytes) -> list[dict[str, Any]]:
    text = _text(data)
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    try:
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        if not reader.fieldnames or "name" not in [f.strip() for f in reader.fieldnames]:
            raise AttachmentError("its first row has no 'name' column")
        return [{str(k).strip(): v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as e:
        raise AttachmentError(f"not a CSV file ({e})") from e


def _xml_rows(data: bytes) -> list[dict[str, Any]]:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except Exception as e:  # defusedxml's refusals and expat's errors alike
        raise AttachmentError(f"not an XML file Glas reads ({type(e).__name__})") from e
    return [{child.tag: (child.text or "") for child in item} for item in root.iter("item")]


def _geojson_rows(data: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(_text(data))
        features = document["features"]
        rows = []
        for feature in features:
            properties = feature.get("properties") or {}
            name = feature.get("id", properties.get("id", properties.get("name", "")))
            label = properties.get("title", properties.get("label", name))
            extra = {k: v for k, v in properties.items() if isinstance(v, str | int | float)}
            rows.append({**extra, "name": name, "label": label})
        return rows
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise AttachmentError("not a GeoJSON FeatureCollection") from e

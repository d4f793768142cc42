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
from typing import IO, cast

from flask import Request
from werkzeug.exceptions import BadRequest

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


class SealingRequest(Request):
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


class MemoryUploadRequest(Request):
    """A request whose (small) file parts stay in memory: nothing is spooled to disk."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()

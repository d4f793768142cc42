"""Names and places for decrypted files on the reviewer's disk: readable, and never dangerous.

A file's name is the respondent's word and its bytes may be hostile, so the name Glas writes is
the sender's base name made harmless (no folders, no hidden or reserved names, at most
:data:`MAX_STEM_BYTES` bytes of UTF-8) plus an extension taken from the *content*: a JPEG is
``.jpg`` whatever it was called, and anything not recognised as media or PDF is ``.bin``, which no
desktop opens in a browser. Every path is resolved and must stay inside the output folder.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from surveys.filetypes import UNKNOWN_EXTENSION, extension_of, sniff

#: Most file systems allow 255 bytes a name; leave room for " (99)" and the extension.
MAX_STEM_BYTES = 120
UNSAFE = re.compile(r"[^\w\- ()]+")
RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)$", re.IGNORECASE)
DEFAULT_STEM = "attachment"


class UnsafePath(ValueError):
    """Raised when a path built from bundle content would leave the output folder."""


def safe_stem(name: str) -> str:
    """The sender's file name without folders or extension, made safe and short."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    declared = extension_of(base)
    stem = base[: -len(declared) - 1] if declared else base
    cleaned = " ".join(UNSAFE.sub("_", stem).split()).strip(" _") or DEFAULT_STEM
    if RESERVED.match(cleaned):
        cleaned = "_" + cleaned
    return _cut(cleaned, MAX_STEM_BYTES)


def file_name(declared_name: str, head: bytes) -> str:
    """The name to write a decrypted file under: safe stem + the extension of its content."""
    kind = sniff(head)
    declared = UNSAFE.sub("", extension_of(declared_name))[:10]
    stem = safe_stem(declared_name)
    if kind is None:
        # Keep what it claimed to be visible, but never as an extension a desktop acts on.
        return f"{stem}_{declared}.{UNKNOWN_EXTENSION}" if declared else f"{stem}.bin"
    extension = declared if declared in kind.extensions else kind.extension
    return f"{stem}.{extension}"


def unique_in(folder: Path, name: str) -> Path:
    """``folder / name``, or ``stem (2).ext`` and so on when a file of that name (in any case)
    exists already: two attachments never overwrite each other."""
    taken = {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()
    stem, dot, extension = name.rpartition(".")
    candidate, n = name, 2
    while candidate.lower() in taken:
        candidate = f"{stem} ({n}){dot}{extension}"
        n += 1
    return folder / candidate


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved; raise :class:`UnsafePath` unless it lies within ``root``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UnsafePath("The path would lie outside the output folder.")
    return resolved


def _cut(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` bytes of UTF-8, never inside a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", "ignore").rstrip(" _") or DEFAULT_STEM

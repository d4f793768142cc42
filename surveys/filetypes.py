"""What a file *is*, read from its first bytes, never from the name or type a sender declared.

A respondent may be the attacker: ``photo_of_injury.html`` declared as ``image/jpeg`` must not
reach a reviewer's desktop as something a browser or viewer would run. So both sides sniff:
the no-JavaScript server accepts a file only when its content is of a kind the question allows,
and the reviewer's tools name every decrypted file with the extension of what it really holds.
Anything not recognised here as an image, audio, video or PDF is ``.bin`` — never html, svg,
xml, js or an office document with macros.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How many leading bytes sniffing needs (ISO media boxes name their brand at bytes 8 to 12).
HEAD_SIZE = 64
UNKNOWN_TYPE = "application/octet-stream"
UNKNOWN_EXTENSION = "bin"


@dataclass(frozen=True)
class Kind:
    """A recognised kind of content: its media type and the extensions it is known by."""

    mime: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


JPEG = Kind("image/jpeg", ("jpg", "jpeg", "jfif"))
PNG = Kind("image/png", ("png",))
GIF = Kind("image/gif", ("gif",))
WEBP = Kind("image/webp", ("webp",))
TIFF = Kind("image/tiff", ("tif", "tiff"))
BMP = Kind("image/bmp", ("bmp",))
HEIC = Kind("image/heic", ("heic", "heif", "hif"))
AVIF = Kind("image/avif", ("avif",))
PDF = Kind("application/pdf", ("pdf",))
MP4 = Kind("video/mp4", ("mp4", "m4v"))
QUICKTIME = Kind("video/quicktime", ("mov",))
THREE_GP = Kind("video/3gpp", ("3gp", "3g2"))
WEBM = Kind("video/webm", ("webm", "mkv"))
M4A = Kind("audio/mp4", ("m4a",))
AAC = Kind("audio/aac", ("aac",))
MP3 = Kind("audio/mpeg", ("mp3",))
OGG = Kind("audio/ogg", ("ogg", "oga", "opus"))
WAV = Kind("audio/wav", ("wav",))
FLAC = Kind("audio/flac", ("flac",))
AMR = Kind("audio/amr", ("amr",))

KINDS: tuple[Kind, ...] = (JPEG, PNG, GIF, WEBP, TIFF, BMP, HEIC, AVIF, PDF)
KINDS += (MP4, QUICKTIME, THREE_GP, WEBM, M4A, AAC, MP3, OGG, WAV, FLAC, AMR)
#: Extensions whose content we can tell: for these, the name must agree with the bytes.
KNOWN_EXTENSIONS = frozenset(ext for kind in KINDS for ext in kind.extensions)

# ISO base media files ("ftyp" box): the major brand says which kind.
_BRANDS = {
    b"heic": HEIC, b"heix": HEIC, b"heim": HEIC, b"heis": HEIC, b"hevc": HEIC, b"hevx": HEIC,
    b"mif1": HEIC, b"msf1": HEIC, b"avif": AVIF, b"avis": AVIF,
    b"qt  ": QUICKTIME, b"3gp4": THREE_GP, b"3gp5": THREE_GP, b"3gp6": THREE_GP, b"3g2a": THREE_GP,
    b"M4A ": M4A, b"M4B ": M4A, b"F4A ": M4A,
}  # fmt: skip


def sniff(head: bytes) -> Kind | None:
    """The kind of content that starts with ``head`` (at least :data:`HEAD_SIZE` bytes when
    the file is that long), or None when it is nothing Glas recognises."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return WEBP if head[8:12] == b"WEBP" else WAV
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[:2] == b"BM" and len(head) >= 26 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return BMP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp":
        return _BRANDS.get(head[8:12], MP4)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"ID3"):
        return MP3
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MPEG audio frame
        return MP3 if head[1] & 0x06 else AAC  # layer bits 00: an ADTS (AAC) frame
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"#!AMR"):
        return AMR
    return None


def by_mime(mime: str) -> Kind | None:
    """The kind a (declared) media type names, or None."""
    wanted = mime.strip().lower()
    return next((k for k in KINDS if wanted == k.mime or wanted in _ALIASES.get(k.mime, ())), None)


def extension_of(name: str) -> str:
    """The lower-case extension of a file name, without the dot ('' when it has none)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].lower() if "." in base.strip(".") else ""


def accepts(patterns: tuple[str, ...], name: str, kind: Kind | None) -> bool:
    """True when a question that accepts ``patterns`` may take this file.

    The content decides: ``image/*`` or ``image/png`` match the sniffed kind, and ``.pdf`` matches
    a name ending in .pdf only if the bytes are a PDF too. An extension whose content we cannot
    tell (``.docx``) is matched by name alone; the reviewer still receives it as ``.bin``.
    """
    mime = kind.mime if kind else UNKNOWN_TYPE
    extension = extension_of(name)
    for pattern in (p.strip().lower() for p in patterns):
        if pattern.startswith("."):
            wanted = pattern[1:]
            if extension == wanted and (
                (kind is not None and wanted in kind.extensions)
                or (kind is None and wanted not in KNOWN_EXTENSIONS)
            ):
                return True
        elif pattern.endswith("/*"):
            if kind is not None and mime.startswith(pattern[:-1]):
                return True
        elif pattern == mime or (kind is not None and pattern in _ALIASES.get(kind.mime, ())):
            return True
    return False


# Media types that real forms write for the same content.
_ALIASES = {
    "image/jpeg": ("image/jpg", "image/pjpeg"),
    "image/heic": ("image/heif", "image/heic-sequence", "image/heif-sequence"),
    "audio/wav": ("audio/x-wav", "audio/wave"),
    "audio/mpeg": ("audio/mp3",),
    "audio/mp4": ("audio/x-m4a", "audio/m4a"),
    "audio/aac": ("audio/x-aac", "audio/aacp"),
    "video/webm": ("audio/webm", "video/x-matroska"),
    "audio/ogg": ("audio/opus", "application/ogg"),
}

"""Attachments on the reviewer's machine: find identifying metadata and make scrubbed copies.

A phone photo can carry where and when it was taken and which device took it. Before a photo
leaves the reviewers (to a lawyer, a report, the press), they use the scrubbed copy: its pixels
re-encoded with no EXIF, XMP or text chunks. The original stays untouched beside it as evidence.

Image decoders are large C libraries and every image is hostile input, so decoding happens in a
cage: a child process (``python -m reviewer.media``) with limits on memory, CPU time and file size.
Whatever goes wrong in there — an exception, a decoder crash, a memory or time bomb — costs only
that image: it is marked "not scrubbed — check by hand", the child is replaced if it died, and the
run goes on. The parent never decodes an image itself.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from surveys import filetypes

#: Refuse to decode images larger than this: 50 megapixels covers phone cameras' default modes.
MAX_PIXELS = 50_000_000
#: Address space the child may use (decoded pixels, a converted copy and the encoder's buffers).
MEMORY_LIMIT = 1536 * 1024 * 1024
CPU_SECONDS = 20
WALL_SECONDS = 30.0
JPEG_QUALITY = 92
NOT_SCRUBBED = "not scrubbed — check by hand"
#: What each decodable kind is saved as once scrubbed (pixels only; first frame of animations).
SCRUBBED_AS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WEBP",
    "GIF": "PNG",
    "TIFF": "PNG",
    "BMP": "PNG",
    "HEIF": "JPEG",
    "AVIF": "JPEG",
}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
GPS_IFD = 0x8825
PLAIN_INFO = frozenset(
    {
        "exif", "xmp", "XML:com.adobe.xmp", "dpi", "jfif", "jfif_version", "jfif_unit",
        "jfif_density", "icc_profile", "progressive", "progression", "adobe", "adobe_transform",
        "gamma", "transparency", "loop", "duration", "background", "compression", "version",
        "extension", "interlace", "aspect", "srgb", "chromaticity", "bit_depth", "primary",
    }
)  # fmt: skip


@dataclass(frozen=True)
class MediaReport:
    """What a file carried and what was done about it."""

    scrubbed: Path | None
    has_location: bool
    metadata: tuple[str, ...]
    note: str = ""


class Scrubber:
    """The parent side of the cage: hands images to a child and reads back what it found."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Scrubber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            for pipe in (self._child.stdin, self._child.stdout):
                if pipe is not None:
                    pipe.close()
            self._child = None

    def inspect_and_scrub(self, original: Path, folder: Path, stem: str) -> MediaReport:
        """Write a metadata-free copy of an image into ``folder`` as ``stem``.<ext>; say what
        the original carried. Anything but a recognised image is left alone, and said so."""
        with open(original, "rb") as f:
            kind = filetypes.sniff(f.read(filetypes.HEAD_SIZE))
        if kind is None or not kind.is_image:
            what = "this kind of file" if kind is None else kind.mime
            return MediaReport(None, False, (), f"{NOT_SCRUBBED}: {what} may carry metadata")
        folder.mkdir(parents=True, exist_ok=True)
        answer = self._ask({"original": str(original), "folder": str(folder), "stem": stem})
        if answer is None or not answer.get("ok"):
            reason = answer.get("note") if answer else "the image could not be read safely"
            for leftover in folder.glob(f"{_glob_safe(stem)}.*"):
                leftover.unlink(missing_ok=True)
            return MediaReport(None, False, (), f"{NOT_SCRUBBED} ({reason})")
        scrubbed = folder / str(answer["name"])
        return MediaReport(
            scrubbed, bool(answer["location"]), tuple(answer["metadata"]), str(answer["note"])
        )

    def _ask(self, request: dict[str, str]) -> dict[str, Any] | None:
        """One request to the child; None when it died or ran out of time (then it is gone)."""
        child = self._start()
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            child.stdin.flush()
            line = _read_line(child.stdout, WALL_SECONDS)
            answer = json.loads(line) if line else None
        except (OSError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            self.close()  # dead, stuck or babbling: the next image gets a fresh child
            return None
        return answer

    def _start(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "reviewer.media"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        return self._child


def _limit_self() -> None:
    """Set the cage's limits; the child calls it first, before it reads any image."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file full of decoded pixels


def _read_line(source: IO[bytes], seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    fd = source.fileno()
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b""
        chunk = os.read(fd, 65536)
        if not chunk:
            return b""
        data += chunk
    return data


def _glob_safe(stem: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in stem)


# ---------------------------------------------------------------------------------------------
# The child: reads one JSON request a line, decodes with Pillow, answers one JSON line.


def _serve() -> None:
    """The child's loop; any exception is one image's failure, never the child's end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when it ends
    _limit_self()
    from PIL import Image

    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # without it HEIC is reported "not scrubbed — check by hand"
        pass
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            answer = _scrub(Path(request["original"]), Path(request["folder"]), request["stem"])
        except MemoryError:
            sys.exit(3)  # the parent sees no answer and starts a fresh child
        except Exception as e:  # a decoder's error on hostile bytes is that image's alone
            answer = {"ok": False, "note": _describe(e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _describe(error: BaseException) -> str:
    from PIL import Image

    if isinstance(error, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return f"more than {MAX_PIXELS // 1_000_000} megapixels"
    return f"the image is damaged or of an unusual kind ({type(error).__name__})"


def _scrub(original: Path, folder: Path, stem: str) -> dict[str, Any]:
    from PIL import Image, ImageOps

    with Image.open(original) as image:
        image_format = image.format or ""
        if image_format not in SCRUBBED_AS:
            return {"ok": False, "note": f"{image_format or 'this'} images are not decoded"}
        found, location = _metadata(image)
        frames = getattr(image, "n_frames", 1)
        clean = ImageOps.exif_transpose(image)  # keep the picture upright without EXIF
        clean = clean.copy()
        clean.info = {}
        target_format = SCRUBBED_AS[image_format]
        name = f"{stem}.{EXTENSION[target_format]}"
        _save_clean(clean, folder / name, target_format)
    note = "first frame only" if frames > 1 else ""
    return {"ok": True, "name": name, "location": location, "metadata": found, "note": note}


def _metadata(image: Any) -> tuple[list[str], bool]:
    found: list[str] = []
    exif = image.getexif()
    location = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    xmp_bytes = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else bytes(xmp)
    location = location or b"GPSLatitude" in xmp_bytes or b"GPSLongitude" in xmp_bytes
    if exif:
        found.append("EXIF")
    if location:
        found.append("GPS location")
    if xmp_bytes:
        found.append("XMP")
    if any(k not in PLAIN_INFO for k in image.info):
        found.append("text fields")
    return found, location


def _save_clean(image: Any, target: Path, image_format: str) -> None:
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(target, "JPEG", quality=JPEG_QUALITY, exif=b"")
    elif image_format == "WEBP":
        image.save(target, "WEBP", quality=JPEG_QUALITY, exif=b"", xmp=b"")
    else:
        if image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(target, "PNG")


if __name__ == "__main__":
    _serve()

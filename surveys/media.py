"""Attachments on the reviewer's machine: find identifying metadata and make scrubbed copies.

A phone photo can carry where and when it was taken and which device took it. Before a photo
leaves the reviewers (to a lawyer, a report, the press), they use the scrubbed copy: its pixels
re-encoded with no EXIF, XMP or text chunks. The original stays untouched beside it as evidence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

GPS_IFD = 0x8825
SCRUBBABLE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "MPO": "JPEG"}
#: Refuse to decode images larger than this (a decompression bomb on the reviewer's laptop).
MAX_PIXELS = 100_000_000
JPEG_QUALITY = 92


@dataclass(frozen=True)
class MediaReport:
    """What a file carried and what was done about it."""

    scrubbed: bool
    has_location: bool
    metadata: tuple[str, ...]
    note: str = ""


def inspect_and_scrub(original: Path, scrubbed: Path) -> MediaReport:
    """Write a metadata-free copy of a JPEG/PNG/WebP to ``scrubbed``; report what it carried."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(original) as image:
                image_format = image.format or ""
                if image_format not in SCRUBBABLE_FORMATS:
                    return MediaReport(
                        False, False, (), f"{image_format or 'this'} format is not scrubbed"
                    )
                found, location = _metadata(image)
                clean = ImageOps.exif_transpose(image)  # keep the picture upright without EXIF
                clean = clean.copy()
                clean.info = {}
                _save_clean(clean, scrubbed, SCRUBBABLE_FORMATS[image_format])
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return MediaReport(False, False, (), "not an image Glas can scrub (listed as not scrubbed)")
    except OSError as e:
        return MediaReport(False, False, (), f"could not be read as an image: {e}")
    return MediaReport(True, location, tuple(found))


def _metadata(image: Image.Image) -> tuple[list[str], bool]:
    found: list[str] = []
    exif = image.getexif()
    location = bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    if exif:
        found.append("EXIF")
    if location:
        found.append("GPS location")
    if "xmp" in image.info or "XML:com.adobe.xmp" in image.info:
        found.append("XMP")
    texts = [
        k
        for k in image.info
        if k
        not in (
            "exif",
            "xmp",
            "dpi",
            "jfif",
            "jfif_version",
            "jfif_unit",
            "jfif_density",
            "icc_profile",
            "progressive",
            "progression",
            "adobe",
            "adobe_transform",
            "gamma",
            "transparency",
            "loop",
            "duration",
            "background",
        )
    ]
    if texts:
        found.append("text fields")
    return found, location


def _save_clean(image: Image.Image, target: Path, image_format: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(target, "JPEG", quality=JPEG_QUALITY, exif=b"")
    elif image_format == "WEBP":
        image.save(target, "WEBP", quality=JPEG_QUALITY, exif=b"", xmp=b"")
    else:
        image.save(target, "PNG")

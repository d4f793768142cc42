"""How large a workbook may be, checked before pyxform reads a byte and while it reads.

An .xlsx is a zip, and a zip can inflate a thousand-fold: a 1 MiB upload can hold a 1 GiB
label. Real forms are far below these limits; anything above them is refused with a reason.
"""

from __future__ import annotations

import io
import zipfile

MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_MEMBERS = 200
MAX_MEMBER_BYTES = 8 * 1024 * 1024
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_COLUMNS = 200
MAX_CELLS = 300_000
MAX_CELL_LENGTH = 10_000
#: An attached file of choices (Kobo's media: a CSV of districts, schools, clinics).
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_FILE_CHOICES = 5_000
#: Files attached to one import.
MAX_ATTACHMENTS = 20


def archive_problem(data: bytes) -> str:
    """Why this zip must not be opened, or ''. Sizes are *measured* by inflating each member up
    to its limit (a zip's own size fields may lie), so the check costs at most the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                return f"not an .xlsx workbook Glas reads: more than {MAX_MEMBERS} parts"
            total = 0
            for member in members:
                size = 0
                with archive.open(member) as part:
                    while chunk := part.read(1024 * 1024):
                        size += len(chunk)
                        total += len(chunk)
                        if size > MAX_MEMBER_BYTES or total > MAX_UNPACKED_BYTES:
                            limit = (
                                MAX_UNPACKED_BYTES
                                if total > MAX_UNPACKED_BYTES
                                else (MAX_MEMBER_BYTES)
                            )
                            return (
                                f"refused: its part {member.filename[:60]} unpacks to more than "
                                f"{limit // 1024 // 1024} MiB (a compressed bomb, or far larger "
                                "than any form)"
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError) as e:
        return f"not an .xlsx workbook ({type(e).__name__})"
    except (OSError, EOFError, RuntimeError) as e:  # damaged data, or an encrypted member
        return f"not an .xlsx workbook Glas can read ({type(e).__name__})"
    return ""

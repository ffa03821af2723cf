"""Tell a text or spreadsheet file from anything else before parsing it.

A PNG renamed ``hotspots.csv`` must be refused as "not a text or spreadsheet file", not read as
929 rows headed "PNG". The check looks at the first bytes only: known signatures of images,
documents and archives, NUL bytes (never in UTF-8 or Windows-1252 text) and the share of
control characters.
"""

from __future__ import annotations

# (signature, what it is) of files people save by mistake under a table's name
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive or an XLSX workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Word (.doc) file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"RIFF", "an audio or video file"),
)
_SAMPLE_BYTES = 8192
_CONTROL_SHARE = 0.05  # more control characters than this in the sample: not text
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1a")  # tab, line ends, form feed, DOS end-of-file


def binary_kind(data: bytes) -> str | None:
    """What ``data`` is when it is not text ("a PNG image", "a binary file"), else None.

    UTF-16 text (with its byte-order mark) is text; so is an empty file.
    """
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    sample = data[:_SAMPLE_BYTES]
    if not sample:
        return None
    if b"\x00" in sample:
        return "a binary file"
    controls = sum(1 for b in sample if b < 32 and b not in _TEXT_CONTROLS)
    if controls > _CONTROL_SHARE * len(sample):
        return "a binary file"
    return None


def not_text_message(name: str, kind: str, *, expected: str = "a CSV or XLSX table") -> str:
    """The refusal of a file that is ``kind`` where ``expected`` was wanted."""
    return (
        f"{name}: is not a text or spreadsheet file (it looks like {kind}); save the table "
        f"as {expected} (CSV UTF-8, or an .xlsx workbook) and upload that"
    )

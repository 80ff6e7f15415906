"""The guard every ZIP-based format passes before a parser opens it (DOCX today; XLSX, PPTX
and EPUB when they come): a decompression bomb is refused on the sizes the archive declares.

The declared sizes can be trusted because every parser here reads members through Python's
``zipfile``, which never inflates a member past its declared size (it stops there and the CRC
check fails). What is checked: the number of members (first from the end-of-archive record,
before the central directory is parsed), each member's unpacked size, the total, and each
member's compression ratio (past a small grace, as Apache POI's ``ZipSecureFile`` does)."""

from __future__ import annotations

import io
import struct
import zipfile

import msgspec

from aioomi.domain.model.knowledge import ExtractionLimitExceeded

_MIB = 1024 * 1024
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_CENTRAL_ENTRY_MIN = 46


class ZipLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Limits on what a ZIP-based document may unpack to. A Word file of a few hundred pages
    with pictures holds some dozens of members, a few MB each, compressed 3 to 20 times; a
    bomb compresses hundreds to a thousand times."""

    max_members: int = 2_000
    max_member_bytes: int = 64 * _MIB
    max_total_bytes: int = 256 * _MIB
    max_ratio: float = 100.0
    ratio_grace_bytes: int = 100 * 1024


DEFAULT_ZIP_LIMITS = ZipLimits()


def _megabytes(size: int) -> str:
    return f"{size / _MIB:,.1f} MB"


def declared_member_count(data: bytes) -> int | None:
    """The member count the end-of-archive record declares (read without parsing the central
    directory), or ``None`` when there is no such record."""
    tail_start = max(0, len(data) - _END_RECORD_SIZE - _MAX_COMMENT)
    at = data.rfind(_END_RECORD, tail_start)
    if at < 0 or at + _END_RECORD_SIZE > len(data):
        return None
    _, _, _, _, total, directory_size, _, _ = struct.unpack("<4s4H2LH", data[at : at + _END_RECORD_SIZE])
    if total == 0xFFFF:  # ZIP64: the count lives elsewhere; the directory's size bounds it
        return directory_size // _CENTRAL_ENTRY_MIN
    return total


def open_zip(data: bytes, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> zipfile.ZipFile:
    """The archive, opened once its declared sizes are within ``limits``. Raises
    :class:`ExtractionLimitExceeded` (with the reason, for the owner) when they are not, and
    ``zipfile.BadZipFile`` when the bytes are not a ZIP archive."""
    declared = declared_member_count(data)
    if declared is not None and declared > limits.max_members:
        raise _too_many(declared, limits)
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        check_zip(archive, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, limits: ZipLimits = DEFAULT_ZIP_LIMITS) -> None:
    """Raise :class:`ExtractionLimitExceeded` when ``archive`` breaks one of ``limits``."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise _too_many(len(members), limits)
    total = 0
    for member in members:
        size = member.file_size
        if size > limits.max_member_bytes:
            raise ExtractionLimitExceeded(
                f"The file's part {member.filename[:200]} unpacks to {_megabytes(size)}; the limit is "
                f"{_megabytes(limits.max_member_bytes)} per part."
            )
        if size > limits.ratio_grace_bytes and size > limits.max_ratio * max(member.compress_size, 1):
            ratio = size / max(member.compress_size, 1)
            raise ExtractionLimitExceeded(
                f"The file's part {member.filename[:200]} unpacks from {member.compress_size:,} bytes to "
                f"{_megabytes(size)}, {ratio:,.0f} times its packed size (the limit is {limits.max_ratio:,.0f} "
                "times). Files packed this tightly are decompression bombs, so it was not opened."
            )
        total += size
        if total > limits.max_total_bytes:
            raise ExtractionLimitExceeded(
                f"The file unpacks to more than {_megabytes(limits.max_total_bytes)}, the limit for a document."
            )


def _too_many(count: int, limits: ZipLimits) -> ExtractionLimitExceeded:
    return ExtractionLimitExceeded(f"The file is an archive of {count:,} parts; the limit is {limits.max_members:,}.")

"""The WAV (RIFF) container: a 44-byte header in front of 16-bit PCM, which every browser's
<audio> element plays. The recorder writes the file when an upload ends, so the header's
sizes are the final ones."""

from __future__ import annotations

import struct

HEADER_SIZE = 44
CONTENT_TYPE = "audio/wav"
BITS_PER_SAMPLE = 16
# The RIFF size fields are 32-bit: the data chunk can hold at most this many bytes.
MAX_DATA_BYTES = 0xFFFFFFFF - 36
_FORMAT_PCM = 1


def header(sample_rate_hz: int, channels: int, data_bytes: int) -> bytes:
    """The canonical 44-byte header of a 16-bit PCM WAV file with data_bytes of samples."""
    block_align = channels * BITS_PER_SAMPLE // 8
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        _FORMAT_PCM,
        channels,
        sample_rate_hz,
        sample_rate_hz * block_align,
        block_align,
        BITS_PER_SAMPLE,
        b"data",
        data_bytes,
    )


def duration_ms(sample_rate_hz: int, channels: int, data_bytes: int) -> int:
    """Length of data_bytes of 16-bit PCM in milliseconds (rounded down)."""
    frames = data_bytes // (channels * BITS_PER_SAMPLE // 8)
    return frames * 1000 // sample_rate_hz

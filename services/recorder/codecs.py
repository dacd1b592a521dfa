"""G.711 µ-law and A-law (ITU-T G.711) to and from 16-bit linear PCM, table based.

Written here rather than imported from the stdlib `audioop`, which is deprecated (and gone in
Python 3.13). Decoding is two `bytes.translate` passes (low and high byte of each sample),
so it runs at C speed; encoding (used by tests and tools, not by the recorder) goes through
a 65536-entry table built on first use.
"""

from __future__ import annotations

import array
import functools
import sys

_ULAW_BIAS = 0x84
_ULAW_CLIP = 32635
_ALAW_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def ulaw_to_linear(code: int) -> int:
    """One µ-law byte as a 16-bit sample."""
    u = ~code & 0xFF
    t = (((u & 0x0F) << 3) + _ULAW_BIAS) << ((u & 0x70) >> 4)
    return _ULAW_BIAS - t if u & 0x80 else t - _ULAW_BIAS


def alaw_to_linear(code: int) -> int:
    """One A-law byte as a 16-bit sample."""
    a = code ^ 0x55
    t = (a & 0x0F) << 4
    segment = (a & 0x70) >> 4
    if segment == 0:
        t += 8
    elif segment == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (segment - 1)
    return t if a & 0x80 else -t


def linear_to_ulaw(sample: int) -> int:
    """One 16-bit sample as a µ-law byte."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, _ULAW_CLIP) + _ULAW_BIAS
    exponent = max(0, ((magnitude >> 7) & 0xFF).bit_length() - 1)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def linear_to_alaw(sample: int) -> int:
    """One 16-bit sample as an A-law byte."""
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = next((i for i, end in enumerate(_ALAW_SEGMENT_ENDS) if value <= end), None)
    if segment is None:
        return 0x7F ^ mask
    code = segment << 4
    code |= (value >> 1 if segment < 2 else value >> segment) & 0x0F
    return code ^ mask


def _byte_tables(decode) -> tuple[bytes, bytes]:
    samples = [decode(code) & 0xFFFF for code in range(256)]
    return bytes(s & 0xFF for s in samples), bytes(s >> 8 for s in samples)


_ULAW_LOW, _ULAW_HIGH = _byte_tables(ulaw_to_linear)
_ALAW_LOW, _ALAW_HIGH = _byte_tables(alaw_to_linear)


def _decode(data: bytes, low: bytes, high: bytes) -> bytes:
    out = bytearray(2 * len(data))
    out[0::2] = data.translate(low)
    out[1::2] = data.translate(high)
    return bytes(out)


def decode_ulaw(data: bytes) -> bytes:
    """µ-law bytes as 16-bit little-endian PCM (twice as long)."""
    return _decode(data, _ULAW_LOW, _ULAW_HIGH)


def decode_alaw(data: bytes) -> bytes:
    """A-law bytes as 16-bit little-endian PCM (twice as long)."""
    return _decode(data, _ALAW_LOW, _ALAW_HIGH)


@functools.cache
def _encode_table(encode) -> bytes:
    return bytes(encode(s - 65536 if s >= 32768 else s) for s in range(65536))


def _encode(pcm: bytes, encode) -> bytes:
    samples = array.array("h", pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    table = _encode_table(encode)
    return bytes(table[s & 0xFFFF] for s in samples)


def encode_ulaw(pcm: bytes) -> bytes:
    """16-bit little-endian PCM as µ-law bytes."""
    return _encode(pcm, linear_to_ulaw)


def encode_alaw(pcm: bytes) -> bytes:
    """16-bit little-endian PCM as A-law bytes."""
    return _encode(pcm, linear_to_alaw)

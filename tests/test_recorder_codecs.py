"""The G.711 codec and the WAV header, checked against the standard's reference values."""

from __future__ import annotations

import hashlib

from callcenter.services.recorder import codecs, wav
from tests.recorder_fixtures import parse_wav, tone


def test_ulaw_decodes_to_the_g711_reference_values():
    assert codecs.ulaw_to_linear(0x00) == -32124
    assert codecs.ulaw_to_linear(0x80) == 32124
    assert codecs.ulaw_to_linear(0xFF) == 0
    assert codecs.ulaw_to_linear(0x7F) == 0
    # The first segments: steps of 8 up to 120, then steps of 16 from 132.
    assert [codecs.ulaw_to_linear(c) for c in (0xFE, 0xF0, 0xEF, 0xEE)] == [8, 120, 132, 148]


def test_alaw_decodes_to_the_g711_reference_values():
    assert codecs.alaw_to_linear(0xD5) == 8
    assert codecs.alaw_to_linear(0x55) == -8
    assert codecs.alaw_to_linear(0xAA) == 32256
    assert codecs.alaw_to_linear(0x2A) == -32256


def test_every_code_survives_decoding_and_encoding_again():
    assert [c for c in range(256) if codecs.linear_to_alaw(codecs.alaw_to_linear(c)) != c] == []
    # µ-law has two zeros; 0x7F ("negative zero") comes back as 0xFF.
    assert [c for c in range(256) if codecs.linear_to_ulaw(codecs.ulaw_to_linear(c)) != c] == [0x7F]


def test_table_decoding_matches_the_per_sample_formula():
    every_code = bytes(range(256))
    pcm_u, pcm_a = codecs.decode_ulaw(every_code), codecs.decode_alaw(every_code)
    assert [int.from_bytes(pcm_u[2 * i : 2 * i + 2], "little", signed=True) for i in range(256)] == [
        codecs.ulaw_to_linear(c) for c in range(256)
    ]
    assert [int.from_bytes(pcm_a[2 * i : 2 * i + 2], "little", signed=True) for i in range(256)] == [
        codecs.alaw_to_linear(c) for c in range(256)
    ]


def test_encoding_a_tone_keeps_it_within_the_quantisation_step():
    pcm = tone(0.1)
    for encode, decode in ((codecs.encode_ulaw, codecs.decode_ulaw), (codecs.encode_alaw, codecs.decode_alaw)):
        back = decode(encode(pcm))
        original = [int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm), 2)]
        decoded = [int.from_bytes(back[i : i + 2], "little", signed=True) for i in range(0, len(back), 2)]
        assert all(abs(a - b) <= max(16, abs(a) // 16) for a, b in zip(original, decoded, strict=True))


def test_wav_header_is_read_by_the_stdlib_wave_module():
    pcm = tone(0.5, rate=16000, channels=2)
    parsed = parse_wav(wav.header(16000, 2, len(pcm)) + pcm)
    assert (parsed.channels, parsed.sample_width, parsed.rate, parsed.seconds) == (2, 2, 16000, 0.5)
    assert hashlib.sha256(parsed.frames).digest() == hashlib.sha256(pcm).digest()
    assert wav.duration_ms(16000, 2, len(pcm)) == 500

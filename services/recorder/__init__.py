"""The recorder service: call recordings streamed in by the PBX, stored durably as WAV files,
catalogued in Redis and served back for listening (S1.5, S4.5). See docs/recorder.md."""

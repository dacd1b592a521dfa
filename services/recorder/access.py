"""Which roles may call each recorder RPC (docs/security.md; callcenter/core/auth.py checks it).
A PBX uploads and nothing else; only admin lifts a legal hold or deletes a recording."""

from __future__ import annotations

from callcenter.api.recorder.v1 import recorder_pb2
from callcenter.core.auth import AccessPolicy

_READ = ["GetRecording", "DownloadRecording", "ListRecordings"]

RECORDER_POLICY = AccessPolicy.declare(
    recorder_pb2.DESCRIPTOR.services_by_name["RecorderService"],
    pbx=["UploadRecording", "GetUploadStatus"],
    gateway=_READ,
    crm=_READ,
    admin=["SetLegalHold", "DeleteRecording"],
)

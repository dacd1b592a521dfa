"""The router's SegmentService servicer: client segments (segments.py) and the do-not-call list
(do_not_call.py). Each handler reads the request, calls one domain method and converts the
answer (convert.py)."""

from __future__ import annotations

from callcenter.api.router.v1 import segments_pb2 as pb
from callcenter.api.router.v1 import segments_pb2_grpc
from callcenter.core.grpc_server import domain_errors
from callcenter.services.router import convert
from callcenter.services.router.do_not_call import DoNotCall
from callcenter.services.router.segments import Segments

_domain_errors = domain_errors("the router's store")


class SegmentServicer(segments_pb2_grpc.SegmentServiceServicer):
    def __init__(self, segments: Segments, do_not_call: DoNotCall) -> None:
        self.segments = segments
        self.do_not_call = do_not_call

    @_domain_errors
    async def UpsertSegment(self, request, context):
        stored = await self.segments.upsert(convert.segment_from_pb(request.segment))
        return pb.UpsertSegmentResponse(segment=convert.segment_to_pb(stored))

    @_domain_errors
    async def GetSegment(self, request, context):
        return pb.GetSegmentResponse(segment=convert.segment_to_pb(await self.segments.get(request.segment_id)))

    @_domain_errors
    async def ListSegments(self, request, context):
        return pb.ListSegmentsResponse(segments=[convert.segment_to_pb(s) for s in await self.segments.list()])

    @_domain_errors
    async def DeleteSegment(self, request, context):
        await self.segments.delete(request.segment_id)
        return pb.DeleteSegmentResponse()

    @_domain_errors
    async def ListSegmentClients(self, request, context):
        page = await self.segments.clients(request.segment_id, request.page_size, request.page_token)
        return pb.ListSegmentClientsResponse(numbers=page.numbers, total=page.total, next_page_token=page.next_token)

    @_domain_errors
    async def AddDoNotCall(self, request, context):
        return pb.AddDoNotCallResponse(added=await self.do_not_call.add(list(request.numbers)))

    @_domain_errors
    async def RemoveDoNotCall(self, request, context):
        return pb.RemoveDoNotCallResponse(removed=await self.do_not_call.remove(list(request.numbers)))

    @_domain_errors
    async def CheckDoNotCall(self, request, context):
        found = await self.do_not_call.check(list(request.numbers))
        return pb.CheckDoNotCallResponse(entries=[convert.do_not_call_to_pb(e) for e in found])

    @_domain_errors
    async def ListDoNotCall(self, request, context):
        page = await self.do_not_call.list(request.page_size, request.page_token)
        return pb.ListDoNotCallResponse(
            entries=[convert.do_not_call_to_pb(e) for e in page.entries],
            total=page.total,
            next_page_token=page.next_token,
        )

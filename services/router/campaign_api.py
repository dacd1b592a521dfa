"""The router's CampaignService servicer: each handler reads the request, calls one method of
the campaigns' domain (campaigns.py) and converts the answer (convert.py)."""

from __future__ import annotations

from callcenter.api.router.v1 import campaigns_pb2 as pb
from callcenter.api.router.v1 import campaigns_pb2_grpc
from callcenter.core.grpc_server import domain_errors
from callcenter.services.router import convert
from callcenter.services.router.campaigns import Campaigns
from callcenter.services.router.model import InvalidArgument

_domain_errors = domain_errors("the router's store")


class CampaignServicer(campaigns_pb2_grpc.CampaignServiceServicer):
    def __init__(self, campaigns: Campaigns) -> None:
        self.campaigns = campaigns

    @_domain_errors
    async def UpsertCampaign(self, request, context):
        stored = await self.campaigns.upsert(convert.campaign_from_pb(request.campaign))
        return pb.UpsertCampaignResponse(campaign=convert.campaign_to_pb(stored))

    @_domain_errors
    async def GetCampaign(self, request, context):
        return pb.GetCampaignResponse(campaign=convert.campaign_to_pb(await self.campaigns.get(request.campaign_id)))

    @_domain_errors
    async def ListCampaigns(self, request, context):
        return pb.ListCampaignsResponse(campaigns=[convert.campaign_to_pb(c) for c in await self.campaigns.list()])

    @_domain_errors
    async def AddCampaignContacts(self, request, context):
        added, skipped = await self.campaigns.add_contacts(
            request.campaign_id, [(c.number, c.deal_id) for c in request.contacts]
        )
        return pb.AddCampaignContactsResponse(added=added, skipped=skipped)

    @_domain_errors
    async def ListCampaignContacts(self, request, context):
        state = convert.CONTACT_STATE_FROM_PB.get(request.state)
        if state is None:
            raise InvalidArgument("state", f"{request.state} is not a ContactState value")
        found = await self.campaigns.list_contacts(request.campaign_id, state, request.page_size, request.after_number)
        return pb.ListCampaignContactsResponse(contacts=[convert.contact_to_pb(c) for c in found])

    @_domain_errors
    async def StartCampaign(self, request, context):
        return pb.StartCampaignResponse(
            campaign=convert.campaign_to_pb(await self.campaigns.start(request.campaign_id))
        )

    @_domain_errors
    async def PauseCampaign(self, request, context):
        return pb.PauseCampaignResponse(
            campaign=convert.campaign_to_pb(await self.campaigns.pause(request.campaign_id))
        )

    @_domain_errors
    async def StopCampaign(self, request, context):
        campaign = await self.campaigns.stop(request.campaign_id)
        return pb.StopCampaignResponse(campaign=convert.campaign_to_pb(campaign))

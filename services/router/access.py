"""Which roles may call each router RPC (docs/security.md; callcenter/core/auth.py checks it).
Admin may call everything. A PBX can never change an agent's endpoint or delete anything."""

from __future__ import annotations

from callcenter.api.router.v1 import campaigns_pb2, conversations_pb2, router_pb2, segments_pb2
from callcenter.core.auth import AccessPolicy

ROUTER_POLICY = AccessPolicy.declare(
    router_pb2.DESCRIPTOR.services_by_name["RouterService"],
    pbx=["PbxSession", "RouteCall", "ReportOfferOutcome", "HangupCall", "GetCall", "WatchCall", "ReportDialOutcome"],
    # What the supervisor gateway does for its users (each checked against the user's role there).
    gateway=[
        "GetQueue",
        "ListQueues",
        "GetAgent",
        "ListAgents",
        "LoginAgent",
        "LogoutAgent",
        "PauseAgent",
        "ResumeAgent",
        "ListPauseReasons",
        "SetPauseReasons",  # for the gateway's admins only (checked there)
        # queue and agent administration: for the gateway's admins only (checked there)
        "UpsertQueue",
        "UpsertAgent",
        "DeleteAgent",
        "EndWrapUp",
        "ExtendWrapUp",
        "GetCall",
        "WatchCall",
        "GetClient",
        "ListClients",
        # live call control (S3.4): the gateway lets only supervisors of the call's queue
        "MoveCallToAgent",
        "MoveCallToQueue",
        "EndCall",
        "ReassignCall",
        "ListQueueCalls",  # the queue page: supervisors of the queue only (checked there)
        # teams (S2.3): written by the gateway's admins, read for its supervisors (checked there)
        "UpsertTeam",
        "GetTeam",
        "ListTeams",
        "DeleteTeam",
        # outbound work: an agent's own previews and callbacks, supervisors' queues (checked there)
        "CreateOutboundCall",
        "AcceptOutboundCall",
        "DeclineOutboundCall",
        "ScheduleCallback",
        "CancelCallback",
        "GetCallback",
        "ListCallbacks",
    ],
    crm=[
        "UpsertClient",
        "GetClient",
        "ListClients",
        "ReassignClients",
        # click-to-call and callbacks from the CRM
        "CreateOutboundCall",
        "ScheduleCallback",
        "CancelCallback",
        "GetCallback",
        "ListCallbacks",
    ],
)

# Campaigns: the gateway relays its supervisors and admins (checked there); the CRM feeds
# contacts and reads progress.
CAMPAIGN_POLICY = AccessPolicy.declare(
    campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"],
    gateway=[
        "UpsertCampaign",
        "GetCampaign",
        "ListCampaigns",
        "AddCampaignContacts",
        "ListCampaignContacts",
        "StartCampaign",
        "PauseCampaign",
        "StopCampaign",
    ],
    crm=["GetCampaign", "ListCampaigns", "AddCampaignContacts", "ListCampaignContacts"],
)

# Segments and the do-not-call list: as campaigns, the gateway relays its supervisors and
# admins (checked there); the CRM reads segments and keeps the do-not-call list (a client who
# asks not to be called again), but only the gateway takes a number off it.
SEGMENT_POLICY = AccessPolicy.declare(
    segments_pb2.DESCRIPTOR.services_by_name["SegmentService"],
    gateway=[
        "UpsertSegment",
        "GetSegment",
        "ListSegments",
        "DeleteSegment",
        "ListSegmentClients",
        "AddDoNotCall",
        "RemoveDoNotCall",
        "CheckDoNotCall",
        "ListDoNotCall",
    ],
    crm=["GetSegment", "ListSegments", "ListSegmentClients", "AddDoNotCall", "CheckDoNotCall", "ListDoNotCall"],
)

# Conversations (issue 21): the gateway relays its users (an agent's own conversations,
# supervisors' queues: checked there) and a chat widget's or messaging gateway's messages;
# the CRM reads them for the customer card. A chat widget's backend or a messaging gateway
# calling the router itself (role messaging) posts the customers' messages and reads the
# conversation, nothing else (the agents' replies reach it through a webhook subscription to
# CONVERSATION_REPLIED).
CONVERSATION_POLICY = AccessPolicy.declare(
    conversations_pb2.DESCRIPTOR.services_by_name["ConversationService"],
    gateway=[
        "PostCustomerMessage",
        "ReplyToConversation",
        "CloseConversation",
        "GetConversation",
        "ListConversations",
        "TransferConversation",
        "PostSupervisorMessage",
    ],
    crm=["GetConversation", "ListConversations"],
    messaging=["PostCustomerMessage", "GetConversation"],
)

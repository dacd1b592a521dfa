"""Call campaigns (S2.7, S4.1) for supervisors and admins: the router's CampaignService. A
supervisor sees, creates and steers the campaigns of their teams' queues; an admin every
one; agents none (PermissionDenied). A campaign the user may not see is NotFound.

A campaign's JSON (`campaign_from_json`) names its fields as the proto does, with enums as
lower-case words (mode preview|progressive, source contacts|new_leads) and durations in
seconds (`retry.no_answer_s`); anything else is an InvalidArgument naming the field."""

from __future__ import annotations

import math
import uuid
from typing import Any

from google.protobuf import duration_pb2

from callcenter.api.router.v1 import campaigns_pb2 as cpb
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends, unless_unknown
from ..users import User
from . import access

MANAGERS = ("supervisor", "admin")
CAMPAIGN_FIELDS = (
    "campaign_id", "name", "queue", "segment_id", "source", "script", "mode",
    "calling_hours", "retry", "max_concurrent",
)  # fmt: skip
HOURS_FIELDS = ("days", "start_minute", "end_minute", "time_zone")
RETRY_FIELDS = ("no_answer_s", "busy_s", "failed_s", "spread_s", "max_attempts", "call_reached_again")
MODES = {"preview": pb.OUTBOUND_MODE_PREVIEW, "progressive": pb.OUTBOUND_MODE_PROGRESSIVE}
SOURCES = {"contacts": cpb.CAMPAIGN_SOURCE_CONTACTS, "new_leads": cpb.CAMPAIGN_SOURCE_NEW_LEADS}
STATES = {v: k.removeprefix("CAMPAIGN_STATE_").lower() for k, v in cpb.CampaignState.items()}
CONTACT_STATES = {v: k.removeprefix("CONTACT_STATE_").lower() for k, v in cpb.ContactState.items()}
MAX_CONTACTS = 1000  # per request, as the router
MAX_SCRIPT = 10_000
MAX_RETRY_S = 366 * 86400


def _integer(value: Any, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(field, f"must be a whole number from {low} to {high}")
    return value


def _text(body: dict[str, Any], name: str, limit: int, field: str = "") -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidArgument(field or name, f"must be a string of at most {limit} characters")
    return value


def _object(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    value = body.get(name, {})
    if not isinstance(value, dict):
        raise InvalidArgument(name, "must be an object")
    for key in value:
        if key not in allowed:
            raise InvalidArgument(f"{name}.{str(key)[:64]}", f"unknown field (takes {', '.join(allowed)})")
    return value


def _seconds(value: Any, field: str) -> duration_pb2.Duration:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidArgument(field, "must be a number of seconds")
    if not 0 <= value <= MAX_RETRY_S:
        raise InvalidArgument(field, f"must be 0-{MAX_RETRY_S} seconds")
    d = duration_pb2.Duration()
    d.FromMilliseconds(round(value * 1000))
    return d


def campaign_from_json(body: dict[str, Any]) -> cpb.Campaign:
    """A campaign from a request body (the router checks the values' ranges again)."""
    campaign_id = body.get("campaign_id") or f"c-{uuid.uuid4().hex[:16]}"
    if not isinstance(campaign_id, str):
        raise InvalidArgument("campaign_id", "must be a string")
    ids.check_name(campaign_id, "campaign_id")
    queue = _text(body, "queue", 64)
    ids.check_name(queue, "queue")
    segment_id = _text(body, "segment_id", 64)
    if segment_id:
        ids.check_name(segment_id, "segment_id")
    campaign = cpb.Campaign(
        campaign_id=campaign_id,
        name=_text(body, "name", 128),
        queue=queue,
        segment_id=segment_id,
        script=_text(body, "script", MAX_SCRIPT),
    )
    for name, choices, target in (("mode", MODES, "mode"), ("source", SOURCES, "source")):
        value = body.get(name, "")
        if value != "":
            if not isinstance(value, str) or value not in choices:
                raise InvalidArgument(name, f"must be one of {', '.join(choices)}")
            setattr(campaign, target, choices[value])
    if "max_concurrent" in body:
        campaign.max_concurrent = _integer(body["max_concurrent"], "max_concurrent", 0, 10_000)
    hours = _object(body, "calling_hours", HOURS_FIELDS)
    days = hours.get("days", [])
    if not isinstance(days, list) or len(days) > 7:
        raise InvalidArgument("calling_hours.days", "must be a list of at most 7 days (1 Monday - 7 Sunday)")
    campaign.calling_hours.days.extend(_integer(d, f"calling_hours.days[{i}]", 1, 7) for i, d in enumerate(days))
    for name, high in (("start_minute", 1439), ("end_minute", 1440)):
        if name in hours:
            setattr(campaign.calling_hours, name, _integer(hours[name], f"calling_hours.{name}", 0, high))
    campaign.calling_hours.time_zone = _text(hours, "time_zone", 64, "calling_hours.time_zone")
    retry = _object(body, "retry", RETRY_FIELDS)
    for name in ("no_answer", "busy", "failed", "spread"):
        if f"{name}_s" in retry:
            getattr(campaign.retry, name).CopyFrom(_seconds(retry[f"{name}_s"], f"retry.{name}_s"))
    if "max_attempts" in retry:
        campaign.retry.max_attempts = _integer(retry["max_attempts"], "retry.max_attempts", 0, 100)
    again = retry.get("call_reached_again", False)
    if not isinstance(again, bool):
        raise InvalidArgument("retry.call_reached_again", "must be true or false")
    campaign.retry.call_reached_again = again
    return campaign


async def _get(backends: Backends, campaign_id: str) -> cpb.Campaign:
    reply: cpb.GetCampaignResponse = await backends.campaigns.GetCampaign(
        cpb.GetCampaignRequest(campaign_id=campaign_id), timeout=backends.timeout_s
    )
    return reply.campaign


async def get_campaign(user: User, backends: Backends, campaign_id: str) -> cpb.Campaign:
    """A campaign of a queue the user supervises (any for admins)."""
    access.require_role(user, *MANAGERS)
    ids.check_name(campaign_id, "campaign_id")
    campaign = await _get(backends, campaign_id)
    if not access.sees_queue(user, campaign.queue):
        raise NotFound(f"campaign {campaign_id} does not exist")
    return campaign


async def list_campaigns(user: User, backends: Backends) -> list[cpb.Campaign]:
    """The campaigns of the user's queues (every one for admins), newest first."""
    access.require_role(user, *MANAGERS)
    reply: cpb.ListCampaignsResponse = await backends.campaigns.ListCampaigns(
        cpb.ListCampaignsRequest(), timeout=backends.timeout_s
    )
    return [c for c in reply.campaigns if access.sees_queue(user, c.queue)]


async def upsert_campaign(user: User, backends: Backends, body: dict[str, Any]) -> cpb.Campaign:
    """Creates a campaign (DRAFT) or replaces one's settings, in a queue of the user's."""
    access.require_role(user, *MANAGERS)
    campaign = campaign_from_json(body)
    if not access.sees_queue(user, campaign.queue):
        raise NotFound(f"queue {campaign.queue} does not exist")
    existing = await _existing(backends, campaign.campaign_id)
    if existing is not None and not access.sees_queue(user, existing.queue):
        raise NotFound(f"campaign {campaign.campaign_id} does not exist")
    reply: cpb.UpsertCampaignResponse = await backends.campaigns.UpsertCampaign(
        cpb.UpsertCampaignRequest(campaign=campaign), timeout=backends.timeout_s
    )
    return reply.campaign


async def _existing(backends: Backends, campaign_id: str) -> cpb.Campaign | None:
    reply = await unless_unknown(
        backends.campaigns.GetCampaign(cpb.GetCampaignRequest(campaign_id=campaign_id), timeout=backends.timeout_s)
    )
    return reply.campaign if reply is not None else None


def contacts_from_json(body: dict[str, Any]) -> list[cpb.NewContact]:
    """{numbers: [...]} or {contacts: [{number, deal_id}]}: 1-1000 contacts."""
    numbers, contacts = body.get("numbers", []), body.get("contacts", [])
    if not isinstance(numbers, list) or not all(isinstance(n, str) and 0 < len(n) <= 64 for n in numbers):
        raise InvalidArgument("numbers", "must be a list of phone numbers (strings of 1-64 characters)")
    if not isinstance(contacts, list):
        raise InvalidArgument("contacts", "must be a list of {number, deal_id}")
    found = [cpb.NewContact(number=n.strip()) for n in numbers]
    for i, c in enumerate(contacts):
        if not isinstance(c, dict) or set(c) - {"number", "deal_id"}:
            raise InvalidArgument(f"contacts[{i}]", "must be an object of number and deal_id")
        number = _text(c, "number", 64, f"contacts[{i}].number")
        deal_id = _text(c, "deal_id", 128, f"contacts[{i}].deal_id")
        if not number:
            raise InvalidArgument(f"contacts[{i}].number", "is required")
        if deal_id:
            ids.check_lead_id(deal_id, f"contacts[{i}].deal_id")
        found.append(cpb.NewContact(number=number, deal_id=deal_id))
    if not found:
        raise InvalidArgument("numbers", "give at least one number")
    if len(found) > MAX_CONTACTS:
        raise InvalidArgument("numbers", f"at most {MAX_CONTACTS} contacts a request")
    return found


async def add_contacts(
    user: User, backends: Backends, campaign_id: str, contacts: list[cpb.NewContact]
) -> cpb.AddCampaignContactsResponse:
    await get_campaign(user, backends, campaign_id)
    reply: cpb.AddCampaignContactsResponse = await backends.campaigns.AddCampaignContacts(
        cpb.AddCampaignContactsRequest(campaign_id=campaign_id, contacts=contacts), timeout=backends.timeout_s
    )
    return reply


async def list_contacts(
    user: User, backends: Backends, campaign_id: str, state: str, page_size: int, after_number: str
) -> list[cpb.CampaignContact]:
    by_name = {v: k for k, v in CONTACT_STATES.items() if v != "unspecified"}
    if state and state not in by_name:
        raise InvalidArgument("state", f"must be one of {', '.join(by_name)}")
    await get_campaign(user, backends, campaign_id)
    reply: cpb.ListCampaignContactsResponse = await backends.campaigns.ListCampaignContacts(
        cpb.ListCampaignContactsRequest(
            campaign_id=campaign_id, state=by_name.get(state, 0), page_size=page_size, after_number=after_number
        ),
        timeout=backends.timeout_s,
    )
    return list(reply.contacts)


async def change_state(user: User, backends: Backends, campaign_id: str, action: str) -> cpb.Campaign:
    """start (DRAFT or PAUSED -> RUNNING), pause (RUNNING -> PAUSED) or stop (final)."""
    await get_campaign(user, backends, campaign_id)
    if action == "start":
        started: cpb.StartCampaignResponse = await backends.campaigns.StartCampaign(
            cpb.StartCampaignRequest(campaign_id=campaign_id), timeout=backends.timeout_s
        )
        return started.campaign
    if action == "pause":
        paused: cpb.PauseCampaignResponse = await backends.campaigns.PauseCampaign(
            cpb.PauseCampaignRequest(campaign_id=campaign_id), timeout=backends.timeout_s
        )
        return paused.campaign
    stopped: cpb.StopCampaignResponse = await backends.campaigns.StopCampaign(
        cpb.StopCampaignRequest(campaign_id=campaign_id), timeout=backends.timeout_s
    )
    return stopped.campaign

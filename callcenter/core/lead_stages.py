"""The sales pipeline's stages (S1.9), declared once for every service: a lead moves through
lead, in_work and payment (open: a deal someone works on) to fulfilled or refused (closed)."""

from __future__ import annotations

LEAD_STAGES = ("lead", "in_work", "payment", "fulfilled", "refused")
OPEN_LEAD_STAGES = ("lead", "in_work", "payment")
CLOSED_LEAD_STAGES = frozenset(LEAD_STAGES) - frozenset(OPEN_LEAD_STAGES)
#: Stages that make a lead a sale: a campaign's call followed by one counts as its conversion.
CONVERTING_LEAD_STAGES = ("payment", "fulfilled")

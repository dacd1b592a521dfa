// The agent page's outbound work (docs/outbound.md): the preview card of an outbound call
// offered to the agent (number, client, the campaign's script; Accept dials it, Decline passes
// it on), click-to-call, the agent's callbacks, and their unpaid invoices nobody reached yet
// (the invoice queue, S2.7: Call dials the client about one). Only the agent's own page offers calls;
// their supervisors see the callbacks. The server-sent event stream says when to look again.
import { api, el } from "/static/api.js";
import { follow } from "/static/live.js";

const when = (t) => (t ? new Date(t).toLocaleString() : "");
const STATE_LABELS = { scheduled: "Scheduled", calling: "Calling", done: "Done", cancelled: "Cancelled", failed: "Failed" };

function problem(node, error) {
  node.textContent = error ? error.message : "";
  node.hidden = !error;
}

function showOffer(offer) {
  const card = document.getElementById("preview-card");
  card.hidden = !offer;
  card.dataset.call = offer ? offer.call_id : "";
  card.dataset.offer = offer ? offer.offer_id : "";
  if (!offer) return;
  document.getElementById("preview-number").textContent = offer.number;
  document.getElementById("preview-client").textContent = offer.client_name || "Unknown client";
  const campaign = document.getElementById("preview-campaign");
  campaign.hidden = !offer.campaign_id;
  campaign.textContent = offer.campaign_id ? `Campaign ${offer.campaign_name || offer.campaign_id}` : "";
  const script = document.getElementById("preview-script");
  script.hidden = !offer.script;
  script.textContent = offer.script || "";
  const note = document.getElementById("preview-note");
  note.hidden = !offer.note;
  note.textContent = offer.note ? `Callback note: ${offer.note}` : "";
}

function showCallbacks(callbacks, { cancel }) {
  const body = document.querySelector("#callbacks tbody");
  const rows = callbacks.map((c) => el("tr", { "data-callback": c.callback_id, "data-state": c.state },
    el("td", { "data-sort": c.due_ms ?? "" }, when(c.due_ms)),
    el("td", {}, c.number), el("td", {}, c.queue), el("td", {}, c.note),
    el("td", {}, STATE_LABELS[c.state] || c.state),
    el("td", {}, c.state === "scheduled"
      ? el("button", { type: "button", class: "cancel", onclick: () => cancel(c) }, "Cancel") : "")));
  body.replaceChildren(...(rows.length ? rows
    : [el("tr", { class: "empty" }, el("td", { colspan: 6 }, "No callback scheduled."))]));
}

function showInvoices(invoices, { call }) {
  const body = document.querySelector("#invoices tbody");
  const rows = invoices.map((i) => el("tr", { "data-invoice": i.invoice_id },
    el("td", { "data-sort": i.issued_at || "" }, when(i.issued_at)),
    el("td", {}, i.invoice_id), el("td", {}, i.client_number || ""),
    el("td", { "data-sort": Number(i.amount_minor || 0) }, `${(Number(i.amount_minor || 0) / 100).toFixed(2)} ${i.currency}`),
    el("td", { class: "attempts" }, String(i.call_attempts || 0)),
    el("td", { class: "last-result" }, i.calling ? "Calling…" : (i.last_call_result || "")),
    el("td", {}, el("button", { type: "button", class: "call", onclick: () => call(i) }, "Call"))));
  body.replaceChildren(...(rows.length ? rows
    : [el("tr", { class: "empty" }, el("td", { colspan: 7 }, "No unpaid invoice to call."))]));
}

/** Sets up the outbound sections for the agent `agentId` as `user` sees them. */
export async function outboundPanel(user, agentId) {
  const own = user.agent_id === agentId;
  const status = document.getElementById("preview-status");
  const callbacksError = document.getElementById("callback-error");

  const loadCallbacks = async () => {
    const reply = await api(`/api/v1/callbacks?${new URLSearchParams({ agent_id: agentId })}`);
    showCallbacks(reply.callbacks || [], { cancel: async (c) => {
      try {
        await api(`/api/v1/callbacks/${encodeURIComponent(c.callback_id)}`, { method: "DELETE" });
        problem(callbacksError, null);
      } catch (error) { problem(callbacksError, error); }
      await loadCallbacks();
    } });
  };
  const loadOffers = async () => {
    if (!own) return;
    const reply = await api("/api/v1/outbound/offers");
    showOffer((reply.offers || [])[0] || null);
  };
  const invoiceError = document.getElementById("invoice-error");
  const loadInvoices = async () => {
    if (!own) return;
    const reply = await api("/api/v1/invoice-queue?page_size=100");
    showInvoices(reply.invoices || [], { call: async (i) => {
      try {
        const done = await api(`/api/v1/invoice-queue/${encodeURIComponent(i.invoice_id)}/call`, { method: "POST" });
        problem(invoiceError, null);
        status.textContent = `Calling ${done.call.caller} about invoice ${i.invoice_id}…`;
        status.dataset.state = "invoice";
      } catch (error) { problem(invoiceError, error); }
      await Promise.all([loadOffers(), loadInvoices()]).catch(() => {});
    } });
  };
  const refresh = () => Promise.all([loadOffers(), loadCallbacks(), loadInvoices()]).catch(() => {});

  document.getElementById("callbacks-section").hidden = false;
  const form = document.getElementById("callback-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = form.elements;
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const body = { number: f.number.value.trim(), due_at: new Date(f.due.value).toISOString(), agent_id: agentId };
    if (f.note.value) body.note = f.note.value;
    try {
      await api("/api/v1/callbacks", { method: "POST", body });
      form.reset();
      problem(callbacksError, null);
      await loadCallbacks();
    } catch (error) {
      problem(callbacksError, error);
      const input = { number: f.number, due_at: f.due, note: f.note }[error.field.replace(/^callback\./, "")];
      if (input) input.setAttribute("aria-invalid", "true");
    }
  });

  if (own) {
    document.getElementById("outbound-section").hidden = false;
    document.getElementById("invoices-section").hidden = false;
    const previewError = document.getElementById("preview-error");
    const act = async (action) => {
      const card = document.getElementById("preview-card");
      try {
        const reply = await api(`/api/v1/outbound/calls/${encodeURIComponent(card.dataset.call)}/${encodeURIComponent(action)}`,
          { method: "POST", body: { offer_id: card.dataset.offer } });
        problem(previewError, null);
        const dialling = action === "accept" && reply.call.state === "CALL_STATE_DIALING";
        status.textContent = dialling ? `Dialling ${reply.call.caller}…` : `Passed on ${reply.call.caller}.`;
        status.dataset.state = dialling ? "dialing" : "declined";
        showOffer(null);
      } catch (error) {
        problem(previewError, error);
      }
      await loadOffers().catch(() => {});
    };
    document.getElementById("preview-accept").addEventListener("click", () => act("accept"));
    document.getElementById("preview-decline").addEventListener("click", () => act("decline"));
    const callForm = document.getElementById("call-form");
    const callError = document.getElementById("call-error");
    callForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const number = callForm.elements.number;
      number.removeAttribute("aria-invalid");
      try {
        await api("/api/v1/outbound/calls", { method: "POST", body: { number: number.value.trim() } });
        callForm.reset();
        problem(callError, null);
        await loadOffers();
      } catch (error) {
        problem(callError, error);
        if (error.field === "number") number.setAttribute("aria-invalid", "true");
      }
    });
    follow(refresh);
  }
  await refresh();
}

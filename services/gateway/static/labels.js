// Readable labels for every state, outcome and flag the API returns as a code. One place: each
// page shows "On a call", never "AGENT_STATE_ON_CALL" or "in_progress".
const AGENT_STATES = {
  logged_out: "Logged out", available: "Available", paused: "Paused", reserved: "Ringing",
  on_call: "On a call", wrap_up: "Wrap-up", unspecified: "Unknown",
};
const CALL_STATES = {
  waiting: "Waiting", ringing: "Ringing", connected: "Connected", completed: "Completed",
  abandoned: "Abandoned", timed_out: "Timed out", redirected: "Redirected", unspecified: "Unknown",
};
const OUTCOMES = {
  in_progress: "In progress", completed: "Completed", abandoned: "Abandoned", timed_out: "Timed out",
  redirected: "Redirected", unspecified: "Unknown",
};
const FLAGS = {
  improper_refusal: "Refused below the contact target", missed: "Missed", overdue: "Overdue",
  short_abandoned: "Hung up at once", vip: "VIP", ended_by_supervisor: "Ended by a supervisor",
  reassigned_by_supervisor: "Reassigned by a supervisor",
};
// How a code looks in a state badge: calm for normal work, warm for what needs an eye.
const TONES = {
  available: "ok", on_call: "busy", reserved: "busy", wrap_up: "busy", paused: "idle", logged_out: "off",
  waiting: "warn", ringing: "busy", connected: "busy", completed: "ok", in_progress: "busy",
  abandoned: "bad", timed_out: "bad", redirected: "idle",
};

/** "AGENT_STATE_ON_CALL", "CALL_OUTCOME_IN_PROGRESS" or "on_call" -> "on_call". */
export const code = (value) => String(value || "").replace(/^(AGENT_STATE|CALL_STATE|CALL_OUTCOME)_/, "").toLowerCase();

const humanise = (c) => (c ? c.charAt(0).toUpperCase() + c.slice(1).replaceAll("_", " ") : "");

export const agentStateLabel = (value) => AGENT_STATES[code(value)] ?? humanise(code(value));
export const callStateLabel = (value) => CALL_STATES[code(value)] ?? humanise(code(value));
export const outcomeLabel = (value) => OUTCOMES[code(value)] ?? humanise(code(value));
export const flagLabel = (value) => FLAGS[code(value)] ?? humanise(code(value));
/** A tone for a badge's colour: ok, busy, idle, warn, bad or off. */
export const tone = (value) => TONES[code(value)] ?? "idle";
// The bucket lengths of a trend (GET /api/v1/stats/queues/series?bucket=).
const BUCKETS = {
  quarter_hour: "Quarter hour", half_hour: "Half hour", hour: "Hour", day: "Day", week: "Week", month: "Month",
};
export const bucketLabel = (value) => BUCKETS[code(value)] ?? humanise(code(value));

// The admin page: a queue rule's field (GET/PUT /api/v1/queues/{queue}), a choice's value, a role.
const RULES = {
  ring_timeout_s: "Ring timeout", wrap_up_s: "Wrap-up time", strategy: "Agent order", max_wait_s: "Longest wait",
  retry_delay_s: "Retry delay", allow_early_wrap_up_end: "Agents may end wrap-up early",
  dialed_numbers: "Dialled numbers", vip_min_tier: "VIP minimum tier", vip_overflow_s: "VIP wait for tier",
  sticky: "Returning callers to their manager", manager_wait_s: "Wait for personal manager",
  required_skills: "Required skills", skill_order: "Skill order", skill_relax_s: "Wait for skilled agent",
  max_no_answer: "Misses before auto-pause", max_queue_length: "Most waiting calls",
  overflow_queue: "Overflow queue", fallback: "Fallback destination", max_call_lifetime_s: "Longest call life",
};
const CHOICES = { "": "Default", longest_idle: "Longest idle first", round_robin: "Round robin",
  fewest_calls: "Fewest calls first", highest_first: "Highest level first", lowest_first: "Lowest level first" };
const ROLES = { admin: "Admin", supervisor: "Supervisor", agent: "Agent", messaging: "Messaging (chat widget)" };
// The gateway users' roles (services/gateway/users.py ROLES), in the order forms offer them.
export const USER_ROLES = ["agent", "supervisor", "admin", "messaging"];
export const ruleLabel = (field) => RULES[field] ?? humanise(String(field).replace(/_s$/, ""));
export const choiceLabel = (value) => CHOICES[value] ?? humanise(value);
export const roleLabel = (value) => ROLES[value] ?? humanise(value);

// What a task is about (tasks API subject_kind).
const SUBJECTS = { call: "Call", lead: "Lead", client: "Client", agent: "Agent" };
export const subjectLabel = (value) => SUBJECTS[value] ?? humanise(value);

// Where a conversation stands (issue 21: "CONVERSATION_STATE_UNANSWERED" or "unanswered").
const CONVERSATION_STATES = { new: "New", taken: "Taken", unanswered: "Unanswered", answered: "Answered",
  closed: "Closed", unspecified: "Unknown" };
const conversationCode = (value) => String(value || "").replace(/^CONVERSATION_STATE_/, "").toLowerCase();
export const conversationStateLabel = (value) =>
  CONVERSATION_STATES[conversationCode(value)] ?? humanise(conversationCode(value));

// Why a conversation was closed (its close_reason).
const CLOSE_REASONS = { agent: "by the agent", supervisor: "by a supervisor", idle: "the customer went quiet" };
export const closeReasonLabel = (value) => (value ? CLOSE_REASONS[value] ?? humanise(value) : "");

// Whom a conversation's routing rule lets take it now (its stage: "vip" or "ROUTING_STAGE_VIP").
const CONVERSATION_STAGES = { manager: "the personal manager", vip: "VIP agents", skilled: "skilled agents",
  anyone: "any agent" };
export const conversationStageLabel = (value) => {
  const code = String(value || "").replace(/^ROUTING_STAGE_/, "").replace(/^personal_manager$/i, "manager").toLowerCase();
  return code ? CONVERSATION_STAGES[code] ?? humanise(code) : "";
};

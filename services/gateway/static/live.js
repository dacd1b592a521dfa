// Live refresh for the pages: follows the server-sent event stream (/api/v1/events) and calls
// `refresh` at most every 250 ms while changes arrive, as the board does. The indicator element
// (#live) reads "live", or "reconnecting…" while the stream is lost (EventSource reconnects by
// itself; a stream the server closed, e.g. over its quota, is opened again after 2 s). A page
// opens one stream however many of its panels follow it (the server counts each user's streams).

const followers = new Set();
let source = null;

function connect() {
  source = new EventSource("/api/v1/events");
  source.onopen = () => { for (const f of followers) f.opened(); };
  source.onmessage = (message) => { for (const f of followers) f.message(message); };
  for (const f of followers) f.listen(source);
  source.onerror = () => {
    for (const f of followers) f.lost();
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

/** Starts following; returns `schedule`, which asks for a refresh (coalesced) by hand.
 * `only(event)`: refresh for the events it accepts (the summary, parsed), every one without. */
export function follow(refresh, { indicator = document.getElementById("live"), on = {}, only = null } = {}) {
  let pending = null;
  const schedule = () => {
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 250);
  };
  const show = (state, text) => {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.textContent = text;
  };
  const follower = {
    opened: () => { show("live", "live"); schedule(); },
    lost: () => show("lost", "reconnecting…"),
    message: (message) => {
      if (!only) return schedule();
      try { if (only(JSON.parse(message.data))) schedule(); } catch { schedule(); }
    },
    listen: (s) => { for (const [type, handler] of Object.entries(on)) s.addEventListener(type, handler); },
  };
  followers.add(follower);
  if (source === null) connect();
  else {
    follower.listen(source);
    if (source.readyState === EventSource.OPEN) follower.opened();
  }
  return schedule;
}

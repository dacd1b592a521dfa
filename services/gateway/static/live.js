// Live refresh for the pages: follows the server-sent event stream (/api/v1/events) and calls
// `refresh` at most every 250 ms while changes arrive, as the board does. The indicator element
// (#live) reads "live", or "reconnecting…" while the stream is lost (EventSource reconnects by
// itself; a stream the server closed, e.g. over its quota, is opened again after 2 s).

/** Starts following; returns `schedule`, which asks for a refresh (coalesced) by hand. */
export function follow(refresh, { indicator = document.getElementById("live"), on = {} } = {}) {
  let pending = null;
  const schedule = () => {
    if (!pending) pending = setTimeout(() => { pending = null; refresh(); }, 250);
  };
  const show = (state, text) => {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.textContent = text;
  };
  const connect = () => {
    const source = new EventSource("/api/v1/events");
    source.onopen = () => { show("live", "live"); schedule(); };
    source.onmessage = () => schedule();
    for (const [type, handler] of Object.entries(on)) source.addEventListener(type, handler);
    source.onerror = () => {
      show("lost", "reconnecting…");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  };
  connect();
  return schedule;
}

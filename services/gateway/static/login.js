document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const reply = await fetch("/api/v1/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
    body: JSON.stringify({ username: document.getElementById("username").value,
      password: document.getElementById("password").value }),
  });
  if (reply.ok) { location.href = "/"; return; }
  const body = await reply.json().catch(() => ({}));
  error.textContent = body.error || `HTTP ${reply.status}`;
});

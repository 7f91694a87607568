// Click-to-call buttons (ticket, customer, callback): the agent's phone rings first, then the customer.
// Each rendered button carries its own key; the server makes a double click one call.
(function () {
  "use strict";
  function show(status, text, state, ok) {
    status.textContent = text || "";
    status.className = "dial-status " + (ok ? "ok" : "error");
    status.dataset.state = state || "";
  }

  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest(".dial-button") : null;
    if (!b) return;
    var d = b.dataset, status = b.parentNode.querySelector(".dial-status");
    status.textContent = d.tCalling;
    status.className = "dial-status";
    var body = { key: d.key, number: d.number };
    if (d.ticket) body.ticket_id = Number(d.ticket);
    if (d.customer) body.customer_id = Number(d.customer);
    if (d.callback) body.callback_id = Number(d.callback);
    fetch(d.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (r) {
      show(status, r.body.message, r.ok ? r.body.status : r.body.error, r.ok);
    }).catch(function () { show(status, d.tOffline, "offline", false); });
  });
})();

// Transfers from the desk: blind to a colleague, a queue or a number; consult first, then complete or cancel.
// The ticket open in the pop (or just filed) goes with the call.
(function () {
  "use strict";
  var box = document.getElementById("transfer"), desk = document.getElementById("desk");
  if (!box) return;
  var d = box.dataset, status = document.getElementById("transfer-status");

  function val(id) { return document.getElementById(id).value; }
  function show(text, state, ok) {
    status.textContent = text || "";
    status.className = "dial-status " + (ok ? "ok" : "error");
    status.dataset.state = state || "";
  }
  function send(url, body) {
    var ticket = desk && desk.dataset.ticketId;
    if (ticket) body.ticket_id = Number(ticket);
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (r) {
      show(r.body.message, r.ok ? r.body.mode : r.body.error, r.ok);
    }).catch(function () { show(d.tOffline, "offline", false); });
  }
  function on(id, fn) { document.getElementById(id).addEventListener("click", fn); }

  on("transfer-blind", function () { send(d.url, { mode: "blind", kind: "agent", target: val("transfer-agent") }); });
  on("transfer-consult", function () { send(d.url, { mode: "attended", kind: "agent", target: val("transfer-agent") }); });
  on("transfer-complete", function () { send(d.completeUrl, { target: val("transfer-agent") }); });
  on("transfer-cancel", function () { send(d.cancelUrl, {}); });
  on("transfer-to-queue", function () { send(d.url, { mode: "blind", kind: "queue", target: val("transfer-queue") }); });
  on("transfer-to-number", function () { send(d.url, { mode: "blind", kind: "number", target: val("transfer-number") }); });
})();

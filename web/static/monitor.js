// Supervisor monitoring on the wallboard: "Listen" on an agent rings the supervisor's phone;
// whisper, barge and listen switch modes without ringing again; stop hangs up.
(function () {
  "use strict";
  var box = document.getElementById("monitor");
  if (!box) return;
  var d = box.dataset, status = document.getElementById("monitor-status");

  function send(url, body) {
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (r) {
      status.textContent = r.body.message || "";
      status.className = "dial-status " + (r.ok ? "ok" : "error");
      status.dataset.state = r.ok ? r.body.mode : r.body.error;
    }).catch(function () { status.textContent = d.tOffline; status.dataset.state = "offline"; });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var listen = t.closest(".monitor-listen");
    if (listen) { send(d.url, { agent_id: Number(listen.dataset.agent) }); return; }
    var mode = t.closest("#monitor [data-mode]");
    if (mode) { send(d.modeUrl, { mode: mode.dataset.mode }); return; }
    if (t.closest("#monitor-stop")) send(d.stopUrl, {});
  });
})();

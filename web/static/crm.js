// The pop's CRM panel: once a pop is on screen (desk.js's cc:pop), ask our server what the CRM knows of the
// caller (web/desk/crm.py; the server asks the CRM, never this browser), show the mapped fields, and fill
// the intake form's fields that pre-fill from crm.<name> and are still empty (the agent's typing wins).
(function () {
  "use strict";
  var root = document.getElementById("desk"), panel = document.getElementById("pop-crm");
  if (!root || !panel) return;
  var d = panel.dataset, list = document.getElementById("pop-crm-fields"),
      state = document.getElementById("pop-crm-state"), current = "", answer = null;

  function say(text, kind) {
    state.textContent = text || "";
    panel.dataset.state = kind;
  }

  function show(a) {
    answer = a;
    list.replaceChildren();
    if (a.state === "found") {
      a.fields.forEach(function (f) {
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = f.label;
        dd.textContent = f.value;
        dd.dataset.field = f.name;
        list.append(dt, dd);
      });
      say(a.fields.length ? "" : d.tNothing, "found");
    } else if (a.state === "not_found") {
      say(d.tNotFound, "not_found");
    } else {
      say(d.tUnavailable, "unavailable");
    }
    prefill();
  }

  // Empty fields of the pop's form that pre-fill from the CRM; an input event lets the draft save them.
  function prefill() {
    if (!answer || answer.state !== "found") return;
    answer.fields.forEach(function (f) {
      document.querySelectorAll('#pop-form [data-crm="' + f.name + '"]').forEach(function (input) {
        if (input.value || input.dataset.crmFilled) return;
        if (input.tagName === "SELECT" && !Array.prototype.some.call(input.options, function (o) { return o.value === f.value; })) return;
        input.value = f.value;
        input.dataset.crmFilled = "1";
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  }

  function follow(p) {
    var call = p && p.call_id ? String(p.call_id) : "";
    if (call === current && answer) { prefill(); return; }
    current = call;
    answer = null;
    list.replaceChildren();
    panel.hidden = !call;  // the softphone's stand-in pop has no call row yet
    if (!call) return;
    say(d.tAsking, "asking");
    fetch(d.url.replace("/0/", "/" + call + "/"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (a) { if (call === current) show(a); })
      .catch(function () { if (call === current) show({ state: "unavailable", fields: [] }); });
  }

  root.addEventListener("cc:pop", function (e) { follow(e.detail); });
  root.addEventListener("cc:pop-closed", function () { follow(null); });
  new MutationObserver(prefill).observe(document.getElementById("pop-form"), { childList: true });
  if (window.ccDesk && window.ccDesk.current()) follow(window.ccDesk.current());
})();

// The desk's state bar: sign in to queues, available, pause with a reason, the wrap-up countdown and Ready.
// The server holds the state (the AMI bridge starts and ends wrap-ups); the bar reads it every few seconds.
(function () {
  "use strict";
  var root = document.getElementById("presence");
  if (!root) return;
  var t = root.dataset, url = t.url, csrf = t.csrf, shown = null, fetchedAt = 0, busy = false;
  var POLL_MS = 3000;

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value == null ? "" : String(value); }
  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function elapsed() { return (Date.now() - fetchedAt) / 1000; }

  function fail(message) {
    var e = el("presence-error");
    e.hidden = !message;
    text(e, message ? t.tFailed.replace("__E__", message) : "");
  }

  function options(select, items, keep) {
    var before = keep ? select.value : null;
    select.innerHTML = "";
    items.forEach(function (item) {
      var o = document.createElement("option");
      o.value = item.value; text(o, item.label); select.appendChild(o);
    });
    if (before) select.value = before;
  }

  function renderChoices(s) {
    var phones = s.options.phones.map(function (p) { return { value: p, label: t["t" + p[0].toUpperCase() + p.slice(1)] || p }; });
    options(el("presence-phone"), phones, true);
    var box = el("presence-queues"), legend = box.querySelector("legend");
    var ticked = {};
    box.querySelectorAll("input").forEach(function (i) { ticked[i.value] = i.checked; });
    box.innerHTML = ""; box.appendChild(legend);
    if (!s.options.queues.length) { var n = document.createElement("span"); text(n, t.tNoQueues); box.appendChild(n); }
    s.options.queues.forEach(function (q) {
      var label = document.createElement("label"), box2 = document.createElement("input");
      box2.type = "checkbox"; box2.name = "queues"; box2.value = q;
      box2.checked = q in ticked ? ticked[q] : (s.queues.length ? s.queues.indexOf(q) >= 0 : true);
      label.appendChild(box2); label.appendChild(document.createTextNode(" " + q)); box.appendChild(label);
    });
    options(el("presence-reason-select"), s.options.pause_codes.map(function (c) { return { value: c.code, label: c.label }; }), true);
  }

  function render(s) {
    var first = shown === null;
    shown = s; fetchedAt = Date.now();
    root.dataset.state = s.state;
    var badge = el("presence-state");
    badge.className = "badge state-" + s.state;
    text(badge, t["t" + s.state.charAt(0).toUpperCase() + s.state.slice(1)] || s.state);
    text(el("presence-reason"), s.reason_label || "");
    var out = s.state === "signed_out";
    el("presence-signin").hidden = !out;
    el("presence-actions").hidden = out;
    el("presence-ready").hidden = s.state !== "wrap_up";
    el("presence-available").hidden = s.state !== "paused";  // after a call, Ready ends the wrap-up
    if (first || out) renderChoices(s);
    else if (!el("presence-reason-select").options.length) renderChoices(s);
    tick();
  }

  function tick() {
    if (!shown) return;
    var since = el("presence-since"), count = el("presence-countdown");
    if (shown.since && shown.state !== "signed_out") {
      var at = new Date(shown.since);
      text(since, t.tSince.replace("__T__", at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))
        + " · " + clock(shown.seconds_in_state + elapsed()));
    } else { text(since, ""); }
    count.hidden = shown.wrapup_remaining == null;
    if (!count.hidden) {
      var left = shown.wrapup_remaining - elapsed();
      text(count, t.tLeft.replace("__S__", clock(left)));
      count.dataset.seconds = String(Math.max(0, Math.round(left)));
    }
  }

  function load() {
    if (busy) return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && !busy) render(s); })
      .catch(function () {});
  }

  function post(path, body) {
    busy = true; fail(null);
    return fetch(url + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return { error: String(r.status) }; }).then(function (d) {
        if (!r.ok) { fail(d.error || String(r.status)); return; }
        render(d);
      });
    }).catch(function (e) { fail(e.message); }).then(function () { busy = false; });
  }

  el("presence-signin").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var queues = [];
    el("presence-queues").querySelectorAll("input:checked").forEach(function (i) { queues.push(i.value); });
    post("/sign-in", { phone: el("presence-phone").value, queues: queues });
  });
  el("presence-available").addEventListener("click", function () { post("/available"); });
  el("presence-pause").addEventListener("click", function () { post("/pause", { reason: el("presence-reason-select").value }); });
  el("presence-ready").addEventListener("click", function () { post("/ready"); });
  el("presence-signout").addEventListener("click", function () { post("/sign-out"); });

  load();
  setInterval(load, POLL_MS);
  setInterval(tick, 1000);
})();

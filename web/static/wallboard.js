// Wallboard: snapshots pushed by the server; waiting times tick locally every second.
(function () {
  "use strict";
  var root = document.getElementById("wallboard");
  if (!root) return;
  var t = root.dataset, states = JSON.parse(t.states), last = null;
  var presence = JSON.parse(t.presence), reasons = JSON.parse(t.reasons), channels = JSON.parse(t.channels);
  function declared(a, now) {
    if (!a.presence) return "";
    var parts = [presence[a.presence] || a.presence];
    if (a.reason) parts.push(reasons[a.reason] || a.reason);
    if (a.presence !== "signed_out" && a.presence_since) parts.push(dur(now - a.presence_since));
    return parts.join(" · ");
  }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  // Durations read as durations ("3 min 20 s"), never as a time of day ("3:20").
  function dur(s) { return window.ccDuration(s, t); }
  function pct(v) { return v == null ? "–" : Math.round(v * 100) + "%"; }

  function render() {
    if (!last) return;
    var now = Date.now() / 1000;
    // The centre's clock, written the reader's way (not the browser's zone or language).
    document.getElementById("wb-clock").textContent = new Date().toLocaleTimeString(t.lang, {timeZone: t.zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
    // Incident mode: a surge the watch proposes (a supervisor decides on the ticket) and open incidents.
    var inc = document.getElementById("wb-incidents"); inc.innerHTML = "";
    (last.incidents || []).forEach(function (i) {
      var box = el("div", "wb-incident " + i.status); box.dataset.incident = i.id;
      // A proposal without a ticket is the call watch's: a queue's calls surging before any ticket.
      var text = i.status === "proposed"
        ? (i.number ? t.tSurge : t.tCallSurge).replace("{n}", i.seen).replace("{m}", i.minutes)
        : t.tIncident.replace("{n}", i.subscribers);
      box.appendChild(el("strong", null, text + " "));
      var scope = i.queue || i.category;
      if (scope) box.appendChild(el("span", null, scope + " · "));
      if (i.number) {
        var a = el("a", null, "#" + i.number + " " + (i.subject || ""));
        a.href = inc.dataset.url.replace(/0$/, i.number) + "#incident"; box.appendChild(a);
      }
      inc.appendChild(box);
    });
    // Transcription: its queue's depth, how far it is behind the calls (a gauge against the alert), an alert.
    var tx = last.transcription;
    if (tx) {
      document.getElementById("wb-tx-queued").textContent = tx.queued;
      document.getElementById("wb-tx-running").textContent = tx.running;
      document.getElementById("wb-tx-behind-text").textContent = tx.behind ? dur(tx.behind) : "–";
      var gauge = document.getElementById("wb-tx-behind");
      gauge.max = tx.alert_after * 2; gauge.low = tx.alert_after / 2; gauge.high = tx.alert_after; gauge.value = Math.min(tx.behind, tx.alert_after * 2);
      if (tx.behind >= tx.alert_after) {
        var late = el("div", "wb-incident proposed wb-behind");
        late.appendChild(el("strong", null, t.tBehind.replace("{n}", dur(tx.behind))));
        inc.appendChild(late);
      }
    }
    var qs = document.getElementById("wb-queues"); qs.innerHTML = "";
    last.queues.forEach(function (q) {
      var card = el("div", "wb-queue" + (q.waiting > 0 ? " busy" : ""));
      card.appendChild(el("h2", null, t.zh ? q.name_zh : q.name));
      var big = el("div", "wb-pair");
      var w = el("div"); w.appendChild(el("div", "wb-num", String(q.waiting))); w.appendChild(el("div", null, t.tWaiting)); big.appendChild(w);
      var l = el("div"); l.appendChild(el("div", "wb-num" + (q.oldest_at && now - q.oldest_at > 60 ? " bad" : ""), q.oldest_at ? dur(now - q.oldest_at) : "–"));
      l.appendChild(el("div", null, t.tLongest)); big.appendChild(l);
      card.appendChild(big);
      var small = el("div", "wb-pair small");
      // Service level against the queue's own target: "84% / 80%", marked when below it.
      var below = q.service_level != null && q.target != null && q.service_level < q.target;
      [[pct(q.service_level) + (q.target != null ? " / " + pct(q.target) : ""), t.tSl, below],
       [String(q.abandoned), t.tAbandoned], [String(q.answered), t.tAnswered]].forEach(function (p) {
        var d = el("div"); d.appendChild(el("div", "wb-mid" + (p[2] ? " bad" : ""), p[0])); d.appendChild(el("div", null, p[1])); small.appendChild(d);
      });
      card.appendChild(small);
      qs.appendChild(card);
    });
    // Written channels: customers whose last word is unanswered, and the longest of those waits.
    var ch = document.getElementById("wb-channels"); ch.innerHTML = "";
    (last.channels || []).forEach(function (c) {
      var card = el("div", "wb-queue wb-channel" + (c.waiting > 0 ? " busy" : ""));
      card.dataset.channel = c.channel;
      card.appendChild(el("h2", null, channels[c.channel] || c.channel));
      var big = el("div", "wb-pair");
      var w = el("div"); w.appendChild(el("div", "wb-num wb-waiting", String(c.waiting))); w.appendChild(el("div", null, t.tUnanswered)); big.appendChild(w);
      var l = el("div"); l.appendChild(el("div", "wb-num wb-oldest", c.oldest_at ? dur(now - c.oldest_at) : "–"));
      l.appendChild(el("div", null, t.tLongest)); big.appendChild(l);
      card.appendChild(big);
      ch.appendChild(card);
    });
    var ag = document.getElementById("wb-agents"); ag.innerHTML = "";
    last.agents.forEach(function (a) {
      var tr = el("tr", "state-" + a.state);
      tr.appendChild(el("td", "wb-name", a.name));
      tr.appendChild(el("td", null, (states[a.state] || a.state) + (a.since ? " · " + dur(now - a.since) : "")));
      tr.appendChild(el("td", "wb-presence" + (a.presence ? " presence-" + a.presence : ""), declared(a, now)));
      tr.appendChild(el("td", null, a.calls + " " + t.tCalls));
      tr.appendChild(el("td", null, a.tickets + " " + t.tTickets));
      if (t.tListen && a.id) {  // supervisors listen in from here (monitor.js)
        var td = el("td"), b = el("button", "monitor-listen", t.tListen);
        b.type = "button"; b.dataset.agent = a.id; td.appendChild(b); tr.appendChild(td);
      }
      ag.appendChild(tr);
    });
    document.getElementById("wb-cb-due").textContent = last.callbacks_due;
    var od = document.getElementById("wb-cb-overdue");
    od.textContent = last.callbacks_overdue; od.className = "wb-num" + (last.callbacks_overdue ? " bad" : "");
    var sla = document.getElementById("wb-sla"); sla.innerHTML = "";
    if (!last.sla.length) sla.appendChild(el("li", "muted", t.tNone));
    last.sla.forEach(function (s) { sla.appendChild(el("li", "sla-" + s.state, s.number + " · " + s.subject)); });
  }

  var source = new EventSource(t.events);
  function link(on) {
    var b = document.getElementById("wb-link");
    b.className = "badge " + (on ? "on" : "off"); b.textContent = on ? "●" : "○"; b.title = on ? b.dataset.tOn : b.dataset.tOff;
  }
  source.onopen = function () { link(true); };
  source.onerror = function () { link(false); };
  source.addEventListener("snapshot", function (e) { last = JSON.parse(e.data); render(); });
  // A newer stream of the same user took this one's slot: stop, or the two would take turns.
  source.addEventListener("replaced", function () {
    source.close();
    link(false); document.getElementById("wb-link").title = t.tReplaced;
  });
  setInterval(render, 1000);
})();

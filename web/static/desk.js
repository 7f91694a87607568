// The agent desk: pops pushed by the server (SSE) and kept there until handled, so a reload or a second
// tab shows the same callers. One pop is on screen, the others wait in a small list the agent can switch
// to; once a pop is handled (deskform.js), "Next caller" takes the oldest waiting one.
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;
  var t = root.dataset;
  // pops: the open pops, oldest first (the server's order); current: the pop on screen (or a stand-in
  // for the softphone's ring); done: current was handled here and shows its result; ending: one of its
  // ends is on its way to the server. arrived/gone: what the stream said while the list was on its way.
  var pops = [], current = null, done = false, ending = false, arrived = {}, gone = {}, syncs = 0;

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value == null ? "" : String(value); }
  function li(list, value) { var i = document.createElement("li"); text(i, value); list.appendChild(i); }
  // links (optional): an address per line, where the line opens ("" for none).
  function fill(id, lines, links) {
    var list = el(id);
    list.innerHTML = "";
    (lines && lines.length ? lines : ["—"]).forEach(function (x, i) {
      var href = links && links[i];
      if (!href) { li(list, x); return; }
      var item = document.createElement("li"), a = document.createElement("a");
      a.href = href; text(a, x); item.appendChild(a); list.appendChild(item);
    });
  }
  function indexOf(key) { for (var i = 0; i < pops.length; i++) { if (pops[i].key === key) return i; } return -1; }
  function isCurrent(key) { return !!current && !current.phoneOnly && current.key === key; }
  function waiting() { return pops.filter(function (p) { return !isCurrent(p.key); }); }
  function stateLabel(p) { return { ringing: t.tRinging, answered: t.tAnswered, ended: t.tEnded }[p.state] || ""; }

  function setLink(ok) {
    var b = el("link-state");
    b.className = "badge " + (ok ? "on" : "off");
    text(b, ok ? "●" : "○");
    b.title = ok ? t.tLive : t.tReconnecting;
    b.setAttribute("aria-label", b.title);
  }

  // The callers waiting behind this one, each a button to switch to; and the way on once it is handled.
  function renderWaiting() {
    var others = waiting(), list = el("pop-list");
    list.innerHTML = "";
    others.forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "pop-pick"; b.dataset.key = p.key;
      text(b, [p.caller_number || t.tUnknown, p.customer ? p.customer.name : p.caller_name, stateLabel(p)]
        .filter(Boolean).join(" · "));
      var item = document.createElement("li");
      item.appendChild(b);
      list.appendChild(item);
    });
    el("pop-waiting").hidden = others.length === 0;
    text(el("pop-queue-count"), t.tQueued.replace("__N__", others.length));
    var next = el("pop-next");
    next.hidden = !done;
    text(next, others.length ? t.tNext.replace("__N__", others.length) : t.tBack);
  }

  function renderState() {
    var s = el("pop-state"), label = current && !done ? stateLabel(current) : "";
    s.hidden = !label;
    s.className = "badge " + ({ answered: "on", ended: "ended" }[current && current.state] || "warn");
    text(s, label);
  }

  function renderPop(p) {
    var pop = el("pop"), v = p.view || {};
    el("idle").hidden = true;
    pop.hidden = false;
    pop.dataset.key = p.key;
    pop.classList.remove("withdrawn");
    text(el("pop-hint"), "");
    text(el("pop-number"), p.caller_number || t.tUnknown);
    text(el("pop-name"), p.customer ? p.customer.name : (p.caller_name || ""));
    var vip = el("pop-vip");
    vip.hidden = !v.vip;
    text(vip, v.vip);
    text(el("pop-meta"), v.meta);
    // A transferred call comes with its ticket: it is open here at once.
    var tl = el("pop-ticket");
    tl.hidden = !p.ticket;
    root.dataset.ticketId = p.ticket ? p.ticket.id : "";
    if (p.ticket) {
      tl.href = t.ticketUrl.replace("/0", "/" + encodeURIComponent(p.ticket.number));
      text(tl, t.tTicket.replace("__N__", p.ticket.number) + " · " + p.ticket.subject);
    }
    fill("pop-ivr", v.ivr);
    var tickets = (v.tickets || []).slice();
    if (p.restricted_tickets) tickets.push(t.tRestricted.replace("__N__", p.restricted_tickets));
    fill("pop-tickets", tickets);
    fill("pop-history", v.history, v.history_links);
    if (p.call_id) window.ccForm.load(p.call_id, null, (p.ivr && p.ivr.category) || p.queue);
    else window.ccForm.clear();
    renderState();
    renderWaiting();
    root.dispatchEvent(new CustomEvent("cc:pop", { detail: p }));
  }

  function show(p) { current = p; done = false; ending = false; renderPop(p); }

  // The pop on screen goes (handled, withdrawn, or the agent moves on): the oldest waiting one follows.
  function closePop() {
    current = null; done = false; ending = false;
    el("pop").hidden = true;
    el("idle").hidden = false;
    window.ccForm.clear();
    root.dataset.ticketId = "";
    root.dispatchEvent(new CustomEvent("cc:pop-closed"));
    if (pops.length) show(pops[0]); else renderWaiting();
  }
  function showFirstIfIdle() { if (!current && pops.length) show(pops[0]); else renderWaiting(); }

  function setState(key, state) {
    var i = indexOf(key);
    if (i >= 0) pops[i].state = state;
    if (isCurrent(key)) { current.state = state; renderState(); }
    renderWaiting();
  }

  function remove(key) {
    gone[key] = true;
    delete arrived[key];
    var i = indexOf(key);
    if (i >= 0) pops.splice(i, 1);
  }

  // The server's list is the queue (after a reload, in a second tab, after a reconnect); what the stream
  // said while it was on its way wins.
  function sync() {
    var mine = ++syncs;
    arrived = {}; gone = {};
    fetch(t.popsUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (body) {
      if (mine !== syncs) return;
      var fresh = [];
      body.pops.forEach(function (p) {
        if (gone[p.key]) return;
        var i = indexOf(p.key);
        if (i >= 0) { pops[i].state = p.state; p = pops[i]; }
        fresh.push(p);
      });
      pops.forEach(function (p) { if (arrived[p.key] && fresh.indexOf(p) < 0) fresh.push(p); });
      pops = fresh;
      if (current && !current.phoneOnly && !done && indexOf(current.key) < 0) { closePop(); return; }
      if (current && current.phoneOnly && window.ccPhone) {
        var match = pops.filter(window.ccPhone.matches)[0];
        if (match) { show(match); return; }
      }
      if (current && !current.phoneOnly && !done) renderState();
      showFirstIfIdle();
    }).catch(function () { setLink(false); });
  }

  function onPop(p) {
    p.received_at = Date.now() / 1000;
    window.__lastPop = p;
    arrived[p.key] = true;
    delete gone[p.key];
    var i = indexOf(p.key);
    if (i >= 0) { pops[i].state = p.state; p = pops[i]; } else pops.push(p);  // one pop per call
    if (current && current.phoneOnly && window.ccPhone && window.ccPhone.matches(p)) { show(p); return; }
    showFirstIfIdle();
  }

  function onGone(d) {
    var shown = isCurrent(d.key) && !done && !ending;
    remove(d.key);
    if (shown) { el("pop").classList.add("withdrawn"); closePop(); } else renderWaiting();
  }

  // The softphone (softphone.js) rings: its call's pop comes forward, or a pop from the SIP INVITE
  // alone stands in until the bridge's pop arrives (ring, pop and answer are one panel).
  function showCall(match, number, name) {
    if (current && !current.phoneOnly && match(current)) return current;
    show(pops.filter(match)[0] || { key: "phone", phoneOnly: true, caller_number: number, caller_name: name });
    return current;
  }
  // A stand-in pop goes with its call; a real pop stays until it is handled.
  function releaseCall() { if (current && current.phoneOnly) closePop(); }

  window.ccDesk = {
    showCall: showCall, releaseCall: releaseCall, current: function () { return current; },
    // deskform.js: an end of the current pop is on its way (true), or was refused (false).
    ending: function (on) {
      ending = on;
      if (!on && current && !current.phoneOnly && !done && indexOf(current.key) < 0) closePop();  // handled elsewhere
    },
    // deskform.js: the current pop is handled here; its result stays until the agent moves on.
    handled: function () {
      if (!current) return;
      ending = false;
      remove(current.key);
      done = true;
      renderState();
      renderWaiting();
      el("pop-next").focus();
    }
  };

  el("pop-next").addEventListener("click", function () {
    if (window.ccPhone && window.ccPhone.busy()) { text(el("pop-hint"), t.tHangUpFirst); return; }
    closePop();
  });
  el("pop-list").addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".pop-pick");
    var i = b ? indexOf(b.dataset.key) : -1;
    if (i >= 0) show(pops[i]);
  });

  // A rule's approval on one of this agent's tickets was given or refused: said at the top, with the ticket.
  function notice(d) {
    var item = document.createElement("li"), a = document.createElement("a");
    var words = (d.approved ? t.tApproved : t.tRejected).replace("__P__", d.by).replace("__R__", d.rule);
    var parts = words.split("__N__");
    item.className = d.approved ? "notice ok" : "notice bad";
    item.appendChild(document.createTextNode(parts[0]));
    a.href = t.ticketUrl.replace("/0", "/" + encodeURIComponent(d.number));
    text(a, d.number);
    a.setAttribute("translate", "no");
    item.appendChild(a);
    item.appendChild(document.createTextNode(parts.slice(1).join(d.number)));
    el("notices").prepend(item);
  }

  function connect() {
    var source = new EventSource(t.events);
    function on(name, handle) { source.addEventListener(name, function (e) { handle(JSON.parse(e.data)); }); }
    source.onopen = function () { setLink(true); sync(); };
    source.onerror = function () { setLink(false); };
    on("pop", onPop);
    on("withdraw", onGone);
    on("handled", onGone);
    on("answered", function (d) { setState(d.key, "answered"); });
    on("ended", function (d) { setState(d.key, "ended"); });
    on("approval", notice);
    // The user opened one stream too many: this, the oldest, stops (reconnecting would end the newest).
    on("replaced", function () {
      source.close();
      setLink(false);
      el("link-state").title = t.tReplaced;
      window.alert(t.tReplaced);
    });
  }
  connect();
})();

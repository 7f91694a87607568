// The agent desk: server-pushed pops (SSE), the intake form, drafts as you type.
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;
  var t = root.dataset, csrf = t.csrf, queue = [], current = null, saveTimer = null;

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value == null ? "" : String(value); }
  function li(list, value) { var i = document.createElement("li"); text(i, value); list.appendChild(i); }

  function setLink(ok) {
    var b = el("link-state");
    b.className = "badge " + (ok ? "on" : "off");
    text(b, ok ? "●" : "○");
    b.title = ok ? "live" : "reconnecting";
  }

  function showNext() {
    if (current || !queue.length) { updateQueueCount(); return; }
    current = queue.shift();
    renderPop(current);
    updateQueueCount();
  }

  function updateQueueCount() {
    var c = el("pop-queue-count");
    c.hidden = queue.length === 0;
    text(c, t.tQueued.replace("__N__", queue.length));
  }

  function renderPop(p) {
    el("idle").hidden = true;
    var pop = el("pop");
    pop.hidden = false;
    pop.dataset.key = p.key;
    pop.classList.remove("withdrawn");
    text(el("pop-number"), p.caller_number || t.tUnknown);
    text(el("pop-name"), p.customer ? p.customer.name : (p.caller_name || ""));
    var vip = el("pop-vip");
    vip.hidden = !(p.customer && p.customer.vip_tier && p.customer.vip_tier !== "none");
    if (!vip.hidden) text(vip, t.tVip + " · " + p.customer.vip_tier);
    var meta = [];
    if (p.queue) meta.push(p.queue);
    if (p.wait_seconds != null) meta.push(t.tWaited.replace("__S__", Math.round(p.wait_seconds)));
    text(el("pop-meta"), meta.join(" · "));
    el("pop-state").hidden = true;
    // A transferred call comes with its ticket: it is open here at once.
    var tl = el("pop-ticket");
    tl.hidden = !p.ticket;
    root.dataset.ticketId = p.ticket ? p.ticket.id : "";
    if (p.ticket) {
      tl.href = t.ticketUrl.replace("/0", "/" + encodeURIComponent(p.ticket.number));
      text(tl, t.tTicket.replace("__N__", p.ticket.number) + " · " + p.ticket.subject);
    }
    var ivr = el("pop-ivr"); ivr.innerHTML = "";
    Object.keys(p.ivr || {}).forEach(function (k) {
      var v = p.ivr[k]; li(ivr, k + ": " + (Array.isArray(v) ? v.join(" › ") : v));
    });
    var tk = el("pop-tickets"); tk.innerHTML = "";
    (p.open_tickets || []).forEach(function (x) { li(tk, x.number + " · " + x.subject + " (" + x.status + ")"); });
    if (p.restricted_tickets) li(tk, t.tRestricted.replace("__N__", p.restricted_tickets));
    var hs = el("pop-history"); hs.innerHTML = "";
    (p.history || []).forEach(function (x) { li(hs, x.at.slice(0, 16).replace("T", " ") + " · " + (x.queue || "") + " · " + (x.disposition || "")); });
    if (p.call_id) loadForm(p.call_id, null, (p.ivr && p.ivr.category) || p.queue);
    else el("pop-form").innerHTML = "";
    root.dispatchEvent(new CustomEvent("cc:pop", { detail: p }));
  }

  function closePop() {
    current = null; el("pop").hidden = true; el("idle").hidden = false;
    root.dispatchEvent(new CustomEvent("cc:pop-closed"));
    showNext();
  }

  // The softphone (softphone.js) rings: its call's pop comes forward, or a pop from the SIP INVITE
  // alone stands in until the bridge's pop arrives (ring, pop and answer are one panel).
  function showCall(match, number, name) {
    if (current && !current.phoneOnly && match(current)) return current;
    var i = queue.findIndex(match);
    if (current && !current.phoneOnly) queue.unshift(current);
    current = i >= 0 ? queue.splice(i + (current && !current.phoneOnly ? 1 : 0), 1)[0]
      : { key: "phone", phoneOnly: true, caller_number: number, caller_name: name };
    renderPop(current);
    updateQueueCount();
    return current;
  }
  // A stand-in pop goes with its call; a real pop stays for its form.
  function releaseCall() { if (current && current.phoneOnly) closePop(); }
  window.ccDesk = { showCall: showCall, releaseCall: releaseCall, current: function () { return current; } };

  function loadForm(callId, slug, category) {
    var url = t.formUrl.replace("/0/", "/" + callId + "/") + (slug ? "?form=" + encodeURIComponent(slug)
      : (category ? "?category=" + encodeURIComponent(category) : ""));
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var holder = el("pop-form");
      holder.innerHTML = html;
      wireForm(holder.querySelector(".intake"));
    }).catch(function (e) { text(el("pop-form"), "error " + e.message); });
  }

  function formData(form) {
    var data = {};
    new FormData(form).forEach(function (v, k) {
      if (k in data) { data[k] = [].concat(data[k], v); } else { data[k] = v; }
    });
    form.querySelectorAll("input[type=checkbox]").forEach(function (c) {
      if (!(c.name in data) && c.closest(".field-multichoice")) data[c.name] = [];
    });
    return data;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(data)
    }).then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }

  function showErrors(box, errors) {
    box.querySelectorAll("[data-error-for]").forEach(function (p) { text(p, ""); });
    Object.keys(errors || {}).forEach(function (k) {
      var p = box.querySelector('[data-error-for="' + k + '"]');
      if (p) text(p, errors[k]);
    });
  }

  function wireForm(box) {
    if (!box) return;
    var form = box.querySelector(".intake-form");
    var state = box.querySelector(".draft-state");
    box.querySelector(".form-picker").addEventListener("change", function (e) {
      loadForm(box.dataset.call, e.target.value);
    });
    form.addEventListener("input", function () {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(function () {
        post(box.dataset.draftUrl, formData(form)).then(function (r) {
          if (r.status === 200) text(state, t.tSaved);
        });
      }, 400);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(saveTimer);
      post(box.dataset.submitUrl, formData(form)).then(function (r) {
        if (r.status === 200) {
          form.hidden = true;
          var done = box.querySelector(".submitted");
          done.hidden = false;
          text(done.querySelector(".ticket-number"), r.body.ticket_number);
          root.dataset.ticketId = r.body.ticket_id;
        } else {
          showErrors(box, r.body.errors || { _: "error" });
        }
      });
    });
    var cust = box.querySelector(".customer-form");
    if (cust) cust.addEventListener("submit", function (e) {
      e.preventDefault();
      post(cust.dataset.url, formData(cust)).then(function (r) {
        if (r.status === 201) loadForm(box.dataset.call, box.dataset.form);
        else showErrors(cust, r.body.errors);
      });
    });
  }

  function finishCurrent(state, label) {
    if (!current) return;
    var s = el("pop-state");
    s.hidden = false; s.className = "badge " + state; text(s, label);
  }

  function connect() {
    var source = new EventSource(t.events);
    source.onopen = function () { setLink(true); };
    source.onerror = function () { setLink(false); };
    source.addEventListener("pop", function (e) {
      var p = JSON.parse(e.data);
      p.received_at = Date.now() / 1000;
      window.__lastPop = p;
      if (current && current.phoneOnly && window.ccPhone && window.ccPhone.matches(p)) {
        current = p; renderPop(p); updateQueueCount(); return;  // the ringing call's own pop
      }
      queue.push(p);
      showNext();
    });
    source.addEventListener("withdraw", function (e) {
      var d = JSON.parse(e.data);
      queue = queue.filter(function (p) { return p.key !== d.key; });
      if (current && current.key === d.key) {
        el("pop").classList.add("withdrawn");
        closePop();
      }
      updateQueueCount();
    });
    source.addEventListener("answered", function (e) {
      var d = JSON.parse(e.data);
      if (current && current.key === d.key) finishCurrent("on", "●");
    });
    // The user opened one stream too many: this, the oldest, stops (reconnecting would end the newest).
    source.addEventListener("replaced", function () {
      source.close();
      setLink(false);
      el("link-state").title = t.tReplaced;
      window.alert(t.tReplaced);
    });
    source.addEventListener("ended", function (e) {
      var d = JSON.parse(e.data);
      queue = queue.filter(function (p) { return p.key !== d.key; });
      if (current && current.key === d.key) finishCurrent("ended", t.tEnded);
      updateQueueCount();
    });
  }

  // The agent closes a finished pop to take the next one in line.
  document.addEventListener("click", function (e) {
    if (e.target && e.target.matches(".submitted, .submitted *")) {
      if (window.ccPhone && window.ccPhone.busy()) return;  // hang up first: the call's controls are here
      closePop();
    }
  });
  connect();
})();

// The pop's intake form and the call's three ends: a new ticket, the call attached to an existing
// ticket, or "no ticket needed" with a reason. Drafts are saved as the agent types. desk.js owns the
// pops; it loads a pop's form here (window.ccForm.load) and hears when the pop is handled.
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;
  var t = root.dataset, csrf = t.csrf, saveTimer = null, loading = 0;

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value == null ? "" : String(value); }

  function load(callId, slug, category) {
    var url = t.formUrl.replace("/0/", "/" + callId + "/") + (slug ? "?form=" + encodeURIComponent(slug)
      : (category ? "?category=" + encodeURIComponent(category) : ""));
    var mine = ++loading;  // the agent may switch pops while a form is on its way: the last one wins
    clearTimeout(saveTimer);
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      if (mine !== loading) return;
      var holder = el("pop-form");
      holder.innerHTML = html;
      wire(holder.querySelector(".intake"));
    }).catch(function () { if (mine === loading) text(el("pop-form"), t.tError); });
  }
  function clear() { loading++; clearTimeout(saveTimer); el("pop-form").innerHTML = ""; }

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

  function send(method, url, data) {
    var init = { method: method, credentials: "same-origin",
                 headers: { "X-CSRFToken": csrf, "Accept": "application/json" } };
    if (data) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(data); }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    });
  }

  function showErrors(box, errors) {
    box.querySelectorAll("[data-error-for]").forEach(function (p) { text(p, ""); });
    Object.keys(errors || {}).forEach(function (k) {
      var p = box.querySelector('[data-error-for="' + k + '"]') || box.querySelector('[data-error-for="_"]');
      if (p) text(p, errors[k]);
    });
  }

  // A call's end: the form and the other ends go, the result (ticket number or reason) stays big.
  function finish(box, label, shown, ticketId) {
    box.querySelectorAll(".intake-form, .form-switch, .new-customer, .outcome").forEach(function (n) { n.hidden = true; });
    var done = box.querySelector(".submitted");
    done.hidden = false;
    text(done.querySelector(".result-label"), label);
    text(done.querySelector(".ticket-number"), shown);
    if (ticketId) root.dataset.ticketId = ticketId;
    window.ccDesk.handled();
  }

  // Posts one of the call's ends; while it is on its way a "handled" from the server is this tab's own.
  function end(box, url, data, errorsIn, done) {
    window.ccDesk.ending(true);
    send("POST", url, data).then(function (r) {
      if (r.status === 200) { done(r.body); return; }
      window.ccDesk.ending(false);
      showErrors(errorsIn, r.body.errors || { _: r.body.message || t.tError });
    }).catch(function () { window.ccDesk.ending(false); showErrors(errorsIn, { _: t.tError }); });
  }

  function wireAttach(box) {
    var d = box.dataset, results = box.querySelector(".attach-results"), search = box.querySelector(".attach-search");
    function attach(id) {
      end(box, d.attachUrl, { ticket_id: String(id) }, box, function (b) {
        finish(box, d.tAttached, b.ticket_number, b.ticket_id);
      });
    }
    box.addEventListener("click", function (e) {
      var pick = e.target.closest && e.target.closest(".attach-pick");
      if (pick) attach(pick.dataset.ticket);
    });
    if (!search) return;
    search.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = search.querySelector("input[name=q]").value;
      send("GET", d.searchUrl + "?q=" + encodeURIComponent(q)).then(function (r) {
        results.innerHTML = "";
        (r.body.tickets || []).forEach(function (x) {
          var item = document.createElement("li"), b = document.createElement("button");
          b.type = "button"; b.className = "attach-pick"; b.dataset.ticket = x.id; text(b, d.tAttach);
          item.appendChild(b);
          item.appendChild(document.createTextNode(" " + [x.number, x.subject, x.customer, x.status]
            .filter(Boolean).join(" · ")));
          results.appendChild(item);
        });
        if (!results.children.length) { var none = document.createElement("li"); text(none, d.tNoneFound); results.appendChild(none); }
      });
    });
  }

  function wireNoTicket(box) {
    var form = box.querySelector(".no-ticket-form");
    if (!form) return;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      end(box, box.dataset.noTicketUrl, formData(form), form, function (b) {
        finish(box, box.dataset.tNoTicket, b.label);
      });
    });
  }

  // Open tickets like what the agent types (subject, description ...): one may be chosen to link on submit.
  function wireSimilar(form) {
    var panel = form.querySelector(".similar-panel"), timer = null, asked = "";
    if (!panel) return;
    var list = panel.querySelector(".similar-list"), chosen = panel.querySelector("input[name=link_to]");
    function words() {
      var parts = [];
      form.querySelectorAll("input[type=text], input:not([type]), textarea").forEach(function (f) {
        if (f.name && f.value) parts.push(f.value);
      });
      return parts.join(" ").slice(0, 2000);
    }
    function show(tickets) {
      list.innerHTML = "";
      panel.hidden = !tickets.length && !chosen.value;
      tickets.forEach(function (x) {
        var li = document.createElement("li"), b = document.createElement("button");
        li.dataset.ticket = x.number;
        li.appendChild(document.createTextNode(x.number + " · " + x.subject + " (" + Math.round(x.score * 100) + "%) "));
        b.type = "button"; b.className = "link-similar";
        b.textContent = String(chosen.value) === String(x.id) ? panel.dataset.tLinked : panel.dataset.tLink;
        b.addEventListener("click", function () {
          chosen.value = String(chosen.value) === String(x.id) ? "" : String(x.id);
          show(tickets);
        });
        li.appendChild(b); list.appendChild(li);
      });
    }
    form.addEventListener("input", function (e) {
      if (e.target === chosen) return;
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = words();
        if (q === asked || q.length < 2) return;
        asked = q;
        send("GET", panel.dataset.url + "?text=" + encodeURIComponent(q)).then(function (r) {
          if (r.status === 200 && q === asked) show(r.body.tickets || []);
        });
      }, 500);
    });
  }

  function wire(box) {
    if (!box) return;
    var form = box.querySelector(".intake-form");
    var state = box.querySelector(".draft-state");
    box.querySelector(".form-picker").addEventListener("change", function (e) {
      load(box.dataset.call, e.target.value);
    });
    form.addEventListener("input", function () {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(function () {
        send("POST", box.dataset.draftUrl, formData(form)).then(function (r) {
          if (r.status === 200) text(state, t.tSaved);
        });
      }, 400);
    });
    wireSimilar(form);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearTimeout(saveTimer);
      end(box, box.dataset.submitUrl, formData(form), box, function (b) {
        finish(box, box.dataset.tFiled, b.ticket_number, b.ticket_id);
      });
    });
    var cust = box.querySelector(".customer-form");
    if (cust) cust.addEventListener("submit", function (e) {
      e.preventDefault();
      send("POST", cust.dataset.url, formData(cust)).then(function (r) {
        if (r.status === 201) load(box.dataset.call, box.dataset.form);
        else showErrors(cust, r.body.errors);
      });
    });
    wireAttach(box);
    wireNoTicket(box);
  }

  window.ccForm = { load: load, clear: clear };
})();

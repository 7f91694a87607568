// The knowledge panel (templates/knowledge/_suggestions.html): up to three articles for what the call or
// ticket is about, asked again ~120 ms after the agent stops typing. Only the newest question's answer is
// drawn: a newer question aborts the request before it, and an answer that is not the newest is dropped.
// On the desk it follows the pop (desk.js's cc:pop) and the pop's intake form; on the ticket page, the
// ticket. Insert puts an answer at the cursor of the reply or note box (the intake form's text box on the
// desk) and notes it on the ticket at once; Link notes it too (on the desk, once the ticket exists).
(function () {
  "use strict";
  var panel = document.querySelector(".kb-panel");
  if (!panel) return;
  var d = panel.dataset, DEBOUNCE = 120, desk = d.mode === "desk";
  var list = panel.querySelector(".kb-hits"), status = panel.querySelector(".kb-status");
  var search = panel.querySelector(".kb-search"), what = panel.querySelector(".kb-insert-what");
  var card = panel.querySelector(".kb-card-template"), linkedList = panel.querySelector(".kb-linked");
  // call/ticket/category: what the question is about; form: the intake form's text; asked: the query string
  // of the answer on screen (a mark on an unlogged suggestion names that question); pending: links waiting
  // for the desk's ticket.
  var state = { call: "", ticket: d.ticket || "", category: "", form: "", asked: null, hits: [], pending: [] };
  var timer = null, controller = null, latest = 0, box = null;

  function say(text, kind) {
    status.textContent = text || "";
    status.className = "kb-status " + (kind || "muted");
  }

  function typed() { return [state.form, search.value].map(function (s) { return s.trim(); }).filter(Boolean).join("\n"); }

  function question(context) {
    var p = new URLSearchParams(), q = typed();
    if (q) p.set("q", q);
    if (state.category) p.set("category", state.category);
    if (!desk) p.set("ticket", state.ticket);
    else if (state.call) p.set("call", state.call);
    p.set("context", q && context === "pop" ? "form" : context);
    return p;
  }

  function ask(context, again) {
    clearTimeout(timer);
    if (controller) controller.abort();
    controller = new AbortController();
    var mine = ++latest, p = question(context);
    if (again) p.set("again", "1");
    panel.dataset.state = "asking";
    fetch(d.suggestUrl + "?" + p.toString(), { credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json" }, signal: controller.signal }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (body) {
      if (mine !== latest) return;  // a newer question was asked meanwhile
      state.asked = p;
      draw(body.hits || []);
      if (body.linked && linkedList) drawLinked(body.linked);
    }).catch(function (e) {
      if (mine !== latest || (e && e.name === "AbortError")) return;
      panel.dataset.state = "error";
      say(d.tError, "error");
    });
  }

  function later(context) {
    clearTimeout(timer);
    timer = setTimeout(function () { ask(context); }, DEBOUNCE);
  }

  // Matched words are the index's words (folded, English stems): an English one marks the words it begins,
  // a Chinese one its characters.
  function matcher(words) {
    var parts = words.filter(Boolean).slice().sort(function (a, b) { return b.length - a.length; }).map(function (w) {
      var esc = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return /^[a-z0-9]/i.test(w) ? "(?<![\\p{L}\\p{N}])" + esc + "[\\p{L}\\p{N}'-]*" : esc;
    });
    return parts.length ? new RegExp(parts.join("|"), "giu") : null;
  }

  function marked(node, text, re) {
    node.textContent = "";
    var at = 0, m;
    if (re) {
      re.lastIndex = 0;
      while ((m = re.exec(text)) !== null) {
        if (!m[0]) { re.lastIndex++; continue; }
        node.appendChild(document.createTextNode(text.slice(at, m.index)));
        var mark = document.createElement("mark");
        mark.textContent = m[0];
        node.appendChild(mark);
        at = m.index + m[0].length;
      }
    }
    node.appendChild(document.createTextNode(text.slice(at)));
  }

  // The why, in the article's own words where they show (an English stem "charg" is said "charged").
  function said(li, words) {
    var seen = [].map.call(li.querySelectorAll("mark"), function (m) { return m.textContent; });
    var out = [];
    words.forEach(function (w) {
      var found = seen.filter(function (m) { return m.toLowerCase().indexOf(w) === 0; })[0] || w;
      if (out.indexOf(found) < 0) out.push(found);
    });
    return out;
  }

  function draw(hits) {
    state.hits = hits;
    var all = document.createDocumentFragment();
    hits.forEach(function (h, i) {
      var li = card.content.firstElementChild.cloneNode(true), re = matcher(h.matched || []);
      li.dataset.index = i;
      li.dataset.article = h.article_id;
      var title = li.querySelector(".kb-title");
      title.href = h.url;
      marked(title, h.title, re);
      li.querySelector(".kb-code").textContent = h.code;
      marked(li.querySelector(".kb-short"), h.short, re);
      var meter = li.querySelector(".kb-meter"), pct = li.querySelector(".kb-pct");
      meter.value = h.percent;
      meter.classList.toggle("kb-guess", !h.calibrated);
      pct.textContent = h.calibrated ? d.tPercent.replace("__N__", h.percent) : d.tUncalibrated;
      meter.title = pct.textContent;
      li.querySelector(".kb-words").textContent = said(li, h.matched || []).join(" · ");
      all.appendChild(li);
    });
    list.replaceChildren(all);
    panel.dataset.state = hits.length ? "shown" : "empty";
    say(hits.length ? "" : d.tEmpty);
  }

  function drawLinked(rows) {
    linkedList.replaceChildren();
    if (!rows.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = d.tNoLinked;
      linkedList.appendChild(none);
      return;
    }
    rows.forEach(function (r) {
      var li = document.createElement("li"), a = document.createElement("a"), how = document.createElement("span");
      a.href = r.url;
      a.textContent = r.code + " · " + r.title;
      how.className = "muted";
      how.textContent = " " + r.kind_label + " · " + r.at;
      li.dataset.article = r.article_id;
      li.dataset.kind = r.kind;
      li.appendChild(a);
      li.appendChild(how);
      linkedList.appendChild(li);
    });
  }

  function post(url, data) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(data),
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": d.csrf } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(j.message || d.tFailed);
          return j;
        });
      });
  }
  function failed(e) { say((e && e.message) || d.tFailed, "error"); }

  // Helpful or not: on the logged suggestion, else on the question this answer was drawn for.
  function mark(hit, li, helpful) {
    var data = { helpful: helpful, article_id: hit.article_id };
    if (hit.suggestion_id) data = { helpful: helpful, suggestion_id: hit.suggestion_id };
    else state.asked.forEach(function (v, k) { if (k !== "again") data[k] = v; });
    post(d.markUrl, data).then(function (j) {
      hit.suggestion_id = j.suggestion_id;  // a second click re-labels the same row
      li.querySelector(".kb-yes").setAttribute("aria-pressed", String(helpful));
      li.querySelector(".kb-no").setAttribute("aria-pressed", String(!helpful));
      say(helpful ? d.tHelpful : d.tUnhelpful);
    }).catch(failed);
  }

  function link(articleId, kind, quiet) {
    if (!state.ticket) {
      state.pending.push({ article_id: articleId, kind: kind });
      if (!quiet) say(d.tLinkLater);
      return;
    }
    post(d.linkUrl, { ticket: state.ticket, article_id: articleId, kind: kind }).then(function (j) {
      if (linkedList && j.linked) drawLinked(j.linked);
      if (!quiet) say(d.tLinked);
    }).catch(failed);
  }

  // The boxes an answer may go into, and the one the agent was last in (its cursor is kept on blur).
  function isBox(el) {
    if (!el || el.tagName !== "TEXTAREA") return false;
    return desk ? !!el.closest("#pop-form .intake-form")
      : el.id === "reply-body" || !!el.closest("form[action$='/notes']");
  }
  function target() {
    if (box && document.contains(box) && !box.closest("[hidden]")) return box;
    var first = desk ? document.querySelector("#pop-form .intake-form textarea")
      : document.getElementById("reply-body") || document.querySelector("form[action$='/notes'] textarea");
    return first && !first.closest("[hidden]") ? first : null;
  }
  function put(el, text) {
    // At the cursor of the box the agent was in; at the end of one they never clicked into.
    var start = el === box ? el.selectionStart : el.value.length, end = el === box ? el.selectionEnd : start;
    var before = el.value.slice(0, start);
    var gap = /[A-Za-z0-9.,;:!?)]$/.test(before) ? " " : "";  // after Latin text a space; Chinese needs none
    el.setRangeText(gap + text, start, end, "end");
    el.focus();
    var changed = new Event("input", { bubbles: true });
    changed.kbInserted = true;  // the form saves its draft and counts SMS; the panel does not ask again
    el.dispatchEvent(changed);
    el.dispatchEvent(new Event("sms:refresh"));
  }

  function insert(hit) {
    var el = target();
    if (!el) { say(d.tNoBox, "error"); return; }
    var text = what && what.value === "body"
      ? fetch(d.articleUrl.replace(/\/0$/, "/" + hit.article_id) + "?locale=" + encodeURIComponent(hit.locale),
        { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.message); return j.body || j.short; }); })
      : Promise.resolve(hit.short);
    text.then(function (t) {
      put(el, t);
      say(d.tInserted);
      link(hit.article_id, "inserted", true);
    }).catch(failed);
  }

  list.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button");
    var li = button && button.closest(".kb-card");
    var hit = li && state.hits[Number(li.dataset.index)];
    if (!hit) return;
    if (button.classList.contains("kb-insert")) insert(hit);
    else if (button.classList.contains("kb-yes")) mark(hit, li, true);
    else if (button.classList.contains("kb-no")) mark(hit, li, false);
    else if (button.classList.contains("kb-link")) link(hit.article_id, "linked");
  });
  document.addEventListener("focusin", function (e) { if (isBox(e.target)) box = e.target; });
  search.addEventListener("input", function () { later(desk ? "form" : "ticket"); });

  if (!desk) { ask("ticket"); return; }

  // -- the desk: the pop's call, its intake form, and the ticket once it is filed or attached --
  // (This script runs inside the pop, before the form's holder exists: it listens on the desk.)
  var root = document.getElementById("desk");
  var SKIP = /(^|_)(number|name|email|phone|id)$/;

  function formText(form) {
    var parts = [];
    form.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (f) {
      if (f.name && !SKIP.test(f.name) && f.value.trim()) parts.push(f.value.trim());
    });
    return parts.join("\n");
  }

  function clear() {
    clearTimeout(timer);
    if (controller) controller.abort();
    latest++;
    state = { call: "", ticket: "", category: "", form: "", asked: null, hits: [], pending: [] };
    search.value = "";
    box = null;
    list.replaceChildren();
    panel.dataset.state = "idle";
    say("");
  }

  function follow(p) {
    clear();
    if (!p || !p.call_id) return;  // the softphone's stand-in pop: no call row yet
    state.call = String(p.call_id);
    state.category = (p.ivr && p.ivr.category) || "";
    state.ticket = p.ticket ? String(p.ticket.id) : "";
    // The pop's first look is logged once per call in this tab (a reload or a switch back is not a new offer).
    var seen = "kb-pop-" + p.call_id, again = false;
    try { again = !!window.sessionStorage.getItem(seen); window.sessionStorage.setItem(seen, "1"); } catch (e) { /* private mode */ }
    ask("pop", again);
  }

  root.addEventListener("cc:pop", function (e) { follow(e.detail); });
  root.addEventListener("cc:pop-closed", clear);
  root.addEventListener("input", function (e) {
    var form = e.target.closest && e.target.closest("#pop-form .intake-form");
    if (!form || e.kbInserted || !state.call || (e.target.tagName !== "TEXTAREA" && e.target.tagName !== "INPUT")) return;
    var text = formText(form);
    if (text === state.form) return;  // a choice or a number changed, not the question
    state.form = text;
    later("form");
  });
  // deskform.js writes the filed (or attached) ticket's id here: what waited for it is linked now.
  new MutationObserver(function () {
    var id = root.dataset.ticketId || "";
    if (!id || id === state.ticket || !state.call) return;
    state.ticket = id;
    var waiting = state.pending;
    state.pending = [];
    waiting.forEach(function (l) { link(l.article_id, l.kind, true); });
  }).observe(root, { attributes: true, attributeFilter: ["data-ticket-id"] });
  if (window.ccDesk && window.ccDesk.current()) follow(window.ccDesk.current());
})();

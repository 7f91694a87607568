// The forms editor: line numbers beside the TOML text, each problem beside its line, and a live preview
// of the form as the desk shows it (checked on the server as the admin types; nothing is saved).
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  if (!form) return;
  var text = document.getElementById("definition");
  var gutter = form.querySelector(".gutter");
  var backdrop = form.querySelector(".backdrop");
  var list = document.getElementById("problems");
  var state = form.querySelector(".editor-state");
  var save = form.querySelector("button[type=submit]");
  var preview = document.getElementById("preview");
  var toggles = document.querySelectorAll(".lang-toggle [data-lang]");
  var d = form.dataset;
  var lang = (document.querySelector(".lang-toggle [aria-pressed=true]") || {dataset: {lang: "en"}}).dataset.lang;
  var timer = null, asked = 0, problems = [];

  function say(template, n) { return template.replace("{n}", String(n)); }

  // One gutter number and one backdrop band per line; a line with a problem is marked and says why.
  function paint() {
    var count = text.value.split("\n").length, bad = {};
    problems.forEach(function (p) { if (!(p.line in bad)) bad[p.line] = p.message; });
    var numbers = document.createDocumentFragment(), bands = document.createDocumentFragment();
    for (var n = 1; n <= count; n++) {
      var li = document.createElement("li"), band = document.createElement("div");
      li.textContent = String(n);
      if (n in bad) {
        li.className = band.className = "bad";
        li.title = bad[n];
        var why = document.createElement("span");
        why.className = "why";
        why.textContent = bad[n];
        band.appendChild(why);
      }
      numbers.appendChild(li);
      bands.appendChild(band);
    }
    gutter.replaceChildren(numbers);
    backdrop.replaceChildren(bands);
    follow();
  }

  function listProblems() {
    list.replaceChildren();
    problems.forEach(function (p) {
      var li = document.createElement("li"), b = document.createElement("button");
      li.dataset.line = p.line;
      li.dataset.message = p.message;
      b.type = "button";
      b.className = "link";
      b.textContent = say(d.tLine, p.line) + (p.column ? ", " + say(d.tColumn, p.column) : "");
      li.appendChild(b);
      li.appendChild(document.createTextNode(": " + p.message));
      list.appendChild(li);
    });
  }

  function follow() {
    gutter.scrollTop = backdrop.scrollTop = text.scrollTop;
  }

  // Put the caret at the start of ``line`` and show it.
  function goTo(line) {
    var lines = text.value.split("\n"), at = 0;
    for (var n = 0; n < line - 1 && n < lines.length; n++) at += lines[n].length + 1;
    text.focus();
    text.setSelectionRange(at, at + (lines[line - 1] || "").length);
    var height = text.scrollHeight / Math.max(lines.length, 1);
    text.scrollTop = Math.max(0, (line - 3) * height);
    follow();
  }

  function show(body) {
    problems = body.problems || [];
    paint();
    listProblems();
    save.disabled = !body.valid;
    state.textContent = body.valid ? d.tValid : d.tInvalid;
    preview.classList.toggle("stale", !body.valid);
    if (body.valid) preview.innerHTML = body.preview;  // our own template's output, escaped on the server
  }

  function check() {
    var mine = ++asked;
    state.textContent = d.tChecking;
    fetch(d.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": d.csrf, "Accept": "application/json"},
      body: JSON.stringify({definition: text.value, lang: lang})
    }).then(function (r) { return r.json(); }).then(function (body) {
      if (mine === asked) show(body);  // an older answer that arrives late is dropped
    }).catch(function () { if (mine === asked) state.textContent = d.tOffline; });
  }

  text.addEventListener("input", function () {
    paint();
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  text.addEventListener("scroll", follow);
  list.addEventListener("click", function (e) {
    var li = e.target.closest ? e.target.closest("li[data-line]") : null;
    if (li) goTo(Number(li.dataset.line));
  });
  toggles.forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();  // the link reloads the page without JavaScript; here the typed text stays
      lang = a.dataset.lang;
      toggles.forEach(function (t) { t.setAttribute("aria-pressed", String(t === a)); });
      check();
    });
  });
  preview.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("submit", function (e) { if (save.disabled) e.preventDefault(); });
  problems = Array.prototype.map.call(list.querySelectorAll("li[data-line]"), function (li) {
    return {line: Number(li.dataset.line), message: li.dataset.message};
  });
})();

// QA workspace: highlight the word being heard, click a word to play from there.
// Word times come from data-start/data-end on each span (seconds on the call's timeline).
(function () {
  "use strict";
  var audio = document.getElementById("qa-audio");
  var spans = Array.prototype.slice.call(document.querySelectorAll("#qa-transcript .w"));
  var words = spans.map(function (el) {
    return { el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end) };
  }).sort(function (a, b) { return a.start - b.start; });
  var current = null, frame = 0;
  var LINGER = 0.3; // keep a word lit briefly after it ends, so short gaps do not flicker

  // The last word that started at or before t (binary search), if t is still within it.
  function wordAt(t) {
    var lo = 0, hi = words.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (words[mid].start <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (found < 0 || t > words[found].end + LINGER) return null;
    return words[found];
  }

  function highlight(word) {
    if (word === current) return;
    if (current) current.el.classList.remove("current");
    current = word;
    if (word) {
      word.el.classList.add("current");
      var box = word.el.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) word.el.scrollIntoView({ block: "center" });
    }
  }

  function sync() { if (audio) highlight(wordAt(audio.currentTime)); }

  function tick() {
    sync();
    frame = audio && !audio.paused ? window.requestAnimationFrame(tick) : 0;
  }

  function seek(t) {
    if (!audio || isNaN(t)) return;
    audio.currentTime = t;
    highlight(wordAt(t) || words.filter(function (w) { return w.start === t; })[0] || null);
  }

  if (audio) {
    audio.addEventListener("timeupdate", sync);
    audio.addEventListener("seeked", sync);
    audio.addEventListener("play", function () { if (!frame) frame = window.requestAnimationFrame(tick); });
    audio.addEventListener("pause", sync);
  }
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest(".w, .seek") : null;
    if (!el || !audio) return;
    ev.preventDefault();
    seek(parseFloat(el.dataset.start));
  });

  // #t=12.3 in the address (links from search results) starts the player there.
  function fromHash() {
    var m = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!m || !audio) return;
    var t = parseFloat(m[1]);
    if (audio.readyState >= 1) seek(t); else audio.addEventListener("loadedmetadata", function () { seek(t); }, { once: true });
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();

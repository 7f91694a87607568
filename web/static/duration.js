// Durations as people read them, in their language: "45 s", "3 min 20 s", "22 min", "1 h 05 min" (never "22:00").
// The same rules as callcenter/i18n/durations.py; the words come from the page (macros.html duration_words).
(function () {
  "use strict";
  function fill(template, values) {
    return template.replace(/\{(\w)\}/g, function (_, k) { return values[k]; });
  }
  window.ccDuration = function (seconds, words) {
    if (seconds == null) return "—";
    var total = Math.max(0, Math.round(seconds));
    if (total < 60) return fill(words.tDurSec, { s: total });
    if (total < 600 && total % 60) return fill(words.tDurMinSec, { m: Math.floor(total / 60), s: String(total % 60).padStart(2, "0") });
    var minutes = Math.round(total / 60);
    if (minutes < 60) return fill(words.tDurMin, { m: minutes });
    return fill(words.tDurHour, { h: Math.floor(minutes / 60), m: String(minutes % 60).padStart(2, "0") });
  };
})();

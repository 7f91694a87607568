// SMS length as the network counts it: the same rules as callcenter/text/segments.py (a test checks
// both agree). GSM 03.38 7-bit: 160 in one SMS, 153 per part, extension characters count 2. Any other
// character makes the text UCS-2: 70 units in one SMS, 67 per part, characters outside the BMP count 2.
// A part never splits an escape pair or a surrogate pair.
//
// <textarea data-sms-counter="#out"> updates <output id="out" data-template="... {units} {limit} {count}
// {encoding} ..." data-gsm="GSM" data-ucs="Unicode"> as the user types; the template is the page's
// language.  The output's data-over is set when the text takes more than one SMS.
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "^{}\\[~]|€\f";
  var LIMITS = { gsm7: [160, 153], ucs2: [70, 67] };

  function chars(text) { return Array.from(text); }  // whole code points, as Python iterates a str

  function measure(text) {
    var list = chars(text);
    var gsm = list.every(function (ch) { return BASIC.indexOf(ch) >= 0 || EXTENSION.indexOf(ch) >= 0; });
    var encoding = gsm ? "gsm7" : "ucs2";
    var costs = list.map(function (ch) {
      if (gsm) return EXTENSION.indexOf(ch) >= 0 ? 2 : 1;
      return ch.codePointAt(0) > 0xFFFF ? 2 : 1;
    });
    var units = costs.reduce(function (a, b) { return a + b; }, 0);
    var single = LIMITS[encoding][0], part = LIMITS[encoding][1];
    if (units <= single) return { encoding: encoding, units: units, count: units ? 1 : 0, limit: single };
    var count = 1, used = 0;
    costs.forEach(function (cost) {
      if (used + cost > part) { count += 1; used = 0; }
      used += cost;
    });
    return { encoding: encoding, units: units, count: count, limit: single };
  }

  function show(area, out) {
    var m = measure(area.value);
    var words = { units: m.units, limit: m.limit, count: m.count,
                  encoding: m.encoding === "gsm7" ? out.dataset.gsm : out.dataset.ucs };
    out.textContent = out.dataset.template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in words ? String(words[key]) : all;
    });
    out.dataset.count = String(m.count);
    if (m.count > 1) out.dataset.over = "1"; else delete out.dataset.over;
  }

  function bind(area) {
    var out = document.querySelector(area.dataset.smsCounter);
    if (!out) return;
    var update = function () { show(area, out); };
    area.addEventListener("input", update);
    area.addEventListener("sms:refresh", update);  // a script that sets the text says so
    update();
  }

  window.SmsSegments = { measure: measure };
  document.querySelectorAll("textarea[data-sms-counter]").forEach(bind);
})();

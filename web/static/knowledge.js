// The article editor: English and Chinese tabs (without this script both show, one under the other), and
// the rows of "how customers ask" added and removed.  The SMS counters are segments.js's.
(function () {
  "use strict";
  var tabs = document.querySelectorAll(".kb-tab");
  var list = document.querySelector(".kb-tabs");

  function show(locale) {
    tabs.forEach(function (tab) {
      var on = tab.dataset.tab === locale;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.classList.toggle("active", on);
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    });
    if (list) list.dataset.active = locale;
  }

  if (list && tabs.length) {
    list.classList.add("ready");
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab.dataset.tab); });
    });
    show(list.dataset.active || tabs[0].dataset.tab);
  }

  var rows = document.getElementById("kb-variant-rows");
  var template = document.getElementById("kb-variant-template");
  var add = document.getElementById("kb-add-variant");
  if (!rows || !template || !add) return;

  add.addEventListener("click", function () {
    var row = template.content.firstElementChild.cloneNode(true);
    var language = row.querySelector("select");
    if (list && language) language.value = list.dataset.active;  // the tab being written in
    rows.appendChild(row);
    row.querySelector("input").focus();
  });
  rows.addEventListener("click", function (event) {
    var button = event.target.closest(".kb-remove-variant");
    if (!button) return;
    var row = button.closest(".kb-variant-row");
    if (rows.querySelectorAll(".kb-variant-row").length > 1) row.remove();
    else row.querySelector("input").value = "";  // the last row stays, emptied
  });
})();

// Every page: small behaviours that would otherwise be inline handlers (the CSP forbids those).
(function () {
  "use strict";
  // <select data-autosubmit>: choosing an option submits its form (the language picker).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

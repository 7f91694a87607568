// <button data-copy="#id">: copies the element's text to the clipboard. Where the clipboard is not
// available (an old browser, a page not served over HTTPS or from localhost), it selects the text so the
// user copies it with the keyboard; the button's status says which happened.
(function () {
  "use strict";
  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.querySelector(button.dataset.copy);
    var status = button.parentNode.querySelector(".copy-state");
    if (!target) return;
    function said(text) { if (status) status.textContent = text; }
    function fallback() {
      select(target);
      said(button.dataset.tSelected);
    }
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      if (!navigator.clipboard || !window.isSecureContext) return fallback();
      navigator.clipboard.writeText(text).then(function () {
        select(target);
        said(button.dataset.tCopied);
      }, fallback);
    });
  });
})();

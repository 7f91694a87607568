// The ticket page's reply form: the shown address follows the channel, the SMS counter shows only for
// SMS, the subject only for e-mail and the web form, and picking a template fills in its text for this
// ticket (rendered by the server, in the customer's language, for the chosen channel).
(function () {
  "use strict";
  var form = document.getElementById("reply-form");
  if (!form) return;
  var channel = document.getElementById("reply-channel");
  var template = document.getElementById("reply-template");
  var body = document.getElementById("reply-body");
  var subject = document.getElementById("reply-subject");
  var error = document.getElementById("reply-error");
  var internal = document.getElementById("reply-internal");

  function say(text) { error.textContent = text || ""; error.hidden = !text; }

  function follow() {
    var option = channel.options[channel.selectedIndex];
    var to = option ? option.dataset.to : "";
    var note = internal.checked;
    document.getElementById("reply-to").textContent = to;
    document.getElementById("reply-no-address").hidden = !!to || note;
    document.getElementById("reply-counter").hidden = channel.value !== "sms" || note;
    document.getElementById("reply-subject-row").hidden = (channel.value !== "email" && channel.value !== "web") || note;
  }

  function fill() {
    say("");
    if (!template.value) return;
    var url = form.dataset.templateUrl.replace(/\/0$/, "/" + encodeURIComponent(template.value)) +
      "?channel=" + encodeURIComponent(channel.value);
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (got) {
      if (!got.ok) { say(got.data.error || form.dataset.tFailed); return; }
      body.value = got.data.body;
      if (got.data.subject) subject.value = got.data.subject;
      body.dispatchEvent(new Event("sms:refresh"));
    }).catch(function () { say(form.dataset.tFailed); });
  }

  channel.addEventListener("change", function () { follow(); fill(); });
  internal.addEventListener("change", follow);
  template.addEventListener("change", fill);
  follow();
})();

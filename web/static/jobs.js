// A background job's page: poll its progress; when it ends, reload to show the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector(".job-bar");
  var percent = box.querySelector(".job-percent");
  var done = box.querySelector(".job-done");
  var total = box.querySelector(".job-total");
  var message = box.querySelector(".job-message");

  function running(status) { return status === "queued" || status === "running"; }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (state) {
        bar.value = state.percent;
        percent.textContent = state.percent;
        done.textContent = state.done;
        total.textContent = state.total;
        message.textContent = state.message;
        if (running(state.status)) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  if (running(box.getAttribute("data-status"))) { setTimeout(poll, 500); }
})();

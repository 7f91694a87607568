// Admin › queues: the weekly hours grid is greyed while "the centre's hours" is chosen (its values are kept).
(function () {
  "use strict";
  var form = document.getElementById("queue-form"), grid = document.getElementById("hours-grid");
  if (!form || !grid) return;
  function update() {
    var own = form.querySelector('input[name="hours_mode"][value="own"]');
    grid.classList.toggle("disabled", !(own && own.checked));
  }
  form.querySelectorAll('input[name="hours_mode"]').forEach(function (r) { r.addEventListener("change", update); });
  // Typing in the grid means the queue keeps its own hours.
  grid.addEventListener("input", function () {
    var own = form.querySelector('input[name="hours_mode"][value="own"]');
    if (own && !own.disabled) { own.checked = true; update(); }
  });
  update();
})();

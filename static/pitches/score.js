// Scoring sheet: − / + steppers beside each number and a running weighted total (out of 100).
// The page works without this script (plain number inputs, total computed on save).
(function () {
  "use strict";
  var form = document.getElementById("score-sheet");
  if (!form) return;
  var blocks = form.querySelectorAll(".criterion");
  var out = document.getElementById("running-total");

  function value(input) {
    var v = parseFloat(String(input.value).replace(",", "."));
    return isNaN(v) ? 0 : v;
  }

  function total() {
    var sum = 0, weights = 0;
    blocks.forEach(function (b) {
      var w = parseFloat(b.dataset.weight), max = parseFloat(b.dataset.max);
      var v = Math.min(Math.max(value(b.querySelector("input")), 0), max);
      sum += (v / max) * w;
      weights += w;
    });
    if (out && weights > 0) out.textContent = ((sum * 100) / weights).toFixed(2);
  }

  blocks.forEach(function (b) {
    var input = b.querySelector("input");
    var max = parseFloat(b.dataset.max);
    b.querySelectorAll("button.step").forEach(function (btn) {
      if (input.readOnly) return;
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var step = parseFloat(btn.dataset.step);
        var next = Math.min(Math.max(value(input) + step, 0), max);
        if (input.value === "" && step > 0) next = 0 + step;
        input.value = String(Math.round(next * 100) / 100);
        total();
      });
    });
    input.addEventListener("input", total);
  });
  total();
})();

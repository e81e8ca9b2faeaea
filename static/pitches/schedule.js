/* Stage schedule: drag a pitch block to another time or stage. The server checks the move
   and answers the conflicts as translated messages; without this script the item page's
   move form does the same. */
(function () {
  "use strict";
  var root = document.getElementById("schedule-root");
  if (!root) return;
  var pxPerMinute = Number(root.dataset.pxPerMinute) || 2;
  var snap = Number(root.dataset.snap) || 5;
  var status = document.getElementById("move-status");
  var dragged = null;
  var grabOffset = 0;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.className = "sched-status" + (isError ? " error" : "");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function startFor(column, clientY) {
    var section = column.closest(".sched-day");
    var begin = section.dataset.begin.split(":");
    var rect = column.getBoundingClientRect();
    var minutes = (clientY - rect.top - grabOffset) / pxPerMinute;
    minutes = Math.max(0, Math.round(minutes / snap) * snap);
    var total = Number(begin[0]) * 60 + Number(begin[1]) + minutes;
    return { day: section.dataset.day, start: pad(Math.floor(total / 60) % 24) + ":" + pad(total % 60) };
  }

  function move(block, stageId, when) {
    var body = new FormData();
    body.append("move-csrf_token", root.dataset.csrf);
    body.append("move-stage_id", stageId);
    body.append("move-day", when.day);
    body.append("move-start", when.start);
    say(root.dataset.moving, false);
    return fetch(block.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok && result.data.ok) {
        window.location.reload();
      } else {
        say((result.data.conflicts || [result.data.message]).join(" "), true);
      }
    }).catch(function () { say(root.dataset.failed, true); });
  }

  document.querySelectorAll(".sched-block[draggable=true]").forEach(function (block) {
    block.addEventListener("dragstart", function (event) {
      dragged = block;
      grabOffset = event.clientY - block.getBoundingClientRect().top;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.dataset.itemId);
    });
    block.addEventListener("dragend", function () { dragged = null; });
  });

  document.querySelectorAll(".sched-col").forEach(function (column) {
    column.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      column.classList.add("drop");
    });
    column.addEventListener("dragleave", function () { column.classList.remove("drop"); });
    column.addEventListener("drop", function (event) {
      column.classList.remove("drop");
      if (!dragged) return;
      event.preventDefault();
      move(dragged, column.dataset.stageId, startFor(column, event.clientY));
    });
  });
})();

/* Organizer grid: drag a meeting onto a free cell (another time or table). It posts the same
   form as the meeting page's move form; the server checks the conflicts and answers them as
   translated messages. Without this script the meeting page's form does the same. */
(function () {
  "use strict";
  var root = document.getElementById("mm-grid-root");
  if (!root) return;
  var status = document.getElementById("mm-move-status");
  var dragged = null;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.className = "mm-status" + (isError ? " error" : "");
  }

  function move(link, cell) {
    var body = new FormData();
    body.append("csrf_token", root.dataset.csrf);
    body.append("slot_id", cell.dataset.slotId);
    body.append("table_id", cell.dataset.tableId);
    say(root.dataset.moving, false);
    fetch(link.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok && result.data.ok) {
        window.location.reload();
      } else {
        say((result.data.messages || [root.dataset.failed]).join(" "), true);
      }
    }).catch(function () { say(root.dataset.failed, true); });
  }

  document.querySelectorAll(".mm-cell a[draggable=true]").forEach(function (link) {
    link.addEventListener("dragstart", function (event) {
      dragged = link;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", link.dataset.moveUrl);
    });
    link.addEventListener("dragend", function () { dragged = null; });
  });

  document.querySelectorAll(".mm-free").forEach(function (cell) {
    cell.addEventListener("dragover", function (event) {
      if (!dragged) return;
      event.preventDefault();
      cell.classList.add("drop");
    });
    cell.addEventListener("dragleave", function () { cell.classList.remove("drop"); });
    cell.addEventListener("drop", function (event) {
      cell.classList.remove("drop");
      if (!dragged) return;
      event.preventDefault();
      move(dragged, cell);
    });
  });
})();

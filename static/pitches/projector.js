// The projector's "now on stage / next" page: polls the stage's JSON every few seconds and
// rewrites the texts in place (no reload). A failed fetch keeps the last good screen.
(function () {
  "use strict";
  var body = document.getElementById("projector");
  if (!body || !window.fetch) return;
  var url = body.getAttribute("data-url");
  var pollMs = parseInt(body.getAttribute("data-poll-ms"), 10) || 3000;
  var labelLive = body.getAttribute("data-label-live");
  var labelSoon = body.getAttribute("data-label-soon");
  var labelLate = body.getAttribute("data-label-late");

  function el(id) { return document.getElementById(id); }
  function setText(id, text) {
    var node = el(id);
    if (node && node.textContent !== text) node.textContent = text;
  }
  function join(parts) {
    return parts.filter(function (p) { return p; }).join(" · ");
  }
  function late(item) {
    return item.delay_minutes ? " (+" + item.delay_minutes + "′ " + labelLate + ")" : "";
  }

  function render(data) {
    var now = data.now;
    setText("now-label", data.live ? labelLive : labelSoon);
    setText("now-title", now ? now.title : "");
    setText("now-startup", now ? join([now.startup, now.track]) : "");
    setText("now-time", now ? now.start + "–" + now.end + late(now) : "");
    el("now-empty").hidden = !!now;
    var next = data.next;
    setText("next-title", next ? next.title : "—");
    setText("next-meta", next ? join([next.start + late(next), next.startup, next.track]) : "");
    var votes = el("votes");
    if (data.votes && data.votes.length) {
      var bars = el("vote-bars");
      while (bars.firstChild) bars.removeChild(bars.firstChild);
      data.votes.forEach(function (v) {
        var row = document.createElement("div");
        row.className = "bar";
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = v.title;
        var fill = document.createElement("span");
        fill.className = "fill";
        fill.style.width = v.share + "%";
        var count = document.createElement("span");
        count.textContent = v.votes;
        row.appendChild(name);
        row.appendChild(fill);
        row.appendChild(count);
        bars.appendChild(row);
      });
      votes.hidden = false;
    } else {
      votes.hidden = true;
    }
    body.setAttribute("data-now-id", now ? now.id : "");
    body.setAttribute("data-updated", data.at || "");
  }

  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(render)
      .catch(function () { /* keep the last screen; try again */ })
      .then(function () { window.setTimeout(poll, pollMs); });
  }
  window.setTimeout(poll, pollMs);
})();

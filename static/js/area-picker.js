// Area picker: type "tay giang", pick "xã Tây Giang" from the suggestions.
// Writes the chosen ids (comma-separated) into the hidden input named by data-target;
// with data-lead, the starred chip's id goes into that hidden input.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function init(root) {
    var single = root.dataset.single === "1";
    var target = document.getElementById(root.dataset.target);
    var lead = root.dataset.lead ? document.getElementById(root.dataset.lead) : null;
    var chosen = [];
    try { chosen = JSON.parse(root.querySelector("script.initial").textContent) || []; } catch (e) { chosen = []; }
    var leadId = lead && lead.value ? parseInt(lead.value, 10) : (chosen[0] && chosen[0].id);

    var chips = el("div", { "class": "chips", "aria-live": "polite" });
    var inputId = root.id ? root.id + "-input" : (root.dataset.target + "-filter-input");
    if (root.dataset.target === "area") inputId = "area-filter-input";
    var input = el("input", {
      type: "search", id: inputId, autocomplete: "off", "class": "area-input",
      placeholder: root.dataset.placeholder || "", role: "combobox", "aria-expanded": "false",
      "aria-autocomplete": "list"
    });
    var list = el("ul", { "class": "suggestions", role: "listbox" });
    root.appendChild(chips);
    root.appendChild(input);
    root.appendChild(list);

    function sync() {
      target.value = chosen.map(function (a) { return a.id; }).join(",");
      if (lead) {
        if (!chosen.some(function (a) { return a.id === leadId; })) leadId = chosen[0] ? chosen[0].id : null;
        lead.value = leadId || "";
      }
      chips.innerHTML = "";
      chosen.forEach(function (a) {
        var chip = el("span", { "class": "chip picked" + (lead && a.id === leadId ? " lead" : ""), "data-id": a.id });
        if (lead) {
          var star = el("button", { type: "button", "class": "star", title: root.dataset.leadLabel || "",
                                    "aria-pressed": a.id === leadId ? "true" : "false" }, a.id === leadId ? "★" : "☆");
          star.addEventListener("click", function () { leadId = a.id; sync(); });
          chip.appendChild(star);
        }
        chip.appendChild(el("span", {}, a.label + (a.current ? "" : " (" + (root.dataset.former || "former") + ")")));
        var x = el("button", { type: "button", "class": "remove", "aria-label": (root.dataset.remove || "Remove") + " " + a.label }, "×");
        x.addEventListener("click", function () {
          chosen = chosen.filter(function (b) { return b.id !== a.id; });
          sync();
        });
        chip.appendChild(x);
        chips.appendChild(chip);
      });
      input.hidden = single && chosen.length > 0;
    }

    function choose(area) {
      if (single) chosen = [area];
      else if (!chosen.some(function (a) { return a.id === area.id; })) chosen.push(area);
      input.value = "";
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      sync();
    }

    var timer = null, seq = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/areas/search?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.json(); })
          .then(function (areas) {
            if (mine !== seq) return;
            list.innerHTML = "";
            if (!areas.length) { list.appendChild(el("li", { "class": "empty" }, root.dataset.empty || "")); }
            areas.forEach(function (a) {
              var li = el("li", { role: "option", tabindex: "-1", "data-id": a.id },
                          a.label + (a.current ? "" : " (" + (root.dataset.former || "former") + ")"));
              li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(a); });
              li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); choose(a); } });
              list.appendChild(li);
            });
            input.setAttribute("aria-expanded", "true");
          })
          .catch(function () { list.innerHTML = ""; });
      }, 150);
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { var f = list.querySelector("li[role=option]"); if (f) { ev.preventDefault(); f.focus(); } }
      if (ev.key === "Enter") {
        var first = list.querySelector("li[role=option]");
        if (first) { ev.preventDefault(); first.dispatchEvent(new MouseEvent("mousedown")); }
      }
    });
    sync();
  }

  document.querySelectorAll(".area-picker").forEach(init);
})();

// Floor plan: halls, zones and booths drawn as SVG on a grid of metres (viewBox in metres).
// BoothPlan.mount(element, {dataUrl, mode: "view"|"pick"|"edit", highlight: [ids], form})
// BoothPlan.editor(element, {dataUrl, selected}) — the organizer's editor (uses mode "edit").
// Pan and zoom: mouse wheel and drag, two-finger pinch and drag, and the +/- buttons.
// Booths carry data-booth-id, data-code and data-state and a <title>; states are told apart by
// patterns and words as well as colours.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var GAP = 3; // metres between halls, room for the hall's name
  var PAD = 1;
  var STATES = ["available", "held", "pending", "booked", "blocked"];
  var uid = 0;

  function labels() {
    var node = document.getElementById("plan-labels");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }
  function s(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function h(tag, attrs, text, parent) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }

  function Plan(root, opts) {
    this.root = root;
    this.opts = opts || {};
    this.mode = this.opts.mode || "view";
    this.t = labels();
    this.highlight = {};
    (this.opts.highlight || []).forEach(function (id) { this.highlight[id] = true; }, this);
    this.selected = {};
    this.form = this.opts.form ? document.querySelector(this.opts.form) : null;
    this.id = "bp" + (++uid);
    this.data = null;
    this.build();
    this.load();
  }

  Plan.prototype.build = function () {
    var t = this.t, self = this;
    this.root.classList.add("plan", "plan-" + this.mode);
    var bar = h("div", { "class": "plan-toolbar" }, null, this.root);
    [["+", t.zoom_in || "+", function () { self.zoom(1 / 1.4); }],
     ["−", t.zoom_out || "−", function () { self.zoom(1.4); }],
     ["⤢", t.reset || "⤢", function () { self.fit(); }]].forEach(function (b) {
      var btn = h("button", { type: "button", "class": "button small", "aria-label": b[1], title: b[1] }, b[0], bar);
      btn.addEventListener("click", b[2]);
    });
    this.count = h("span", { "class": "plan-count", "aria-live": "polite" }, "", bar);
    this.svg = s("svg", { "class": "plan-svg", role: "group", "aria-label": this.root.getAttribute("aria-label") || "" }, this.root);
    this.defs(s("defs", {}, this.svg));
    this.scene = s("g", {}, this.svg);
    this.info = h("div", { "class": "plan-info", "aria-live": "polite", hidden: "" }, null, this.root);
    h("p", { "class": "muted plan-loading" }, t.loading || "…", this.root);
    this.bindPointer();
    if (this.mode === "pick") this.bindForm();
  };

  Plan.prototype.defs = function (defs) {
    var id = this.id;
    function pattern(name, draw) {
      var p = s("pattern", { id: id + "-" + name, width: 1, height: 1, patternUnits: "userSpaceOnUse" }, defs);
      draw(p);
    }
    pattern("held", function (p) {
      s("rect", { width: 1, height: 1, "class": "fill-held" }, p);
      s("path", { d: "M0,1 L1,0 M-.25,.25 L.25,-.25 M.75,1.25 L1.25,.75", "class": "hatch" }, p);
    });
    pattern("pending", function (p) {
      s("rect", { width: 1, height: 1, "class": "fill-pending" }, p);
      s("circle", { cx: .5, cy: .5, r: .14, "class": "dot" }, p);
    });
    pattern("blocked", function (p) {
      s("rect", { width: 1, height: 1, "class": "fill-blocked" }, p);
      s("path", { d: "M0,0 L1,1 M1,0 L0,1", "class": "hatch" }, p);
    });
    pattern("grid", function (p) {
      s("path", { d: "M1,0 L0,0 L0,1", "class": "grid-line" }, p);
    });
  };

  Plan.prototype.load = function () {
    var self = this;
    return fetch(this.opts.dataUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var first = !self.data;
        self.data = data;
        self.render();
        if (first) self.fit();
        var loading = self.root.querySelector(".plan-loading");
        if (loading) loading.remove();
        return data;
      })
      .catch(function () {
        var loading = self.root.querySelector(".plan-loading");
        if (loading) { loading.textContent = self.t.load_error || "Error"; loading.classList.add("error"); }
      });
  };

  Plan.prototype.render = function () {
    var self = this, data = this.data, id = this.id;
    while (this.scene.firstChild) this.scene.removeChild(this.scene.firstChild);
    this.booths = {};
    this.hallOffsets = {};
    var y = PAD + GAP, width = 0;
    data.halls.forEach(function (hall) {
      self.hallOffsets[hall.id] = { x: PAD, y: y, hall: hall };
      var g = s("g", { "class": "hall" + (hall.outdoor ? " outdoor" : ""), "data-hall-id": hall.id, transform: "translate(" + PAD + "," + y + ")" }, self.scene);
      s("rect", { "class": "hall-floor", width: hall.width_m, height: hall.depth_m }, g);
      if (self.mode === "edit") s("rect", { "class": "hall-grid", width: hall.width_m, height: hall.depth_m, fill: "url(#" + id + "-grid)" }, g);
      var name = s("text", { "class": "hall-name", x: 0, y: -.6 }, g);
      name.textContent = hall.name;
      hall.zones.forEach(function (z) {
        s("rect", { "class": "zone", x: z.x, y: z.y, width: z.width_m, height: z.depth_m, fill: z.color, "data-zone-id": z.id }, g);
        var label = s("text", { "class": "zone-name", x: z.x + .3, y: z.y + z.depth_m - .3 }, g);
        label.textContent = z.name;
      });
      hall._g = g;
      y += hall.depth_m + GAP + 1;
      width = Math.max(width, hall.width_m);
    });
    this.extent = { x: 0, y: 0, w: width + 2 * PAD, h: Math.max(y, 4) };
    data.booths.forEach(function (b) {
      var off = self.hallOffsets[b.hall_id];
      if (!off) return;
      self.booths[b.id] = b;
      off.hall._g.appendChild(self.drawBooth(b));
    });
    if (!data.halls.length) {
      var empty = s("text", { x: 1, y: 2, "class": "hall-name" }, this.scene);
      empty.textContent = this.t.empty || "";
    }
    this.updateCount();
  };

  Plan.prototype.drawBooth = function (b) {
    var t = this.t;
    var g = s("g", {
      "class": "booth state-" + b.state + " kind-" + b.kind + (this.highlight[b.id] || b.highlight ? " is-highlight" : "") + (this.selected[b.id] ? " is-selected" : ""),
      "data-booth-id": b.id, "data-code": b.code, "data-state": b.state,
      transform: "translate(" + b.x + "," + b.y + ")", tabindex: "0", role: "button"
    });
    var title = s("title", {}, g);
    title.textContent = b.code + " · " + b.kind_label + " · " + b.width_m + "×" + b.depth_m + " " + (t.metres || "m") + " · " + b.state_label + (b.exhibitor ? " · " + b.exhibitor.name : "");
    var fill = ({ held: "url(#" + this.id + "-held)", pending: "url(#" + this.id + "-pending)", blocked: "url(#" + this.id + "-blocked)" })[b.state];
    var rect = s("rect", { "class": "booth-box", x: .08, y: .08, width: b.width_m - .16, height: b.depth_m - .16, rx: .15 }, g);
    if (fill) rect.setAttribute("fill", fill);
    if (b.corner) s("path", { "class": "corner-mark", d: "M.08,.08 h.9 L.08,.98 Z" }, g);
    var size = Math.min(1.1, Math.min(b.width_m, b.depth_m) * .32);
    var text = s("text", { "class": "booth-code", x: b.width_m / 2, y: b.depth_m / 2, "font-size": size, "text-anchor": "middle", "dominant-baseline": "central" }, g);
    text.textContent = b.code;
    if (this.selected[b.id]) {
      var tick = s("text", { "class": "booth-tick", x: b.width_m - .5, y: .9, "font-size": .8, "text-anchor": "middle" }, g);
      tick.textContent = "✓";
    }
    return g;
  };

  // --- view box: pan and zoom -------------------------------------------------------------
  Plan.prototype.setView = function (v) {
    this.view = v;
    this.svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
  };
  Plan.prototype.fit = function () {
    var e = this.extent || { x: 0, y: 0, w: 10, h: 10 };
    var box = this.svg.getBoundingClientRect();
    var ratio = box.width && box.height ? box.height / box.width : .75;
    var w = e.w, hgt = e.w * ratio;
    if (hgt < e.h) { hgt = e.h; w = hgt / ratio; }
    this.setView({ x: e.x - (w - e.w) / 2, y: e.y, w: w, h: hgt });
  };
  Plan.prototype.point = function (clientX, clientY) {
    var m = this.svg.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    var p = this.svg.createSVGPoint();
    p.x = clientX; p.y = clientY;
    p = p.matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  Plan.prototype.zoom = function (factor, cx, cy) {
    var v = this.view;
    if (!v) return;
    if (cx == null) { cx = v.x + v.w / 2; cy = v.y + v.h / 2; }
    var w = v.w * factor, hh = v.h * factor;
    var e = this.extent, maxW = Math.max(e.w, e.h) * 3;
    if (w < 4 || w > maxW) return;
    this.setView({ x: cx - (cx - v.x) * factor, y: cy - (cy - v.y) * factor, w: w, h: hh });
  };

  Plan.prototype.bindPointer = function () {
    var self = this, svg = this.svg;
    var pointers = {}, gesture = null;
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var p = self.point(ev.clientX, ev.clientY);
      self.zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    svg.addEventListener("pointerdown", function (ev) {
      pointers[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
      try { svg.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events */ }
      var ids = Object.keys(pointers);
      if (ids.length === 2) {
        var a = pointers[ids[0]], b = pointers[ids[1]];
        gesture = { kind: "pinch", dist: Math.hypot(a.x - b.x, a.y - b.y), view: self.view };
        return;
      }
      var boothEl = ev.target.closest ? ev.target.closest(".booth") : null;
      gesture = { kind: "pan", start: { x: ev.clientX, y: ev.clientY }, view: self.view, moved: false, booth: boothEl, target: ev.target };
      if (boothEl && self.mode === "edit") {
        gesture.kind = "drag";
        gesture.origin = self.point(ev.clientX, ev.clientY);
        gesture.b = self.booths[boothEl.getAttribute("data-booth-id")];
        gesture.dx = 0; gesture.dy = 0;
      }
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!pointers[ev.pointerId] || !gesture) return;
      pointers[ev.pointerId] = { x: ev.clientX, y: ev.clientY };
      if (gesture.kind === "pinch") {
        var ids = Object.keys(pointers);
        if (ids.length < 2) return;
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var dist = Math.hypot(a.x - b.x, a.y - b.y);
        if (!dist || !gesture.dist) return;
        var mid = self.point((a.x + b.x) / 2, (a.y + b.y) / 2);
        var desired = gesture.view.w * gesture.dist / dist;
        self.zoom(desired / self.view.w, mid.x, mid.y);
        return;
      }
      var dxp = ev.clientX - gesture.start.x, dyp = ev.clientY - gesture.start.y;
      if (Math.abs(dxp) + Math.abs(dyp) > 6) gesture.moved = true;
      if (!gesture.moved) return;
      if (gesture.kind === "drag" && gesture.b) {
        var p = self.point(ev.clientX, ev.clientY);
        var b2 = gesture.b, hall = self.hallOffsets[b2.hall_id].hall;
        gesture.dx = clamp(Math.round(p.x - gesture.origin.x), -b2.x, hall.width_m - b2.width_m - b2.x);
        gesture.dy = clamp(Math.round(p.y - gesture.origin.y), -b2.y, hall.depth_m - b2.depth_m - b2.y);
        gesture.booth.setAttribute("transform", "translate(" + (b2.x + gesture.dx) + "," + (b2.y + gesture.dy) + ")");
        gesture.booth.classList.add("is-dragging");
        return;
      }
      var box = svg.getBoundingClientRect(), v = gesture.view;
      var scale = v.w / (box.width || 1);
      self.setView({ x: v.x - dxp * scale, y: v.y - dyp * scale, w: self.view.w, h: self.view.h });
    });
    function end(ev) {
      if (!pointers[ev.pointerId]) return;
      delete pointers[ev.pointerId];
      var g = gesture;
      if (Object.keys(pointers).length === 0) gesture = null;
      if (!g || ev.type === "pointercancel" || g.kind === "pinch") return;
      if (g.kind === "drag" && g.moved) {
        g.booth.classList.remove("is-dragging");
        if (g.dx || g.dy) self.moved(g.b, g.b.x + g.dx, g.b.y + g.dy, g.booth);
        return;
      }
      if (!g.moved) self.tap(g.target, ev.clientX, ev.clientY);
    }
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
    svg.addEventListener("keydown", function (ev) {
      var boothEl = ev.target.closest && ev.target.closest(".booth");
      if (boothEl && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); self.tap(boothEl); }
    });
    window.addEventListener("resize", function () { if (self.view) self.setView(self.view); });
  };

  Plan.prototype.tap = function (target, clientX, clientY) {
    var boothEl = target && target.closest ? target.closest(".booth") : null;
    if (boothEl) {
      var b = this.booths[boothEl.getAttribute("data-booth-id")];
      if (this.mode === "pick") this.toggle(b);
      if (this.mode === "edit" && this.opts.onSelect) this.opts.onSelect(b);
      this.showInfo(b);
      return;
    }
    if (this.mode === "edit" && this.opts.onGridClick && clientX != null) {
      var hallEl = target && target.closest ? target.closest(".hall") : null;
      if (!hallEl) return;
      var off = this.hallOffsets[hallEl.getAttribute("data-hall-id")];
      var p = this.point(clientX, clientY);
      var x = Math.floor(p.x - off.x), y = Math.floor(p.y - off.y);
      if (x < 0 || y < 0 || x >= off.hall.width_m || y >= off.hall.depth_m) return;
      this.opts.onGridClick({ hall_id: off.hall.id, x: x, y: y });
    }
    this.info.hidden = true;
  };

  Plan.prototype.showInfo = function (b) {
    var t = this.t, info = this.info, self = this;
    info.innerHTML = "";
    var head = h("p", { "class": "plan-info-head" }, null, info);
    h("strong", {}, b.code, head);
    head.appendChild(document.createTextNode(" · " + b.state_label));
    var close = h("button", { type: "button", "class": "link plan-info-close", "aria-label": t.close || "×" }, "×", head);
    close.addEventListener("click", function () { info.hidden = true; });
    var dl = h("dl", { "class": "plan-info-facts" }, null, info);
    function row(k, v) { if (v == null || v === "") return; h("dt", {}, k, dl); h("dd", {}, v, dl); }
    row(t.type || "Type", b.kind_label + (b.corner ? " · " + (t.corner || "corner") : ""));
    row(t.size || "Size", b.width_m + " × " + b.depth_m + " " + (t.metres || "m"));
    row(t.price || "Price", b.price);
    row(t.reserved || "Reserved", b.reserved);
    if (b.exhibitor) {
      var dd;
      h("dt", {}, t.exhibitor || "Exhibitor", dl);
      dd = h("dd", {}, null, dl);
      if (b.exhibitor.url) h("a", { href: b.exhibitor.url }, b.exhibitor.name, dd); else dd.textContent = b.exhibitor.name;
    }
    if (this.mode === "pick" && b.state !== "available") h("p", { "class": "error" }, t.not_available || "", info);
    if (this.mode !== "edit" && b.url) h("a", { href: b.url, "class": "plan-info-link" }, t.open || "→", info);
    info.hidden = false;
    self.root.dispatchEvent(new CustomEvent("booth:info", { detail: b }));
  };

  // --- pick mode: selection kept in step with the form ----------------------------------------
  Plan.prototype.checkbox = function (id) {
    var scope = document;
    return scope.querySelector('input[type="checkbox"][name="booth_id"][value="' + id + '"]');
  };
  Plan.prototype.toggle = function (b) {
    if (this.selected[b.id]) delete this.selected[b.id];
    else if (b.state === "available") this.selected[b.id] = true;
    else return;
    this.syncForm();
    this.redraw(b.id);
  };
  Plan.prototype.redraw = function (id) {
    var b = this.booths[id];
    var old = this.svg.querySelector('.booth[data-booth-id="' + id + '"]');
    if (!b || !old) return;
    var fresh = this.drawBooth(b);
    old.parentNode.replaceChild(fresh, old);
    this.updateCount();
  };
  Plan.prototype.syncForm = function () {
    var form = this.form, self = this;
    Object.keys(this.booths || {}).forEach(function (id) {
      var on = !!self.selected[id];
      var box = self.checkbox(id);
      if (box) { if (box.checked !== on) box.checked = on; }
      if (!form) return;
      var hidden = form.querySelector('input[type="hidden"][name="booth_id"][value="' + id + '"]');
      if (on && !box && !hidden) h("input", { type: "hidden", name: "booth_id", value: id }, null, form);
      if ((!on || box) && hidden) hidden.remove();
    });
  };
  Plan.prototype.bindForm = function () {
    var self = this;
    // Start from what the form (or the list view) already has.
    document.querySelectorAll('input[name="booth_id"]').forEach(function (input) {
      if (input.type === "hidden" || input.checked) self.selected[input.value] = true;
    });
    document.addEventListener("change", function (ev) {
      var box = ev.target;
      if (!box || box.type !== "checkbox" || box.name !== "booth_id") return;
      if (box.checked) self.selected[box.value] = true; else delete self.selected[box.value];
      self.syncForm();
      self.redraw(box.value);
    });
  };
  Plan.prototype.updateCount = function () {
    if (this.mode !== "pick") return;
    var n = Object.keys(this.selected).length;
    this.count.textContent = n ? (this.t.picked || "%(n)s").replace("%(n)s", n) : "";
  };

  // --- edit mode ----------------------------------------------------------------------------
  Plan.prototype.moved = function (b, x, y, el) {
    var self = this;
    if (!this.opts.onMove) return;
    Promise.resolve(this.opts.onMove(b, x, y)).then(function (ok) {
      if (ok) {
        b.x = x; b.y = y;
        self.load().then(function () { if (self.opts.onSelect && self.booths[b.id]) self.opts.onSelect(self.booths[b.id]); });
      } else el.setAttribute("transform", "translate(" + b.x + "," + b.y + ")");
    });
  };

  Plan.prototype.setHighlight = function (ids) {
    this.highlight = {};
    (ids || []).forEach(function (id) { this.highlight[id] = true; }, this);
    if (this.data) this.render();
  };

  function post(url, body) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return { ok: false, message: String(r.status) }; }); });
  }

  function editor(root, opts) {
    var t = labels();
    var status = document.getElementById("plan-status");
    var boothForm = document.getElementById("booth-form");
    var deleteForm = document.getElementById("booth-delete-form");
    var plan;
    function say(text, bad) {
      if (!status) return;
      status.textContent = text || "";
      status.classList.toggle("error", !!bad);
    }
    function clearErrors(form) {
      form.querySelectorAll(".error.js").forEach(function (n) { n.remove(); });
      form.querySelectorAll(".has-error").forEach(function (n) { n.classList.remove("has-error"); });
    }
    function showErrors(form, errors) {
      var prefix = form.id.replace("-form", "") + "-";
      Object.keys(errors || {}).forEach(function (name) {
        var input = form.querySelector('[name="' + prefix + name + '"]') || form.querySelector('[name="' + name + '"]');
        var where = input ? input.closest(".field") || input.parentNode : form;
        errors[name].forEach(function (msg) {
          var p = h("p", { "class": "error js", role: "alert" }, msg);
          if (input) { where.classList.add("has-error"); where.appendChild(p); } else form.insertBefore(p, form.firstChild.nextSibling);
        });
      });
    }
    function set(name, value) {
      var input = boothForm && boothForm.elements["booth-" + name];
      if (!input) return;
      if (input.type === "checkbox") input.checked = !!value; else input.value = value == null ? "" : value;
    }
    function select(b) {
      if (!boothForm) return;
      clearErrors(boothForm);
      set("booth_id", b.id); set("hall_id", b.hall_id); set("zone_id", b.zone_id || "");
      ["code", "x", "y", "width_m", "depth_m", "corner", "kind", "price_vnd", "blocked", "blocked_reason", "staff_passes"].forEach(function (k) { set(k, b[k]); });
      set("reserved_group_id", b.reserved_group_id || ""); set("reserved_area_code", b.reserved_area_code || "");
      var title = document.getElementById("booth-form-title");
      if (title) title.textContent = b.code;
      if (deleteForm) { deleteForm.hidden = false; deleteForm.elements.item_id.value = b.id; }
    }
    function place(p) {
      if (!boothForm) return;
      clearErrors(boothForm);
      set("booth_id", ""); set("hall_id", p.hall_id); set("zone_id", ""); set("x", p.x); set("y", p.y); set("code", "");
      if (deleteForm) deleteForm.hidden = true;
      say(t.placed);
      var code = boothForm.elements["booth-code"];
      if (code) code.focus();
    }
    function move(b, x, y) {
      var body = new FormData();
      body.append("csrf_token", root.dataset.csrf);
      body.append("booth_id", b.id); body.append("x", x); body.append("y", y);
      return post(root.dataset.moveUrl, body).then(function (res) {
        say(res.message || (res.ok ? t.saved : t.save_error), !res.ok);
        return res.ok;
      });
    }
    plan = new Plan(root, { dataUrl: opts.dataUrl, mode: "edit", onSelect: select, onGridClick: place, onMove: move });
    if (opts.selected) plan.load().then(function () { if (plan.booths[opts.selected]) select(plan.booths[opts.selected]); });
    document.querySelectorAll("form.plan-form").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        clearErrors(form);
        post(form.action, new FormData(form)).then(function (res) {
          if (res.ok) {
            say(res.message || t.saved);
            if (form.id === "hall-form" || form.id === "zone-form") { window.location.reload(); return; }
            plan.load().then(function () {
              if (res.booth_id && plan.booths[res.booth_id]) select(plan.booths[res.booth_id]);
            });
          } else {
            say(res.message || t.save_error, true);
            showErrors(form, res.errors);
          }
        }).catch(function () { say(t.save_error, true); });
      });
    });
    if (deleteForm) {
      deleteForm.addEventListener("submit", function (ev) {
        if (ev.defaultPrevented) return;
        ev.preventDefault();
        post(deleteForm.action, new FormData(deleteForm)).then(function (res) {
          say(res.message || (res.ok ? t.saved : t.save_error), !res.ok);
          if (res.ok) { deleteForm.hidden = true; set("booth_id", ""); plan.load(); }
        });
      });
    }
    return plan;
  }

  window.BoothPlan = {
    mount: function (element, opts) { return new Plan(element, opts || {}); },
    editor: editor,
    STATES: STATES
  };
})();

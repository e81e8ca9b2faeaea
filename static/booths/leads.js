// Lead capture at the booth: the ticket QR from the camera (BarcodeDetector, else jsQR loaded
// on demand, as the gate scanner does), a keyboard-wedge scanner or a typed short code; the
// form is posted with fetch so the camera keeps running, and the new lead is put on top.
(function () {
  "use strict";
  var root = document.getElementById("lead-scan");
  var form = document.getElementById("lead-form");
  if (!root || !form || !window.fetch) return;
  var code = form.querySelector("[name='scan-code']");
  var note = form.querySelector("[name='scan-note']");
  var result = document.getElementById("lead-result");
  var list = document.getElementById("leads");
  var video = document.getElementById("lead-video");
  var toggle = document.getElementById("camera-toggle");
  var FRAME_MS = 150, REPEAT_MS = 4000;
  var stream = null, detector = null, timer = null, canvas = null, ctx = null, busy = false;
  var lastText = null, lastSeen = 0;

  function show(ok, text) {
    result.hidden = false;
    result.dataset.ok = ok ? "1" : "0";
    result.textContent = text;
  }

  function send() {
    if (busy || !code.value.trim()) return;
    busy = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      show(data.ok, data.message);
      if (!data.ok) return;
      code.value = "";
      if (note) note.value = "";
      var old = document.getElementById("lead-" + data.lead_id);
      if (old) old.remove();
      list.insertAdjacentHTML("afterbegin", data.row);
      var empty = document.getElementById("no-leads");
      if (empty) empty.remove();
      var count = document.getElementById("lead-count");
      if (count) count.textContent = list.children.length;
      if (navigator.vibrate) navigator.vibrate(80);
    }).catch(function () {
      show(false, root.dataset.networkError);
    }).then(function () {
      busy = false;
      if (!stream) code.focus();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = root.dataset.jsqr;
      s.onload = function () { window.jsQR ? resolve() : reject(new Error("jsQR")); };
      s.onerror = function () { reject(new Error("jsQR")); };
      document.head.appendChild(s);
    });
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return loadJsQR().then(function () { return null; });
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") >= 0) return new window.BarcodeDetector({ formats: ["qr_code"] });
      return loadJsQR().then(function () { return null; });
    });
  }

  function found(text) {
    var now = Date.now();
    if (text === lastText && now - lastSeen < REPEAT_MS) { lastSeen = now; return; }
    lastText = text; lastSeen = now;
    code.value = text;
    send();
  }

  function tick() {
    if (!stream) return;
    timer = setTimeout(tick, FRAME_MS);
    if (busy || video.readyState < 2 || !video.videoWidth) return;
    if (detector) {
      busy = true;
      detector.detect(video).then(function (codes) {
        busy = false;
        if (codes.length && codes[0].rawValue) found(codes[0].rawValue);
      }, function () { busy = false; });
      return;
    }
    var scale = Math.min(1, 800 / video.videoWidth);
    var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
    if (!canvas) { canvas = document.createElement("canvas"); ctx = canvas.getContext("2d", { willReadFrequently: true }); }
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    ctx.drawImage(video, 0, 0, w, h);
    var hit = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    if (hit && hit.data) found(hit.data);
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(false, root.dataset.cameraUnavailable);
      return;
    }
    makeDetector().then(function (d) {
      detector = d;
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      toggle.setAttribute("aria-pressed", "true");
      return video.play();
    }).then(function () {
      root.dataset.camera = detector ? "barcode-detector" : "jsqr";
      tick();
    }).catch(function () {
      stop();
      show(false, root.dataset.cameraUnavailable);
    });
  }

  function stop() {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    toggle.setAttribute("aria-pressed", "false");
    delete root.dataset.camera;
  }

  toggle.addEventListener("click", function () { if (stream) stop(); else start(); });
  document.addEventListener("visibilitychange", function () { if (document.hidden && stream) stop(); });
})();

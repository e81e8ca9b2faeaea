// EventDay gate scanner: camera (BarcodeDetector, else jsQR), keyboard-wedge handheld scanners
// and search; answers online from the server, or offline from what it keeps in IndexedDB
// (festival public keys, revocations, the ticket list), verifying the QR's Ed25519 signature
// with WebCrypto. Offline scans wait in an IndexedDB queue, each with its nonce and its time,
// until the server has answered them. No text of its own: every string comes from #scanner-i18n.
(function () {
  "use strict";

  var ONLINE_TIMEOUT_MS = 1500; // a scan the server does not answer by then is decided here
  var PROBE_MS = 5000; // while offline: how often to try the server again
  var SYNC_MS = 60000; // while online: incremental ticket list refresh
  var FLUSH_MS = 10000; // while online: retry the queue this often when it is not empty
  var UPLOAD_BATCH = 200;
  var REPEAT_MS = 2500; // the same QR held in front of the camera counts once
  var FRAME_MS = 120; // camera decoding throttle
  var SKEW_WARN_MS = 2 * 60 * 1000;
  var SKEW_APPLY_MS = 60 * 1000;
  var TZ = "Asia/Ho_Chi_Minh";
  var STORE_KEY = "eventday.scanner";
  var DB_NAME = "eventday-scanner";
  var EPOCH_MS = Date.UTC(2020, 0, 1);
  var DAY_MS = 86400000;
  var RED = { unpaid: 1, revoked: 1, wrong_day: 1, wrong_list: 1, invalid: 1 };

  var root = document.getElementById("scanner");
  if (!root) return;
  var T = JSON.parse(document.getElementById("scanner-i18n").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var api = root.dataset.api;
  var lang = root.dataset.lang || document.documentElement.lang || "vi";

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) {
      return values && values[k] !== undefined ? values[k] : m;
    });
  }

  // ------------------------------------------------------------------ text helpers

  // Same folding as eventday.i18n.fold: NFD, drop combining marks, đ -> d, lower case.
  function fold(text) {
    return String(text || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function normalizeCode(raw) { return String(raw || "").toUpperCase().replace(/[^0-9A-Z]/g, ""); }

  function digits(raw) {
    var d = String(raw || "").replace(/\D/g, "");
    if (d.indexOf("84") === 0 && d.length > 9) d = d.slice(2);
    return d.replace(/^0+/, "");
  }

  var dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });
  function localDay(date) { return dayFormat.format(date); } // YYYY-MM-DD in Việt Nam

  function showTime(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    var time = new Intl.DateTimeFormat(lang, { timeZone: TZ, hour: "2-digit", minute: "2-digit" }).format(date);
    if (localDay(date) === localDay(new Date())) return time;
    return new Intl.DateTimeFormat(lang, { timeZone: TZ, day: "2-digit", month: "2-digit" }).format(date) + " " + time;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  // ------------------------------------------------------------------ the EDT1 ticket code

  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  function base32Decode(text) {
    var out = new Uint8Array(Math.floor(text.length * 5 / 8));
    var bits = 0, value = 0, index = 0;
    for (var i = 0; i < text.length; i++) {
      value = (value << 5) | B32.indexOf(text[i]);
      bits += 5;
      if (bits >= 8) { out[index++] = (value >>> (bits - 8)) & 255; bits -= 8; }
    }
    return out;
  }

  function base64urlDecode(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // docs/ticket-qr-format.md: parse without verifying; {error: reason} or the claims.
  function parseTicketCode(text) {
    var match = /^EDT([0-9]+):/.exec(text);
    if (!match) return { error: "format" };
    if (match[1] !== "1") return { error: "version" };
    var body = text.slice(match[0].length);
    if (body.length !== 136 || !/^[A-Z2-7]*$/.test(body)) return { error: "format" };
    var blob = base32Decode(body);
    if (blob[0] !== 1) return { error: "version" };
    var view = new DataView(blob.buffer);
    var first = view.getUint16(17), mask = view.getUint16(19);
    if (mask === 0) return { error: "format" };
    var days = [];
    for (var i = 0; i < 16; i++) {
      if ((mask >> i) & 1) days.push(new Date(EPOCH_MS + (first + i) * DAY_MS).toISOString().slice(0, 10));
    }
    return {
      keyId: view.getUint32(1), festivalId: view.getUint32(5), ticketId: view.getUint32(9),
      ticketTypeId: view.getUint32(13), days: days,
      message: blob.slice(0, 21), signature: blob.slice(21, 85)
    };
  }

  var keyCache = {};
  var ed25519Supported = null;

  function importKey(b64) {
    if (!keyCache[b64]) {
      keyCache[b64] = crypto.subtle.importKey("raw", base64urlDecode(b64), { name: "Ed25519" }, false, ["verify"]);
    }
    return keyCache[b64];
  }

  // Verify against {key_id: base64url public key}; resolves {claims} or {error: reason}.
  function verifyTicketCode(text, publicKeys) {
    var claims = parseTicketCode(text);
    if (claims.error) return Promise.resolve(claims);
    var b64 = publicKeys[String(claims.keyId)];
    if (!b64) return Promise.resolve({ error: "unknown_key" });
    return importKey(b64).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, claims.signature, claims.message);
    }).then(function (ok) {
      ed25519Supported = true;
      return ok ? { claims: claims } : { error: "signature" };
    }, function () {
      delete keyCache[b64];
      ed25519Supported = false;
      return { error: "no_crypto" };
    });
  }

  // ------------------------------------------------------------------ devices (localStorage)

  function loadStore() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY)) || { devices: {} }; } catch (e) { return { devices: {} }; }
  }
  var store = loadStore();
  store.devices = store.devices || {};
  function saveStore() { try { localStorage.setItem(STORE_KEY, JSON.stringify(store)); } catch (e) { /* full */ } }

  if (root.dataset.token && root.dataset.deviceId) {
    var given = root.dataset.deviceId;
    store.devices[given] = Object.assign(store.devices[given] || {}, {
      token: root.dataset.token, id: Number(given), revoked: false,
      name: root.dataset.deviceName, list_id: Number(root.dataset.listId),
      list_name: root.dataset.listName, gate: root.dataset.gate || null
    });
    store.current = given;
    saveStore();
    // A reload must not post the one-time pairing code again: the app's own address.
    if (location.pathname !== root.dataset.startUrl && location.pathname.indexOf("/scan/") === 0) {
      history.replaceState(null, "", root.dataset.startUrl);
    }
  }
  var device = store.current ? store.devices[store.current] : null;

  // ------------------------------------------------------------------ IndexedDB

  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = function () {
      var db = open.result;
      db.createObjectStore("meta", { keyPath: "device_id" });
      var tickets = db.createObjectStore("tickets", { keyPath: ["device_id", "id"] });
      tickets.createIndex("device", "device_id");
      db.createObjectStore("queue", { keyPath: "nonce" });
      var history = db.createObjectStore("history", { keyPath: "nonce" });
      history.createIndex("ticket", ["list_id", "ticket_id"]);
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function tx(stores, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t);
        if (result && typeof result.onsuccess !== "undefined") {
          var req = result;
          req.onsuccess = function () { result = req.result; };
        }
      });
    });
  }
  function getAll(storeName, indexName, key) {
    return tx([storeName], "readonly", function (t) {
      var s = t.objectStore(storeName);
      return indexName ? s.index(indexName).getAll(key) : s.getAll();
    });
  }

  // ------------------------------------------------------------------ state kept offline

  var meta = null; // {device_id, since, list, festival, device, keys, revoked, ticket_types}
  var tickets = []; // for search and short codes: {id, short_code, name, ..., folded, phone_digits}
  var byId = {}, byShort = {}, revoked = {};
  var online = navigator.onLine !== false;
  var syncing = null, flushing = null;
  var clockOffset = 0;

  function indexTickets(list) {
    tickets = list;
    byId = {}; byShort = {};
    list.forEach(function (t) { byId[t.id] = t; byShort[t.short_code] = t; });
  }

  function loadLocal() {
    if (!device) return Promise.resolve();
    var id = device.id;
    return Promise.all([
      tx(["meta"], "readonly", function (t) { return t.objectStore("meta").get(id); }),
      getAll("tickets", "device", id)
    ]).then(function (r) {
      applyMeta(r[0] || null);
      indexTickets(r[1] || []);
      if (meta) markReady();
    });
  }

  function applyMeta(m) {
    meta = m;
    revoked = {};
    if (!m) return;
    (m.revoked || []).forEach(function (id) { revoked[id] = true; });
    clockOffset = m.clock_offset || 0;
    if (m.device) {
      $("device-name").textContent = m.device.name;
      $("list-name").textContent = m.list.name + (m.device.gate ? " · " + m.device.gate : "");
    }
    $("sync-note").textContent = m.synced_here_at
      ? fmt(T.synced_at, { time: showTime(m.synced_here_at) }) : T.never_synced;
    checkClock();
  }

  function markReady() { root.dataset.ready = "1"; }

  // ------------------------------------------------------------------ server

  function request(method, path, body, timeoutMs, token) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeoutMs);
    var started = Date.now();
    return fetch(api + path, {
      method: method,
      headers: Object.assign({ "Authorization": "Bearer " + (token || device.token), "Accept": "application/json" },
        body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store"
    }).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {
          status: response.status, data: data, started: started, ended: Date.now(),
          date: response.headers.get("Date")
        };
      });
    }, function (error) {
      clearTimeout(timer);
      throw error; // network down or too slow: the caller goes offline
    });
  }

  function setOnline(value) {
    if (online === value) return;
    online = value;
    updateMode();
    if (online) { flushQueue(); sync(); }
  }

  function updateMode() {
    var mode = $("mode");
    mode.dataset.mode = online ? "online" : "offline";
    mode.textContent = online ? T.mode_online : T.mode_offline;
  }

  function banner(text, kind) {
    var b = $("banner");
    if (!text) { b.hidden = true; b.textContent = ""; delete b.dataset.kind; return; }
    b.textContent = text;
    b.className = "banner" + (kind === "warn" ? " warn" : "");
    b.dataset.kind = kind || "error";
    b.hidden = false;
  }

  var deviceProblem = null, clockProblem = null, uploadProblem = null;
  function refreshBanner() {
    if (deviceProblem) banner(deviceProblem, "error");
    else if (uploadProblem) banner(uploadProblem, "warn");
    else if (clockProblem) banner(clockProblem, "warn");
    else banner(null);
  }

  function deviceRevoked(id) {
    var d = store.devices[id];
    if (d) { d.revoked = true; saveStore(); }
    if (device && String(device.id) === String(id)) {
      deviceProblem = T.device_revoked;
      refreshBanner();
      $("unpaired").hidden = false; // the way to pair again
    }
  }

  function checkClock() {
    clockProblem = Math.abs(clockOffset) > SKEW_WARN_MS
      ? fmt(T.clock_skew, { minutes: Math.round(Math.abs(clockOffset) / 60000) }) : null;
    refreshBanner();
  }

  // The time a scan happened: the phone's clock, corrected when it is clearly wrong.
  function now() {
    return new Date(Date.now() + (Math.abs(clockOffset) > SKEW_APPLY_MS ? clockOffset : 0));
  }

  function sync() {
    if (!device) return Promise.resolve(false);
    if (syncing) return syncing;
    var id = device.id;
    var since = meta && meta.since ? "?since=" + encodeURIComponent(meta.since) : "";
    syncing = request("GET", "/checkin/sync" + since, null, 8000).then(function (r) {
      if (r.status >= 500) { setOnline(false); return false; }
      setOnline(true); // the server answered, whatever it said
      if (r.status === 401) { deviceRevoked(id); return false; }
      if (r.status !== 200) return false;
      var data = r.data;
      // The phone's clock against the server's: its own time when it sends one, else the
      // HTTP Date header (whole seconds). synced_at is not a clock: it is set a little back.
      var serverMs = data.server_time ? Date.parse(data.server_time)
        : r.date ? Date.parse(r.date) + 500 : NaN;
      var offset = isNaN(serverMs) ? 0 : serverMs - (r.started + r.ended) / 2;
      var m = {
        device_id: id,
        // A page cut short (complete=false) is fetched again from the same point next time.
        since: data.complete ? data.synced_at : (meta && meta.since) || null,
        synced_at: data.synced_at,
        synced_here_at: new Date(r.ended).toISOString(),
        clock_offset: offset,
        device: data.device, list: data.list, festival: data.festival, keys: data.keys,
        revoked: data.revoked, ticket_types: data.ticket_types || (meta && meta.ticket_types) || []
      };
      var rows = (data.tickets || []).map(function (t) {
        return Object.assign({}, t, {
          device_id: id, folded: fold(t.name), phone_digits: digits(t.phone)
        });
      });
      return tx(["meta", "tickets"], "readwrite", function (t) {
        t.objectStore("meta").put(m);
        var s = t.objectStore("tickets");
        rows.forEach(function (row) { s.put(row); });
      }).then(function () {
        if (!device || device.id !== id) return true;
        applyMeta(m);
        rows.forEach(function (row) {
          var old = byId[row.id];
          if (old) tickets[tickets.indexOf(old)] = row; else tickets.push(row);
          byId[row.id] = row; byShort[row.short_code] = row;
        });
        store.devices[id].name = data.device.name;
        store.devices[id].list_id = data.list.id;
        saveStore();
        markReady();
        return true;
      });
    }, function () { setOnline(false); return false; }).then(function (ok) {
      syncing = null; return ok;
    }, function (error) { syncing = null; throw error; });
    return syncing;
  }

  // ------------------------------------------------------------------ offline decisions

  function admissionFor(listId, ticketId) {
    return getAll("history", "ticket", [listId, ticketId]).then(function (rows) {
      rows.sort(function (a, b) { return a.scanned_at < b.scanned_at ? -1 : 1; });
      return rows;
    });
  }

  function typeName(typeId) {
    var types = (meta && meta.ticket_types) || [];
    for (var i = 0; i < types.length; i++) {
      if (types[i].id === typeId) {
        return lang === "en" && types[i].name_en ? types[i].name_en : (types[i].name_vi || types[i].name);
      }
    }
    return "";
  }

  // Mirrors ticketing.checkin.operations._decide with what the phone knows.
  function decideLocally(payload, at) {
    var list = meta.list, ticket = null, days, typeId, ticketId;
    var code = payload.code || "";
    var step;
    if (code && code.toUpperCase().indexOf("EDT") === 0) {
      var keys = {};
      (meta.keys || []).forEach(function (k) { keys[String(k.key_id)] = k.public_key; });
      step = verifyTicketCode(code, keys).then(function (v) {
        if (v.error) return { status: "invalid", reason: v.error };
        if (v.claims.festivalId !== meta.festival.id) return { status: "invalid", reason: "festival" };
        ticketId = v.claims.ticketId;
        ticket = byId[ticketId] || null;
        days = v.claims.days;
        typeId = v.claims.ticketTypeId;
        return null;
      });
    } else {
      var short = normalizeCode(payload.short_code || code);
      ticket = short.length === 8 ? byShort[short] || null : null;
      if (!ticket) return Promise.resolve({ status: "invalid", reason: "unknown" });
      ticketId = ticket.id;
      days = ticket.days && ticket.days.length ? ticket.days : meta.festival.days;
      typeId = ticket.ticket_type_id;
      step = Promise.resolve(null);
    }
    return step.then(function (early) {
      if (early) return early;
      var summary = {
        id: ticketId, name: ticket ? ticket.name : null, short_code: ticket ? ticket.short_code : null,
        ticket_type: typeName(typeId), ticket_type_id: typeId
      };
      var answer = function (status, extra) { return Object.assign({ status: status, ticket: summary }, extra || {}); };
      if (ticket && ticket.state === "reserved") return answer("unpaid");
      if (revoked[ticketId] || (ticket && ticket.state !== "valid")) return answer("revoked");
      if (list.ticket_type_ids && list.ticket_type_ids.length && list.ticket_type_ids.indexOf(typeId) < 0) {
        return answer("wrong_list");
      }
      var admitted = days;
      if (list.days && list.days.length) admitted = days.filter(function (d) { return list.days.indexOf(d) >= 0; });
      if (admitted.indexOf(localDay(at)) < 0) return answer("wrong_day");
      if (list.starts_at && at < new Date(list.starts_at)) return answer("wrong_day");
      if (list.ends_at && at > new Date(list.ends_at)) return answer("wrong_day");
      if (payload.type === "exit") return answer("ok");
      return admissionFor(list.id, ticketId).then(function (rows) {
        if (list.single_entry) {
          var first = rows.filter(function (r) { return r.admits; })[0];
          if (first) return answer("already_checked_in", { first_scan: { at: first.scanned_at, gate: first.gate } });
          return answer("ok", { admits: true });
        }
        if (list.track_exits) {
          var oks = rows.filter(function (r) { return r.status === "ok"; });
          var last = oks[oks.length - 1];
          if (last && last.type === "entry") {
            return answer("already_checked_in", { first_scan: { at: last.scanned_at, gate: last.gate } });
          }
        }
        return answer("ok");
      });
    });
  }

  function remember(entry) {
    return tx(["history"], "readwrite", function (t) { t.objectStore("history").put(entry); });
  }

  // ------------------------------------------------------------------ scanning

  var exitMode = false;
  var chain = Promise.resolve();

  function handle(input) {
    // One scan at a time: an offline decision must see the one before it.
    chain = chain.then(function () { return scan(input); }).catch(function (error) {
      if (window.console) console.error(error);
    });
    return chain;
  }

  function scan(input) {
    if (!device) { showUnpaired(); return Promise.resolve(); }
    var at = now();
    var payload = {
      list_id: device.list_id, type: exitMode ? "exit" : "entry",
      scanned_at: at.toISOString(), nonce: uuid()
    };
    if (input.short_code) payload.short_code = input.short_code; else payload.code = input.code;
    var gate = (meta && meta.device && meta.device.gate) || device.gate || device.name;

    var tryServer = online && !device.revoked && navigator.onLine !== false
      ? request("POST", "/checkin/scan", payload, ONLINE_TIMEOUT_MS).then(function (r) {
        if (r.status === 200) return { answer: r.data };
        if (r.status === 401) { deviceRevoked(device.id); return null; }
        // Only a scan the server read and refused is answered red from here; anything else
        // (overloaded, rate-limited, a proxy error page) is decided on the phone and queued.
        if ([400, 403, 422].indexOf(r.status) < 0) { setOnline(false); return null; }
        var message = (r.data && r.data.error && r.data.error.message) || T.server_error;
        if (r.data && r.data.error && r.data.error.code === "wrong_device_list") message = T.device_list_mismatch;
        return { answer: { status: "invalid", ticket: null, message: message }, refused: true };
      }, function () { setOnline(false); return null; })
      : Promise.resolve(null);

    return tryServer.then(function (server) {
      if (server) {
        var a = server.answer;
        if (a.clock_skew) { clockProblem = T.clock_skew_server; refreshBanner(); }
        show(a, payload, false);
        if (server.refused) return null;
        var t = a.ticket;
        var writes = [];
        if (t && a.status === "ok") {
          writes.push(remember({ nonce: a.nonce || payload.nonce, list_id: device.list_id, ticket_id: t.id,
            type: payload.type, status: "ok", admits: payload.type === "entry" && (!meta || meta.list.single_entry),
            scanned_at: a.scanned_at || payload.scanned_at, gate: gate }));
        } else if (t && a.status === "already_checked_in" && a.first_scan) {
          writes.push(remember({ nonce: "server-" + device.list_id + "-" + t.id, list_id: device.list_id, ticket_id: t.id,
            type: "entry", status: "ok", admits: true, scanned_at: a.first_scan.at, gate: a.first_scan.gate }));
        }
        return Promise.all(writes);
      }
      // Offline (or the server is too slow, or this device was revoked): decide here, queue it.
      if (!meta) {
        var none = { status: "invalid", ticket: null, message: T.never_synced };
        show(none, payload, true);
        return queue(payload, none.status);
      }
      return decideLocally(payload, at).then(function (a) {
        if (a.reason === "no_crypto") a.message = T.detail_invalid_offline_crypto;
        show(a, payload, true);
        var writes = [queue(payload, a.status)];
        if (a.status === "ok" && a.ticket) {
          writes.push(remember({ nonce: payload.nonce, list_id: device.list_id, ticket_id: a.ticket.id,
            type: payload.type, status: "ok", admits: !!a.admits || (payload.type === "entry" && meta.list.single_entry),
            scanned_at: payload.scanned_at, gate: gate }));
        }
        return Promise.all(writes);
      });
    });
  }

  function queue(payload, localStatus) {
    return tx(["queue"], "readwrite", function (t) {
      // local_status: the answer this phone showed (the server may use it to tell a second
      // admission from a repeat the phone already refused).
      t.objectStore("queue").put({
        nonce: payload.nonce, device_id: device.id, list_id: payload.list_id,
        payload: Object.assign({}, payload, { local_status: localStatus }),
        local_status: localStatus, error: null
      });
    }).then(updatePending);
  }

  // ------------------------------------------------------------------ the answer on screen

  var seq = 0, hideTimer = null;

  function show(answer, payload, offline) {
    var status = answer.status;
    var color = status === "ok" ? "green" : status === "already_checked_in" ? "amber" : "red";
    var el = $("result");
    var t = answer.ticket || {};
    var verdict = status === "ok" && payload.type === "exit" ? T.status_ok_exit : T["status_" + status] || status;
    var typeLabel = lang === "en" && t.ticket_type_en ? t.ticket_type_en : t.ticket_type;
    var detail = "";
    if (status === "already_checked_in" && answer.first_scan) {
      detail = fmt(answer.first_scan.gate ? T.first_scan_gate : T.first_scan,
        { time: showTime(answer.first_scan.at), gate: answer.first_scan.gate || "" });
    } else if (answer.message) {
      detail = answer.message;
    } else if (RED[status]) {
      detail = T["detail_" + status] || "";
    }
    el.querySelector(".verdict").textContent = verdict;
    el.querySelector(".name").textContent = t.name || (t.id ? T.unknown_name : "");
    el.querySelector(".type").textContent = typeLabel || "";
    el.querySelector(".detail").textContent = detail;
    el.querySelector(".offline").textContent = offline ? T.checked_offline : "";
    seq += 1;
    el.dataset.seq = String(seq);
    el.dataset.status = status;
    el.dataset.color = color;
    el.dataset.type = payload.type;
    el.dataset.nonce = payload.nonce;
    el.dataset.scannedAt = payload.scanned_at;
    el.dataset.offline = offline ? "1" : "0";
    if (t.id) el.dataset.ticketId = String(t.id); else delete el.dataset.ticketId;
    el.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hideResult, status === "ok" ? 3000 : 6000);
    signal(color);
    if (status === "ok") count(payload.type);
    focusWedge();
  }

  function hideResult() { $("result").hidden = true; focusWedge(); }

  // ------------------------------------------------------------------ sound, vibration, counter

  var audio = null;
  function unlockAudio() {
    if (audio) return;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { try { audio = new Ctx(); } catch (e) { audio = null; } }
  }
  function beep(freq, start, length) {
    if (!audio) return;
    var osc = audio.createOscillator(), gain = audio.createGain();
    var t0 = audio.currentTime + start;
    osc.frequency.value = freq;
    osc.type = "square";
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + length);
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(t0); osc.stop(t0 + length + 0.02);
  }
  function signal(color) {
    try {
      if (audio && audio.state === "suspended") audio.resume();
      if (color === "green") beep(1320, 0, 0.12);
      else if (color === "amber") { beep(660, 0, 0.12); beep(660, 0.18, 0.12); }
      else beep(220, 0, 0.5);
    } catch (e) { /* no sound on this phone */ }
    if (navigator.vibrate) {
      navigator.vibrate(color === "green" ? 80 : color === "amber" ? [80, 80, 80] : [400]);
    }
  }

  function counterKey() { return STORE_KEY + ".count." + (device ? device.id : "") + "." + localDay(now()); }
  function readCount() {
    try { return JSON.parse(localStorage.getItem(counterKey())) || { entry: 0, exit: 0 }; } catch (e) { return { entry: 0, exit: 0 }; }
  }
  function count(type) {
    var c = readCount();
    c[type] = (c[type] || 0) + 1;
    try { localStorage.setItem(counterKey(), JSON.stringify(c)); } catch (e) { /* full */ }
    showCount();
  }
  function showCount() {
    var c = readCount();
    $("count").textContent = String(c.entry || 0);
    $("exits").textContent = String(c.exit || 0);
    $("exits-stat").hidden = !(c.exit || exitMode);
  }

  // ------------------------------------------------------------------ upload queue

  function updatePending() {
    return getAll("queue").then(function (rows) {
      $("pending").textContent = String(rows.length);
      $("pending-stat").dataset.count = String(rows.length);
      return rows.length;
    });
  }

  // The token to upload a queued scan with: its own device's, or a paired device on its list.
  function tokenFor(item) {
    var own = store.devices[item.device_id];
    if (own && !own.revoked && own.token) return own;
    var ids = Object.keys(store.devices);
    for (var i = 0; i < ids.length; i++) {
      var d = store.devices[ids[i]];
      if (!d.revoked && d.token && d.list_id === item.list_id) return d;
    }
    return null;
  }

  function flushQueue() {
    if (flushing || !online) return flushing || Promise.resolve();
    flushing = getAll("queue").then(function (rows) {
      var groups = {};
      rows.sort(function (a, b) { return a.payload.scanned_at < b.payload.scanned_at ? -1 : 1; });
      rows.forEach(function (row) {
        var d = tokenFor(row);
        if (!d) return; // kept until a device for its list is paired
        (groups[d.id] = groups[d.id] || { device: d, rows: [] }).rows.push(row);
      });
      var duplicates = 0, errors = [];
      var ids = Object.keys(groups);
      var next = function (i) {
        if (i >= ids.length) return Promise.resolve();
        return uploadGroup(groups[ids[i]], 0).then(function (r) {
          duplicates += r.duplicates;
          errors = errors.concat(r.errors);
          return r.stop ? null : next(i + 1);
        });
      };
      return next(0).then(function () {
        uploadProblem = errors.length ? fmt(T.upload_errors, { message: errors[0] }) : null;
        refreshBanner();
        if (duplicates) {
          var report = $("sync-report");
          var total = Number(report.dataset.duplicates || 0) + duplicates;
          report.dataset.duplicates = String(total);
          report.textContent = fmt(T.duplicates_after_sync, { count: total });
          report.hidden = false;
        }
      });
    }).then(updatePending, updatePending).then(function () { flushing = null; });
    return flushing;
  }

  function uploadGroup(group, start) {
    var rows = group.rows.slice(start, start + UPLOAD_BATCH);
    if (!rows.length) return Promise.resolve({ duplicates: 0, errors: [], stop: false });
    var scans = rows.map(function (row) {
      return Object.assign({}, row.payload, { list_id: group.device.list_id });
    });
    return request("POST", "/checkin/scans", { scans: scans }, 15000, group.device.token).then(function (r) {
      if (r.status === 401) { deviceRevoked(group.device.id); return { duplicates: 0, errors: [], stop: false }; }
      if (r.status >= 500 || r.status === 429 || r.status === 408) {
        return { duplicates: 0, errors: [], stop: true }; // later: the queue waits
      }
      if (r.status !== 200) {
        var message = (r.data && r.data.error && r.data.error.message) || T.server_error;
        return { duplicates: 0, errors: [message], stop: false };
      }
      var answered = [], failed = {}, duplicates = 0, errors = [], local = {};
      rows.forEach(function (row) { local[row.nonce] = row.local_status; });
      (r.data.results || []).forEach(function (res) {
        if (res && res.status && res.nonce) {
          answered.push(res);
          // Green on this phone, but another gate had let the ticket in first.
          if (res.status === "already_checked_in" && local[res.nonce] === "ok") duplicates += 1;
          if (res.clock_skew) { clockProblem = T.clock_skew_server; }
        } else if (res && res.nonce) {
          failed[res.nonce] = (res.error && res.error.message) || T.server_error;
          errors.push(failed[res.nonce]);
        }
      });
      // Only the scans the server answered leave the queue; the others wait with their error.
      return tx(["queue"], "readwrite", function (t) {
        var s = t.objectStore("queue");
        answered.forEach(function (res) { s.delete(res.nonce); });
        rows.forEach(function (row) {
          if (failed[row.nonce]) { row.error = failed[row.nonce]; s.put(row); }
        });
      }).then(function () {
        return uploadGroup(group, start + UPLOAD_BATCH).then(function (more) {
          return { duplicates: duplicates + more.duplicates, errors: errors.concat(more.errors), stop: more.stop };
        });
      });
    }, function () {
      setOnline(false);
      return { duplicates: 0, errors: [], stop: true };
    });
  }

  // ------------------------------------------------------------------ keyboard wedge

  var wedge = $("code");
  var searchPanel = $("search-panel");

  function focusWedge() {
    if (!searchPanel.hidden) return;
    if (document.activeElement !== wedge) wedge.focus({ preventScroll: true });
  }

  $("wedge").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = wedge.value.trim();
    wedge.value = "";
    if (keyboardOn) setKeyboard(false);
    if (text) handle({ code: text });
  });
  wedge.addEventListener("blur", function () { setTimeout(focusWedge, 0); });

  var keyboardOn = false;
  function setKeyboard(on) {
    keyboardOn = on;
    wedge.setAttribute("inputmode", on ? "text" : "none");
    $("keyboard-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    wedge.blur();
    focusWedge();
  }
  $("keyboard-toggle").addEventListener("click", function () {
    if (!searchPanel.hidden) toggleSearch(false);
    setKeyboard(!keyboardOn);
  });

  $("exit-toggle").addEventListener("click", function () {
    exitMode = !exitMode;
    this.setAttribute("aria-pressed", exitMode ? "true" : "false");
    root.dataset.exitMode = exitMode ? "1" : "0";
    $("exit-note").hidden = !exitMode;
    showCount();
    focusWedge();
  });

  $("result").addEventListener("click", hideResult);
  document.addEventListener("keydown", unlockAudio, true);
  document.addEventListener("pointerdown", unlockAudio, true);

  // ------------------------------------------------------------------ search

  var searchInput = $("search");

  function toggleSearch(on) {
    searchPanel.hidden = !on;
    $("search-toggle").setAttribute("aria-pressed", on ? "true" : "false");
    if (on) { searchInput.value = ""; renderSearch(); searchInput.focus(); } else { focusWedge(); }
  }
  $("search-toggle").addEventListener("click", function () { toggleSearch(searchPanel.hidden); });

  function findTickets(query) {
    var q = fold(query);
    var code = normalizeCode(query);
    var phone = digits(query);
    var words = q.split(" ").filter(Boolean);
    var byDigits = /^[\d\s+.-]+$/.test(query.trim()) && phone.length >= 3;
    if (!byDigits && q.replace(/ /g, "").length < 2) return null;
    var found = [];
    for (var i = 0; i < tickets.length && found.length < 20; i++) {
      var t = tickets[i];
      var hit = byDigits
        ? t.phone_digits && t.phone_digits.indexOf(phone) >= 0
        : words.every(function (w) { return t.folded.indexOf(w) >= 0; }) ||
          (code.length >= 4 && t.short_code.indexOf(code) === 0);
      if (hit) found.push(t);
    }
    return found;
  }

  function renderSearch() {
    var list = $("search-results");
    list.textContent = "";
    var found = findTickets(searchInput.value);
    $("search-hint").textContent = found === null ? T.search_hint : found.length ? "" : T.search_none;
    (found || []).forEach(function (t) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.shortCode = t.short_code;
      button.textContent = t.name;
      var small = document.createElement("small");
      var type = typeName(t.ticket_type_id);
      small.textContent = t.short_code + (type ? " · " + type : "");
      button.appendChild(small);
      button.addEventListener("click", function () {
        toggleSearch(false);
        handle({ short_code: t.short_code });
      });
      li.appendChild(button);
      list.appendChild(li);
    });
  }
  searchInput.addEventListener("input", renderSearch);

  // ------------------------------------------------------------------ camera

  var video = $("video"), stream = null, detector = null, cameraTimer = null, canvas = null, ctx2d = null;
  var lastText = null, lastSeen = 0, decoding = false;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = root.dataset.jsqr;
      s.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR")); };
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

  function cameraNote(text) { var p = $("camera-note"); p.textContent = text || ""; p.hidden = !text; }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraNote(T.camera_unavailable); return Promise.resolve();
    }
    $("camera-toggle").setAttribute("aria-pressed", "true");
    return makeDetector().then(function (d) {
      detector = d;
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    }, function () {
      throw new Error("decoder");
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      root.querySelector(".camera .frame").hidden = false;
      cameraNote(null);
      store.camera = true; saveStore();
      return video.play();
    }).then(function () {
      root.dataset.camera = detector ? "barcode-detector" : "jsqr";
      tick();
    }).catch(function (error) {
      stopCamera(false);
      cameraNote(error && error.message === "decoder" ? T.camera_no_decoder : T.camera_unavailable);
    });
  }

  function stopCamera(remember) {
    clearTimeout(cameraTimer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    root.querySelector(".camera .frame").hidden = true;
    $("camera-toggle").setAttribute("aria-pressed", "false");
    delete root.dataset.camera;
    if (remember) { store.camera = false; saveStore(); }
  }

  function found(text) {
    var t = Date.now();
    if (text === lastText && t - lastSeen < REPEAT_MS) { lastSeen = t; return; }
    lastText = text; lastSeen = t;
    handle({ code: text });
  }

  function tick() {
    if (!stream) return;
    cameraTimer = setTimeout(tick, FRAME_MS);
    if (decoding || video.readyState < 2 || !video.videoWidth) return;
    decoding = true;
    var done = function () { decoding = false; };
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) found(codes[0].rawValue);
      }).then(done, done);
      return;
    }
    try {
      var scale = Math.min(1, 800 / video.videoWidth);
      var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
      if (!canvas) { canvas = document.createElement("canvas"); ctx2d = canvas.getContext("2d", { willReadFrequently: true }); }
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      ctx2d.drawImage(video, 0, 0, w, h);
      var image = ctx2d.getImageData(0, 0, w, h);
      var result = window.jsQR(image.data, w, h, { inversionAttempts: "dontInvert" });
      if (result && result.data) found(result.data);
    } finally { done(); }
  }

  $("camera-toggle").addEventListener("click", function () {
    if (stream) stopCamera(true); else startCamera();
    focusWedge();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { if (stream) stopCamera(false); } else if (store.camera && !stream && device) startCamera();
  });

  // ------------------------------------------------------------------ start

  window.addEventListener("offline", function () { setOnline(false); });
  window.addEventListener("online", function () { sync(); });

  setInterval(function () {
    if (!device) return;
    if (!online) { sync(); return; } // the probe: back online when the server answers
    updatePending().then(function (n) { if (n) flushQueue(); });
  }, PROBE_MS);
  setInterval(function () { if (online) sync(); }, SYNC_MS);
  setInterval(function () { if (online) updatePending().then(function (n) { if (n) flushQueue(); }); }, FLUSH_MS);

  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.startUrl }).catch(function () {});
  }

  updateMode();
  showCount();
  function showUnpaired() { $("unpaired").hidden = false; $("unpaired-text").hidden = false; }
  if (!device) {
    showUnpaired();
  } else if (device.revoked) {
    deviceRevoked(device.id);
  }
  loadLocal().then(function () {
    updatePending();
    if (!device) return null;
    // A paired phone keeps the QR decoder for the camera offline (the service worker caches it).
    if (!("BarcodeDetector" in window) && "serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage("keep-decoder");
      });
    }
    if (!online) return null;
    return sync().then(function () { return flushQueue(); });
  }).catch(function (error) { if (window.console) console.error(error); });
  if (device && store.camera) startCamera();
  focusWedge();

  // For tests and support: the pure parts, e.g. checking docs' test vectors in this browser.
  window.EventDayScanner = { parseTicketCode: parseTicketCode, verifyTicketCode: verifyTicketCode, fold: fold };
})();

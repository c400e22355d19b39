/*
 * Stratus tracker: page views, clicks and form submits, sent to the Stratus
 * collector as small batches of event envelopes. Plain JavaScript, no build
 * step. Forms send field names and validity, never what was typed, and no
 * input's value is ever read. Page URLs are sent without their fragment and
 * without query parameters (they can hold reset tokens or emails), except
 * utm_* and the ones named in data-keep-params.
 *
 *   <script src="https://collector.example.com/t.js" defer></script>
 *   <script>stratus.identify("cust-00042")</script>
 *
 * Options as attributes of the script tag: data-key (a browser write key,
 * needed once the collector has keys; sent as the batch's writeKey, so no
 * preflight), data-endpoint (default: /v1/batch
 * on the script's own origin), data-flush-ms (default 1000),
 * data-no-auto (no automatic page views, clicks and submits),
 * data-keep-params (query parameters to keep in URLs, comma-separated).
 */
(function () {
  "use strict";
  if (window.stratus && window.stratus.version) return;

  var VERSION = "1.0.0";
  var SESSION_IDLE_MS = 30 * 60 * 1000;
  var MAX_BATCH = 50;
  var script = document.currentScript;
  var origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var endpoint = (script && script.getAttribute("data-endpoint")) || origin + "/v1/batch";
  var writeKey = (script && script.getAttribute("data-key")) || null;
  var flushMs = Number((script && script.getAttribute("data-flush-ms")) || 1000);
  var auto = !(script && script.hasAttribute("data-no-auto"));
  var keepParams = ((script && script.getAttribute("data-keep-params")) || "")
    .split(",").map(function (p) { return p.trim(); }).filter(Boolean);
  var queue = [];
  var timer = null;
  var listeners = [];

  // Storage can be blocked (private mode, sandboxed frames): fall back to memory.
  var memory = {};
  function load(store, key) {
    try { return window[store].getItem(key); } catch (e) { return memory[store + key] || null; }
  }
  function save(store, key, value) {
    try { window[store].setItem(key, value); } catch (e) { memory[store + key] = value; }
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] + 256).toString(16).slice(1);
    return out;
  }
  // UUIDv7: 48 bits of Unix ms, then random bits with the version and variant set.
  function uuidv7() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = hex(b);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function anonymousId() {
    var id = load("localStorage", "stratus.anonymous_id");
    if (!id) { id = uuidv7(); save("localStorage", "stratus.anonymous_id", id); }
    return id;
  }
  // A session ends after 30 idle minutes.
  function sessionId() {
    var now = Date.now();
    var id = load("sessionStorage", "stratus.session_id");
    var last = Number(load("sessionStorage", "stratus.session_seen") || 0);
    if (!id || now - last > SESSION_IDLE_MS) { id = uuidv7(); save("sessionStorage", "stratus.session_id", id); }
    save("sessionStorage", "stratus.session_seen", String(now));
    return id;
  }

  // A URL without its fragment, keeping only the allowed query parameters.
  function cleanUrl(href) {
    if (!href) return undefined;
    var url;
    try { url = new URL(href, location.href); } catch (e) { return undefined; }
    var kept = [];
    url.searchParams.forEach(function (value, name) {
      if (name.indexOf("utm_") === 0 || keepParams.indexOf(name) >= 0) {
        kept.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
      }
    });
    return url.origin + url.pathname + (kept.length ? "?" + kept.join("&") : "");
  }

  function context(element) {
    var ctx = {
      url: cleanUrl(location.href),
      path: location.pathname,
      title: document.title,
      referrer: cleanUrl(document.referrer),
      library: { name: "stratus-t.js", version: VERSION },
      locale: navigator.language
    };
    try { ctx.tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* old browser */ }
    if (element) ctx.element = element;
    return ctx;
  }

  function enqueue(type, name, properties, element) {
    var event = {
      event_id: uuidv7(),
      type: type,
      event: name,
      distinct_id: load("localStorage", "stratus.distinct_id") || undefined,
      anonymous_id: anonymousId(),
      session_id: sessionId(),
      client_ts: new Date().toISOString(),
      properties: properties || {},
      context: context(element)
    };
    queue.push(event);
    if (queue.length >= MAX_BATCH) flush();
    else if (!timer) timer = setTimeout(flush, flushMs);
    return event.event_id;
  }

  // Sends what is queued. A failed send keeps the events for the next flush:
  // their event_id stays the same, so a retry never counts twice.
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!queue.length) return Promise.resolve(null);
    var batch = queue.splice(0, MAX_BATCH);
    var payload = { batch: batch, sent_at: new Date().toISOString() };
    if (writeKey) payload.writeKey = writeKey;
    var body = JSON.stringify(payload);
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
      keepalive: body.length < 60000,
      credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (result) {
        if (response.status >= 500 || response.status === 429) queue = batch.concat(queue);
        notify({ status: response.status, sent: batch, result: result });
        if (queue.length) timer = setTimeout(flush, flushMs);
        return result;
      });
    }, function (error) {
      queue = batch.concat(queue);
      notify({ status: 0, sent: batch, error: String(error) });
      timer = setTimeout(flush, flushMs * 5);
      return null;
    });
  }

  function notify(outcome) {
    for (var i = 0; i < listeners.length; i++) {
      try { listeners[i](outcome); } catch (e) { /* a listener never stops tracking */ }
    }
  }

  // What was clicked: tag, id, the visible text of links and buttons. An
  // input's value is never read (an <input type=button> shows its value,
  // but any input can be made clickable and hold what someone typed).
  function describe(el) {
    var tag = el.tagName.toLowerCase();
    var d = { tag: tag };
    if (el.id) d.id = el.id;
    if (tag !== "input" && tag !== "textarea" && tag !== "select") {
      var text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 80);
      if (text) d.text = text;
    }
    if (el.getAttribute("href")) d.href = cleanUrl(el.getAttribute("href"));
    if (el.getAttribute("data-track")) d.track = el.getAttribute("data-track");
    return d;
  }

  function onClick(e) {
    var el = e.target && e.target.closest && e.target.closest("a, button, [data-track], input[type=submit], input[type=button]");
    if (!el) return;
    var name = el.getAttribute("data-track") || "Clicked";
    enqueue("track", name, {}, describe(el));
  }

  // Names and validity only: the values a person typed never leave the page.
  function onSubmit(e) {
    var form = e.target;
    if (!form || form.tagName !== "FORM") return;
    var props = { form: form.getAttribute("name") || form.id || "form", valid: form.checkValidity() };
    var fields = [];
    var invalid = [];
    for (var i = 0; i < form.elements.length; i++) {
      var f = form.elements[i];
      if (!f.name || f.type === "submit" || f.type === "button") continue;
      fields.push(f.name);
      if (f.validity && !f.validity.valid) invalid.push(f.name);
    }
    props.fields = fields.join(",");
    props.invalid_fields = invalid.join(",");
    enqueue("track", form.getAttribute("data-track") || "Form Submitted", props, describe(form));
  }

  window.stratus = {
    version: VERSION,
    track: function (name, properties) { return enqueue("track", name, properties); },
    page: function (properties) { return enqueue("page", "$pageview", properties); },
    identify: function (distinctId, traits) {
      if (distinctId) save("localStorage", "stratus.distinct_id", distinctId);
      else { try { localStorage.removeItem("stratus.distinct_id"); } catch (e) { delete memory["localStoragestratus.distinct_id"]; } }
      return distinctId ? enqueue("identify", "$identify", traits) : null;
    },
    distinctId: function () { return load("localStorage", "stratus.distinct_id"); },
    flush: flush,
    // The write key, for pages that learn it after the script loaded.
    setKey: function (key) { writeKey = key || null; },
    onSend: function (listener) { listeners.push(listener); }
  };

  if (auto) {
    document.addEventListener("click", onClick, true);
    document.addEventListener("submit", onSubmit, true);
    window.stratus.page();
  }
  // Send what is left when the page goes away.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush();
  });
})();

// Passkeys (WebAuthn): the two browser calls the server cannot make itself. A form marked
// data-passkey="register" (Security page) or data-passkey="login" (two-factor step) posts
// to its `action` (".../start"), hands the JSON options to navigator.credentials.create or
// .get, posts the credential as JSON to data-finish, and follows the `redirect` it
// answers. Binary fields travel as base64url, as webauthn-rs reads and writes them. The
// forms are hidden until this script shows them, so a browser without script (or without
// WebAuthn) sees only what works without it.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function fromB64url(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfOf(form) {
    var f = form.querySelector("input[name=csrf_token]");
    return f ? f.value : "";
  }

  // Posts and answers the JSON, or follows the server to another page (sudo mode, the
  // login page) when it redirected instead.
  async function post(url, form, body, contentType) {
    var res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": contentType, "X-CSRF-Token": csrfOf(form), "Accept": "application/json" },
      body: body,
    });
    var type = res.headers.get("Content-Type") || "";
    if (res.redirected || type.indexOf("application/json") !== 0) {
      window.location.assign(res.url);
      return null;
    }
    var data = await res.json();
    if (!res.ok) throw new Error(data.error || "The server refused the passkey.");
    return data;
  }

  function show(form, message) {
    var p = form.querySelector("[data-passkey-error]");
    if (!p) return;
    p.textContent = message;
    p.hidden = !message;
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return { publicKey: pk };
  }

  async function register(form) {
    var body = new URLSearchParams(new FormData(form)).toString();
    var options = await post(form.action, form, body, "application/x-www-form-urlencoded");
    if (!options) return;
    var cred = await navigator.credentials.create(creationOptions(options));
    var done = await post(form.dataset.finish, form, JSON.stringify({
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toB64url(cred.response.attestationObject),
        clientDataJSON: toB64url(cred.response.clientDataJSON),
      },
      extensions: cred.getClientExtensionResults(),
    }), "application/json");
    if (done) window.location.assign(done.redirect);
  }

  async function login(form) {
    var options = await post(form.action, form, "", "application/x-www-form-urlencoded");
    if (!options) return;
    var cred = await navigator.credentials.get(requestOptions(options));
    var done = await post(form.dataset.finish, form, JSON.stringify({
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toB64url(cred.response.authenticatorData),
        clientDataJSON: toB64url(cred.response.clientDataJSON),
        signature: toB64url(cred.response.signature),
        userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
      },
      extensions: cred.getClientExtensionResults(),
    }), "application/json");
    if (done) window.location.assign(done.redirect);
  }

  function wire() {
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var button = form.querySelector("button[type=submit]");
        if (button) button.disabled = true;
        show(form, "");
        var run = form.dataset.passkey === "register" ? register : login;
        run(form).catch(function (err) {
          var message = err && err.name === "NotAllowedError"
            ? "The passkey prompt was cancelled or timed out. Try again."
            : (err && err.message) || "The passkey did not work. Try again.";
          show(form, message);
        }).finally(function () {
          if (button) button.disabled = false;
        });
      });
    });
    document.querySelectorAll("[data-passkey-noscript]").forEach(function (el) {
      el.hidden = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();

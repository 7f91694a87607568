// The agent's browser softphone: JsSIP registers when the desk opens; a ringing call shows its
// Answer / Decline in the call's pop (desk.js owns the pop), then Hang up, Mute, Hold, a DTMF keypad
// and a timer. window.ccPhone is a small hook for tests and the benchmark.
(function () {
  "use strict";
  var box = document.getElementById("softphone");
  if (!box || !window.JsSIP) return;
  var t = box.dataset, ua = null, config = null, session = null, held = false, muted = false;
  var timer = null, answeredAt = 0, lastStats = null;
  var phone = window.ccPhone = { state: "registering", call: null, events: [], lastStats: null };

  function el(id) { return document.getElementById(id); }
  function text(node, value) { node.textContent = value == null ? "" : String(value); }
  function now() { return performance.timeOrigin + performance.now(); }  // ms since the epoch, sub-ms
  function note(name) { phone.events.push({ name: name, at: now() }); }
  function digits(s) { return String(s || "").replace(/[^0-9]/g, ""); }

  function setState(state, label, cls) {
    phone.state = state;
    var b = el("phone-state");
    b.className = "badge " + cls;
    b.dataset.state = state;
    text(b, label);
  }

  // -- the call's half of the pop -------------------------------------------------------------
  function show(ids, on) { ids.forEach(function (id) { el(id).hidden = !on; }); }

  function callView(state) {
    var panel = el("phone-call");
    panel.hidden = state === "idle";
    panel.dataset.state = state;
    var badge = el("phone-call-state");
    var labels = { ringing: t.tRinging, incall: t.tIncall, held: t.tHeld, ended: t.tEnded };
    text(badge, labels[state] || "");
    badge.className = "badge " + (state === "ringing" ? "warn" : state === "ended" ? "ended" : "on");
    show(["phone-answer", "phone-decline"], state === "ringing");
    show(["phone-mute", "phone-hold", "phone-keypad-toggle", "phone-hangup", "phone-timer"],
         state === "incall" || state === "held");
    if (state !== "incall" && state !== "held") el("phone-keypad").hidden = true;
    text(el("phone-mute"), muted ? t.tUnmute : t.tMute);
    text(el("phone-hold"), held ? t.tResume : t.tHold);
  }

  function tick() {
    var s = Math.floor((Date.now() - answeredAt) / 1000);
    text(el("phone-timer"), Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2));
  }

  // Is this desk pop (from the bridge) the call ringing here? By the PBX's linkedid, else by number.
  phone.matches = function (pop) {
    var c = phone.call;
    if (!c || !pop || pop.phoneOnly) return false;
    if (c.linkedid) return String(pop.key || "").split(":").pop() === c.linkedid;
    var a = digits(pop.caller_number).slice(-7), b = digits(c.number).slice(-7);
    return !a || !b || a === b;
  };
  phone.busy = function () { return !!session; };

  // -- media ------------------------------------------------------------------------------------
  phone.stats = function () {
    var pc = session && session.connection;
    if (!pc || pc.signalingState === "closed") return Promise.resolve(lastStats);  // the last call's figures
    return pc.getStats().then(function (report) {
      var o = { bytesReceived: 0, bytesSent: 0, packetsReceived: 0, packetsSent: 0 };
      report.forEach(function (s) {
        if (s.kind !== "audio" && s.mediaType !== "audio") return;
        if (s.type === "inbound-rtp") { o.bytesReceived += s.bytesReceived || 0; o.packetsReceived += s.packetsReceived || 0; }
        if (s.type === "outbound-rtp") { o.bytesSent += s.bytesSent || 0; o.packetsSent += s.packetsSent || 0; }
      });
      lastStats = phone.lastStats = o;
      return o;
    });
  };

  // Answer -> two-way audio: the first moment both directions have carried bytes.
  function watchAudio(clickedAt) {
    var started = now();
    (function poll() {
      if (!session) return;
      phone.stats().then(function (o) {
        if (o && o.bytesReceived > 0 && o.bytesSent > 0) {
          phone.call.audioAt = now();
          phone.call.answerToAudioMs = phone.call.audioAt - clickedAt;
          note("two_way_audio");
        } else if (now() - started < 30000) {
          setTimeout(poll, 10);
        }
      });
    })();
  }

  function attachAudio(pc) {
    pc.addEventListener("track", function (e) {
      var audio = el("phone-audio");
      audio.srcObject = e.streams[0] || new MediaStream([e.track]);
      var played = audio.play();
      if (played && played.catch) played.catch(function () {});
    });
  }

  // -- one incoming call -------------------------------------------------------------------------
  function ended(reason) {
    if (timer) clearInterval(timer);
    timer = null;
    session = null; held = false; muted = false;
    if (phone.call) { phone.call.endedAt = now(); phone.call.end = reason; }
    note("ended");
    callView("ended");
    window.ccDesk.releaseCall();
  }

  function incoming(e) {
    var s = e.session, req = e.request;
    if (session) { s.terminate({ status_code: 486 }); return; }  // one call at a time
    session = s;
    var from = s.remote_identity;
    phone.call = {
      ringAt: now(), number: from.uri.user, name: from.display_name || "",
      linkedid: req.getHeader("X-CC-Linkedid") || null, callId: req.call_id
    };
    note("ringing");
    window.ccDesk.showCall(phone.matches, phone.call.number || t.tUnknown, phone.call.name);
    callView("ringing");
    s.on("peerconnection", function (ev) { attachAudio(ev.peerconnection); });
    // JsSIP answers once ICE gathering completes; an unreachable STUN/TURN server must not hold the
    // answer for seconds: a second after the first candidate, answer with what has been gathered.
    var iceTimer = null;
    s.on("icecandidate", function (ev) {
      if (!iceTimer && config.ice_servers.length) iceTimer = setTimeout(ev.ready, 1000);
    });
    s.on("accepted", function () {
      answeredAt = Date.now(); tick();
      timer = setInterval(function () { tick(); phone.stats(); }, 1000);
      callView("incall");
    });
    s.on("hold", function () { held = true; callView("held"); note("hold"); });
    s.on("unhold", function () { held = false; callView("incall"); note("unhold"); });
    s.on("ended", function (ev) { ended(ev.cause); });
    s.on("failed", function (ev) { ended(ev.cause); });
  }

  phone.answer = function () {
    if (!session || session.isEstablished()) return;
    var clickedAt = phone.call.answerClickAt = now();
    session.answer({ mediaConstraints: { audio: true, video: false },
                     pcConfig: { iceServers: config.ice_servers } });
    watchAudio(clickedAt);
  };
  phone.hangup = function () { if (session) session.terminate(); };
  phone.mute = function () {
    if (!session) return;
    muted = !muted;
    if (muted) session.mute({ audio: true }); else session.unmute({ audio: true });
    callView(held ? "held" : "incall");
  };
  phone.hold = function () {
    if (!session) return;
    if (held) session.unhold(); else session.hold();
  };
  phone.dtmf = function (key) {
    if (session && session.isEstablished()) { session.sendDTMF(key, { transportType: "RFC2833" }); note("dtmf " + key); }
  };

  el("phone-answer").addEventListener("click", phone.answer);
  el("phone-decline").addEventListener("click", function () { if (session) session.terminate({ status_code: 486 }); });
  el("phone-hangup").addEventListener("click", phone.hangup);
  el("phone-mute").addEventListener("click", phone.mute);
  el("phone-hold").addEventListener("click", phone.hold);
  el("phone-keypad-toggle").addEventListener("click", function () { el("phone-keypad").hidden = !el("phone-keypad").hidden; });
  el("phone-keypad").addEventListener("click", function (e) {
    if (e.target && e.target.dataset.dtmf) phone.dtmf(e.target.dataset.dtmf);
  });
  // The pop desk.js shows may be this call's: keep the controls visible on it.
  document.getElementById("desk").addEventListener("cc:pop", function () {
    if (session) callView(session.isEstablished() ? (held ? "held" : "incall") : "ringing");
    else callView("idle");
  });

  // -- registration ------------------------------------------------------------------------------
  function start(cfg) {
    config = cfg;
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(cfg.ws_url)], uri: cfg.uri,
      authorization_user: cfg.authorization_user, password: cfg.password, display_name: cfg.display_name,
      register: true, register_expires: cfg.register_expires, session_timers: false,
      connection_recovery_min_interval: 2, connection_recovery_max_interval: 30
    });
    phone.extension = cfg.extension;
    ua.on("registered", function () { setState("registered", t.tRegistered, "on"); note("registered"); });
    ua.on("unregistered", function () { setState("unregistered", t.tUnregistered, "off"); });
    ua.on("registrationFailed", function (e) {
      setState("failed", t.tFailed, "off"); el("phone-state").title = e.cause || ""; note("registration_failed");
    });
    ua.on("disconnected", function () { if (phone.state === "registered") setState("registering", t.tRegistering, "off"); });
    ua.on("newRTCSession", function (e) { if (e.originator === "remote") incoming(e); });
    ua.start();
    window.addEventListener("beforeunload", function () { ua.stop(); });
  }

  fetch(t.config, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  }).then(start).catch(function () { setState("unavailable", t.tUnavailable, "off"); });
})();

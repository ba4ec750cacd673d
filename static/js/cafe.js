/* The Leaky Café room, live. Progressive enhancement of templates/cafe/room.html: that page already shows the
   messages so far and posts its form without scripts. Here we join the room over Socket.IO (namespace /cafe,
   events in community/cafe/events.py), redraw each message with its buttons, and send the same form over the
   connection.

   Nothing is lost: we ask the server for "everything after the last id I hold, and whatever changed since your
   last answer" on every (re)connect and every few seconds, so a dropped phone connection or a lost broadcast never
   hides a message for long. A message keeps its words in the box until the server confirms it; a retry after a
   failure or a timeout reuses its token, so the server saves it once.

   Message words are plain text: always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var root = document.getElementById("cafe-room");
  // Without the Socket.IO client (blocked, failed to load) the page stays as it is: the plain form still works.
  if (!root || typeof window.io !== "function") {
    return;
  }

  var CATCH_UP_EVERY = 5000;
  var ACK_TIMEOUT = 10000;
  var RETRY_AFTER = 3000;
  var ME = Number(root.getAttribute("data-me"));
  var IS_HOST = root.getAttribute("data-host") === "true";
  var BODY_MAX = Number(root.getAttribute("data-body-max")) || 1000;
  var FLAG_URL = root.getAttribute("data-flag-url") || "/moderation/flag/cafe_message/";
  var STATUS = {
    connecting: "Connecting to the room…",
    connected: "Connected",
    reconnecting: "Reconnecting… your messages are safe",
    unavailable: "Chat is unavailable just now — trying again",
    // Connected, but the server cannot pass messages on between its processes: others' come with the catch-up.
    delayed: "Connected. Messages from others may take a few seconds to arrive just now."
  };

  function $(id) { return document.getElementById(id); }

  var list = $("cafe-messages");
  var empty = $("cafe-empty");
  var statusLine = $("cafe-connection");
  var announcer = $("cafe-announce");
  var form = $("cafe-form");
  var textarea = $("body");
  var tokenInput = $("cafe-token");
  var replyInput = $("cafe-reply-to");
  var count = $("cafe-count");
  var sendStatus = $("cafe-send-status");
  var breakForm = $("cafe-break-form");
  var breakToken = $("cafe-break-token");
  var autoScrollButton = $("cafe-autoscroll");
  var cannotWrite = $("cafe-cannot-write");

  var clockFormat = null;
  try {
    clockFormat = new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                                    timeZone: root.getAttribute("data-zone") || undefined});
  } catch (error) {
    clockFormat = new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  }

  // What we hold. `after` only moves on with a complete answer (the state on joining, a catch-up), never with a
  // pushed message: holding message 7 says nothing about whether the push of message 6 was lost.
  var after = 0;
  var since = null;
  var reactionLabels = {};
  var canWrite = !form.hidden;
  var joinedOnce = false;
  var ended = false;
  var autoScroll = true;
  var catchUpTimer = null;
  var catchingUp = false;
  var pending = null;       // the message being sent: {token, body, replyTo, inFlight}
  var retryTimer = null;
  var replyTo = null;       // {id, author, excerpt}
  var mutedHere = {};       // hosts: members muted in this session (so their buttons offer "Unmute")
  var messages = {};        // id -> the last message dict seen
  var delayed = false;      // the server said messages from others are not passed on live just now

  function idOf(item) {
    return /^m-\d+$/.test(item.id) ? Number(item.id.slice(2)) : null;
  }
  Array.prototype.forEach.call(list.children, function (item) { after = Math.max(after, idOf(item) || 0); });

  // Small helpers ---------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function setText(node, text) {
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function newToken() {
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function clock(iso) {
    var moment = new Date(iso);
    return isNaN(moment.getTime()) ? "" : clockFormat.format(moment);
  }

  function shorten(text, length) {
    text = String(text || "").replace(/\s+/g, " ").trim();
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  var lastStatus = "";
  function setStatus(text) {
    if (text !== lastStatus) {
      lastStatus = text;
      statusLine.textContent = text;
    }
  }

  var announceTimer = null;
  function announce(text) {
    // Emptied first, then filled a moment later, so the same words twice are still read out.
    announcer.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () { announcer.textContent = text; }, 100);
  }

  function showSendStatus(text, isError) {
    sendStatus.textContent = text;
    sendStatus.className = "cafe-send-status" + (isError ? " field-error" : "");
    sendStatus.hidden = !text;
    // A refusal is tied to the box, as on any of our forms.
    var error = $("body-error");
    var group = $("cafe-body-group");
    if (isError) {
      $("body-error-text").textContent = text;
      error.hidden = false;
      sendStatus.hidden = true;
      group.classList.add("form-group-error");
      textarea.classList.add("input-error");
      textarea.setAttribute("aria-invalid", "true");
      textarea.setAttribute("aria-describedby", "body-hint body-error cafe-count");
    } else {
      error.hidden = true;
      group.classList.remove("form-group-error");
      textarea.classList.remove("input-error");
      textarea.removeAttribute("aria-invalid");
      textarea.setAttribute("aria-describedby", "body-hint cafe-count");
    }
  }

  // Drawing a message (the same markup as the template, with buttons) -----------------------------------------

  // A button of a message's; aria-describedby names the message ("Sam 19:05") among its alikes, as on the forums.
  function button(text, action, m, extra) {
    var node = el("button", "", text);
    node.type = "button";
    node.setAttribute("data-action", action);
    node.setAttribute("data-id", m.id);
    node.setAttribute("data-key", extra && extra["data-kind"] ? action + "-" + extra["data-kind"] : action);
    node.setAttribute("aria-describedby", "m-" + m.id + "-by");
    Object.keys(extra || {}).forEach(function (name) { node.setAttribute(name, extra[name]); });
    return node;
  }

  function inItem(node) {
    var item = el("li");
    item.appendChild(node);
    return item;
  }

  function render(m) {
    var gone = m.state === "deleted" || m.state === "hidden";
    var mine = m.author_id === ME;
    var at = clock(m.at);
    var item = el("li", (m.kind === "break" ? "cafe-break" : "") + (gone ? " cafe-gone" : ""));
    item.id = "m-" + m.id;

    var meta = el("p", "cafe-meta");
    meta.id = "m-" + m.id + "-by";
    meta.appendChild(el("strong", "", m.author));
    if (m.kind === "break" && !gone) { meta.appendChild(document.createTextNode(" " + m.body)); }
    meta.appendChild(document.createTextNode(" "));
    var time = el("time", "", at);
    time.setAttribute("datetime", m.at);
    meta.appendChild(time);
    item.appendChild(meta);

    if (m.kind !== "break" || gone) {
      if (m.reply_to) {
        var reply = el("p", "cafe-reply", "Replying to ");
        var link = el("a", "", m.reply_to.author);
        link.href = "#m-" + m.reply_to.id;
        reply.appendChild(link);
        if (m.reply_to.excerpt) { reply.appendChild(document.createTextNode(": “" + m.reply_to.excerpt + "”")); }
        item.appendChild(reply);
      }
      item.appendChild(gone ? el("p", "cafe-removed", m.removed) : el("p", "cafe-body", m.body));
    }
    if (m.state === "pending") {
      var note = el("p", "cafe-note");
      note.appendChild(el("span", "tag", "Waiting for a host"));
      note.appendChild(document.createTextNode(mine
        ? " Only you and the hosts can see this until a host has checked it."
        : " Only hosts can see this until it is checked in the moderation queue."));
      item.appendChild(note);
    }
    if (gone) {
      return item;
    }

    var reactions = m.reactions || {};
    var kinds = Object.keys(reactionLabels);
    if (m.state === "visible" && canWrite && !mine && kinds.length) {
      var box = el("div", "reactions");
      kinds.forEach(function (kind) {
        var who = reactions[kind] || [];
        var toggle = button(reactionLabels[kind], "react", m,
                            {"data-kind": kind, "aria-pressed": who.indexOf(ME) >= 0 ? "true" : "false"});
        if (who.length) { toggle.appendChild(document.createTextNode(" ")); toggle.appendChild(el("b", "", who.length)); }
        box.appendChild(toggle);
      });
      item.appendChild(box);
    } else {
      var counts = kinds.filter(function (kind) { return (reactions[kind] || []).length; })
        .map(function (kind) { return reactionLabels[kind] + " " + reactions[kind].length; });
      if (counts.length) { item.appendChild(el("p", "cafe-reaction-counts", counts.join(" · "))); }
    }

    if (m.state !== "visible") {
      return item;
    }
    var tools = el("ul", "tools");
    if (m.kind === "message" && canWrite) { tools.appendChild(inItem(button("Reply", "reply", m))); }
    if (!mine) {
      var report = el("a", "", "Report");
      report.href = FLAG_URL + m.id;
      report.setAttribute("data-key", "report");
      report.setAttribute("aria-describedby", meta.id);
      tools.appendChild(inItem(report));
    }
    if (IS_HOST) {
      tools.appendChild(inItem(button("Delete", "delete", m)));
      if (m.author_id && !mine && !m.author_host) {
        var muted = mutedHere[m.author_id];
        tools.appendChild(inItem(button(muted ? "Unmute" : "Mute", muted ? "unmute" : "mute", m,
                                        {"data-member": m.author_id})));
        tools.appendChild(inItem(button("Remove", "remove", m, {"data-member": m.author_id})));
      }
    }
    if (tools.children.length) { item.appendChild(tools); }
    return item;
  }

  // Keeping the list -------------------------------------------------------------------------------------------

  function placeFor(id) {
    var items = list.children;
    for (var i = 0; i < items.length; i += 1) {
      var other = idOf(items[i]);
      if (other === null || other > id) { return items[i]; }   // before a later one, or the one being sent
    }
    return null;
  }

  /* Put a message in its place by id, or replace the one we have (keeping focus on the same button). Returns true
     when it was new to us. */
  function upsert(m, redraw) {
    if (!m || typeof m.id !== "number") { return false; }
    var old = $("m-" + m.id);
    // Catch-ups repeat recent messages: an unchanged one is left alone (a screen reader's place in it is kept).
    if (old && !redraw && messages[m.id] && JSON.stringify(messages[m.id]) === JSON.stringify(m)) { return false; }
    messages[m.id] = m;
    var fresh = render(m);
    if (old) {
      var focused = old.contains(document.activeElement) ? document.activeElement.getAttribute("data-key") : null;
      list.replaceChild(fresh, old);
      if (focused) {
        var again = fresh.querySelector('[data-key="' + focused + '"]');
        (again || fresh.querySelector("button, a") || textarea).focus();
      }
      return false;
    }
    list.insertBefore(fresh, placeFor(m.id));
    empty.hidden = true;
    return true;
  }

  function merge(batch, tell) {
    var added = [];
    (batch || []).forEach(function (m) {
      if (upsert(m) && m.author_id !== ME) { added.push(m); }
    });
    if (!added.length) { return; }
    if (tell) {
      var last = added[added.length - 1];
      var words = last.kind === "break" ? last.author + " " + last.body : last.author + ": " + shorten(last.body, 140);
      announce(added.length === 1 ? words : added.length + " new messages. The latest, " + words);
    }
    followNewest();
  }

  function redrawAll() {
    Object.keys(messages).forEach(function (id) { upsert(messages[id], true); });
  }

  function followNewest() {
    if (!autoScroll) { return; }
    var active = document.activeElement;
    if (active && list.contains(active)) { return; }   // reading the list by keyboard: leave them where they are
    if (active && form.contains(active)) {
      textarea.scrollIntoView({block: "nearest"});
      return;
    }
    var newest = list.lastElementChild;
    if (newest) { newest.scrollIntoView({block: "nearest"}); }
  }

  // The room around the messages -----------------------------------------------------------------------------

  function showPeople(people) {
    var box = $("cafe-people");
    box.textContent = "";
    (people || []).forEach(function (person) {
      box.appendChild(el("li", "", person.name + (person.host ? " (host)" : "")));
    });
    if (!box.children.length) { box.appendChild(el("li", "", "No one else is connected just now.")); }
    setText($("cafe-people-count"), String((people || []).length));
  }

  function showTopic(topic) {
    setText($("cafe-topic"), topic || "");
    $("cafe-topic-line").hidden = !topic;
    var input = $("cafe-topic-input");
    if (input && document.activeElement !== input) { input.value = topic || ""; }
  }

  function showSlowMode(seconds) {
    seconds = Number(seconds) || 0;
    $("cafe-slow-line").hidden = !seconds;
    setText($("cafe-slow-seconds"), String(seconds));
    var select = $("cafe-slow");
    if (select && document.activeElement !== select) { select.value = String(seconds); }
  }

  function setCanWrite(allowed, why) {
    if (allowed === canWrite) { return; }
    canWrite = allowed;
    form.hidden = !allowed;
    if (breakForm) { breakForm.hidden = !allowed; }
    cannotWrite.hidden = allowed;
    if (why) { setText($("cafe-cannot-write-text"), why); }
    redrawAll();
  }

  function showConnected() {
    setStatus(delayed ? STATUS.delayed : STATUS.connected);
  }

  // `live` in the state and every catch-up answer; an answer without it (an older server) changes nothing.
  function showDelivery(live) {
    if (typeof live !== "boolean") { return; }
    delayed = !live;
    if (socket.connected && !ended) { showConnected(); }
  }

  function setLive(live) {
    // The refresh link is for when updates cannot come by themselves.
    $("cafe-refresh").hidden = live;
    autoScrollButton.hidden = !live;
    ["cafe-topic-form", "cafe-slow-form"].forEach(function (id) { if ($(id)) { $(id).hidden = !live; } });
    if ($("cafe-host-offline")) { $("cafe-host-offline").hidden = live; }
  }

  function end(message) {
    if (ended) { return; }
    ended = true;
    stopCatchingUp();
    window.clearTimeout(retryTimer);
    socket.io.reconnection(false);
    socket.disconnect();
    setLive(false);
    $("cafe-refresh").hidden = true;
    form.hidden = true;
    if (breakForm) { breakForm.hidden = true; }
    setStatus("You have left the room.");
    var banner = $("cafe-ended");
    $("cafe-ended-text").textContent = message || "The café has ended. Thank you for coming.";
    banner.hidden = false;
    banner.focus();
    if (pending && textarea.value) {
      // Never lose words: the box is hidden now, so give them back where they can be copied.
      var kept = el("blockquote", "cafe-kept", textarea.value);
      banner.insertBefore(el("p", "", "Your last message was not sent. Here are your words, so you can copy them:"),
                          banner.lastElementChild);
      banner.insertBefore(kept, banner.lastElementChild);
    }
  }

  function showCrisisHelp() {
    var wrapper = $("cafe-help");
    if (wrapper) { wrapper.hidden = false; }
    var panel = $("help-now");
    if (panel) {
      panel.setAttribute("tabindex", "-1");
      panel.focus();
    }
  }

  // The connection --------------------------------------------------------------------------------------------

  // The default transports: long-polling first, upgraded to a websocket where the network allows one.
  var socket = window.io("/cafe", {reconnectionDelayMax: 5000});
  setStatus(STATUS.connecting);

  function catchUp() {
    if (!socket.connected || catchingUp || ended) { return; }
    catchingUp = true;
    socket.timeout(ACK_TIMEOUT).emit("catch_up", {after: after, since: since}, function (error, answer) {
      catchingUp = false;
      if (error || !answer || !answer.ok) { return; }   // asked again in a few seconds
      merge(answer.messages, true);
      (answer.messages || []).forEach(function (m) { after = Math.max(after, m.id); });
      since = answer.now;
      showPeople(answer.people);
      showTopic(answer.topic);
      showSlowMode(answer.slow_mode);
      showDelivery(answer.live);
    });
  }

  function startCatchingUp() {
    stopCatchingUp();
    catchUpTimer = window.setInterval(catchUp, CATCH_UP_EVERY);
  }

  function stopCatchingUp() {
    window.clearInterval(catchUpTimer);
    catchUpTimer = null;
  }

  socket.on("connect", function () {
    showConnected();
    setLive(true);
    catchUp();
    startCatchingUp();
    if (pending) { sendPending(); }
  });

  socket.on("state", function (state) {
    reactionLabels = state.reactions || {};
    mutedHere = {};
    (state.muted_members || []).forEach(function (id) { mutedHere[id] = true; });
    var writing = !!state.can_write;
    canWrite = !writing;   // forces setCanWrite to redraw with the labels we now have
    setCanWrite(writing, state.muted
      ? "A host has paused your messages for the rest of this session. You can still read along." : null);
    merge(state.messages, joinedOnce);
    if ($("cafe-earlier")) { $("cafe-earlier").hidden = true; }   // the whole session is in the list now
    (state.messages || []).forEach(function (m) { after = Math.max(after, m.id); });
    since = state.now;
    joinedOnce = true;
    showPeople(state.people);
    showTopic(state.topic);
    showSlowMode(state.slow_mode);
    showDelivery(state.live);
  });

  socket.on("disconnect", function (reason) {
    stopCatchingUp();
    if (ended) { return; }
    setLive(false);
    if (reason === "io server disconnect") {
      // The server closed it without saying why: the page itself still works; a refresh tries again.
      setStatus("You are not connected to the room just now. Refresh the page to try again.");
      return;
    }
    setStatus(STATUS.reconnecting);
  });

  socket.on("connect_error", function (error) {
    if (ended) { return; }
    if (!socket.active) {
      // Refused by the server (the room closed, membership ended): its reason, in its words.
      end(error && error.message);
      return;
    }
    setStatus(STATUS.unavailable);
  });

  socket.on("message", function (m) { merge([m], true); });
  socket.on("people", showPeople);
  socket.on("topic", function (data) { showTopic(data && data.topic); });
  socket.on("slow_mode", function (data) { showSlowMode(data && data.seconds); });
  socket.on("restricted", function (data) {
    var muted = !!(data && data.muted);
    setCanWrite(!muted, muted ? "A host has paused your messages for the rest of this session. You can still read "
                                + "along." : null);
  });
  socket.on("ended", function (data) { end(data && data.message); });
  socket.on("host_alert", function (data) {
    var box = $("cafe-host-alerts");
    if (!box || !data) { return; }
    var alert = el("p", "banner banner-error", data.text + " ");
    if (data.message_id) {
      var link = el("a", "", "Go to the message");
      link.href = "#m-" + data.message_id;
      alert.appendChild(link);
    }
    box.appendChild(alert);
  });

  // Phones pause timers in the background: catch up as soon as the page is looked at again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { catchUp(); }
  });

  // Sending ---------------------------------------------------------------------------------------------------

  function removeSending() {
    var item = list.querySelector("li.cafe-sending");
    if (item) { list.removeChild(item); }
  }

  function showSending(text) {
    var item = list.querySelector("li.cafe-sending");
    if (!item) {
      item = el("li", "cafe-sending");
      item.appendChild(el("p", "cafe-meta"));
      item.appendChild(el("p", "cafe-body"));
      list.appendChild(item);
      empty.hidden = true;
    }
    item.firstChild.textContent = "You · " + text;
    item.lastChild.textContent = pending ? pending.body : "";
  }

  function sendPending() {
    if (!pending || pending.inFlight || ended) { return; }
    window.clearTimeout(retryTimer);
    if (!socket.connected) {
      showSending("not sent yet");
      showSendStatus("Not sent yet: you are not connected. It will be sent as soon as the connection is back. Your "
                     + "words are still here.", false);
      return;
    }
    var sending = pending;
    sending.inFlight = true;
    showSending("sending…");
    showSendStatus("Sending…", false);
    socket.timeout(ACK_TIMEOUT).emit("send", {body: sending.body, reply_to: sending.replyTo, token: sending.token},
                                     function (error, answer) {
      sending.inFlight = false;
      if (pending !== sending) { return; }
      if (error) {
        // No answer in time: it may or may not be saved. Try again with the same token, so it is saved once.
        showSending("not confirmed yet");
        showSendStatus("Not confirmed yet: the connection is slow. Trying again. Your words are still here.", false);
        retryTimer = window.setTimeout(sendPending, RETRY_AFTER);
        return;
      }
      if (!answer || !answer.ok) {
        // Refused (too long, slow mode, too fast): nothing was saved. The words stay for them to change or resend.
        removeSending();
        showSendStatus((answer && answer.error) || "Your message was not sent. Please try again.", true);
        return;
      }
      pending = null;
      removeSending();
      if (textarea.value === sending.body) { textarea.value = ""; }
      tokenInput.value = newToken();
      clearReply();
      showSendStatus("", false);
      updateCount();
      upsert(answer.message);
      followNewest();
      if (answer.crisis) { showCrisisHelp(); }
    });
  }

  function updateCount() {
    var left = BODY_MAX - textarea.value.length;
    count.classList.toggle("field-error", left < 0);
    count.classList.toggle("hint", left >= 0);
    if (!textarea.value) {
      count.textContent = "You can use up to " + BODY_MAX.toLocaleString("en-GB") + " characters.";
    } else if (left >= 0) {
      count.textContent = "You have " + left.toLocaleString("en-GB") + " character" + (left === 1 ? "" : "s")
        + " left.";
    } else {
      count.textContent = "You have " + (-left).toLocaleString("en-GB") + " character" + (left === -1 ? "" : "s")
        + " too many.";
    }
  }

  form.addEventListener("submit", function (event) {
    // Never connected (the live room cannot be reached): let the plain form post it, as without scripts.
    if (!joinedOnce && !socket.connected) { return; }
    event.preventDefault();
    if (ended) { return; }
    var body = textarea.value;
    if (!body.trim()) {
      showSendStatus("Please write a message first.", true);
      textarea.focus();
      return;
    }
    if (body.trim().length > BODY_MAX) {
      showSendStatus("Messages can be up to " + BODY_MAX + " characters; this one has " + body.trim().length
                     + ". Please shorten it or send it in two parts.", true);
      textarea.focus();
      return;
    }
    var reply = replyTo ? replyTo.id : null;
    if (pending && pending.inFlight) { return; }   // a double press: the first is on its way
    // The same words again (after a failure) keep their token; changed words are a new message.
    if (!pending || pending.body !== body || pending.replyTo !== reply) {
      if (pending && pending.body !== body) { tokenInput.value = newToken(); }
      pending = {token: tokenInput.value || newToken(), body: body, replyTo: reply, inFlight: false};
      tokenInput.value = pending.token;
    }
    sendPending();
  });

  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey
        && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  textarea.addEventListener("input", updateCount);
  updateCount();

  if (breakForm) {
    breakForm.addEventListener("submit", function (event) {
      if (!joinedOnce && !socket.connected) { return; }
      event.preventDefault();
      if (!socket.connected) {
        showSendStatus("Not connected just now, so the room has not been told yet. Please try again in a moment.",
                       false);
        return;
      }
      var token = breakToken.value;
      socket.timeout(ACK_TIMEOUT).emit("take_a_break", {token: token}, function (error, answer) {
        if (error) {
          showSendStatus("Not confirmed yet: the connection is slow. Please press the button again.", false);
          return;
        }
        if (!answer || !answer.ok) {
          showSendStatus((answer && answer.error) || "That did not work. Please try again.", false);
          return;
        }
        breakToken.value = newToken();
        upsert(answer.message);
        showSendStatus("The room knows you are taking a break. Rest well.", false);
      });
    });
  }

  // Replying --------------------------------------------------------------------------------------------------

  function startReply(id) {
    var m = messages[id];
    if (!m) { return; }
    replyTo = {id: m.id, author: m.author};
    replyInput.value = String(m.id);
    setText($("cafe-replying-name"), m.author);
    setText($("cafe-replying-excerpt"), ": “" + shorten(m.body, 80) + "”");
    $("cafe-replying").hidden = false;
    textarea.focus();
  }

  function clearReply() {
    replyTo = null;
    replyInput.value = "";
    $("cafe-replying").hidden = true;
  }

  if (replyInput.value) {
    replyTo = {id: Number(replyInput.value)};
  }
  $("cafe-reply-cancel").addEventListener("click", function (event) {
    event.preventDefault();
    clearReply();
    textarea.focus();
  });

  // The buttons on each message -------------------------------------------------------------------------------

  function hostSays(text) {
    var status = $("cafe-host-status");
    if (status) { status.textContent = text; }
    announce(text);
  }

  function ask(event, data, done) {
    if (!socket.connected) {
      announce("Not connected just now. Please try again in a moment.");
      return;
    }
    socket.timeout(ACK_TIMEOUT).emit(event, data, function (error, answer) {
      if (error) {
        announce("No answer from the room yet. Please try again.");
        return;
      }
      if (!answer || !answer.ok) {
        var why = (answer && answer.error) || "That did not work. Please try again.";
        if (IS_HOST) { hostSays(why); } else { showSendStatus(why, false); }
        return;
      }
      if (done) { done(answer); }
    });
  }

  list.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-action]");
    if (!target || !list.contains(target)) { return; }
    var id = Number(target.getAttribute("data-id"));
    var m = messages[id];
    var action = target.getAttribute("data-action");
    var member = Number(target.getAttribute("data-member"));
    if (action === "reply") {
      startReply(id);
    } else if (action === "react") {
      ask("react", {message_id: id, kind: target.getAttribute("data-kind")},
          function (answer) { upsert(answer.message); });
    } else if (action === "delete") {
      if (window.confirm("Delete " + m.author + "’s message for everyone?")) {
        ask("delete_message", {message_id: id}, function () { hostSays("Message deleted."); });
      }
    } else if (action === "mute" || action === "unmute") {
      ask(action, {member_id: member}, function () {
        mutedHere[member] = action === "mute";
        redrawAll();
        hostSays(action === "mute" ? m.author + " is muted for this session. They can still read along."
                                   : m.author + " can send messages again.");
      });
    } else if (action === "remove") {
      if (window.confirm("Remove " + m.author + " from this session? They can come back next week.")) {
        ask("remove", {member_id: member}, function () { hostSays(m.author + " has left the room for this session."); });
      }
    }
  });

  // Hosts' panel ----------------------------------------------------------------------------------------------

  if ($("cafe-topic-form")) {
    $("cafe-topic-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var topic = $("cafe-topic-input").value;
      ask("set_topic", {topic: topic}, function () {
        hostSays(topic.trim() ? "Topic pinned." : "Topic cleared.");
      });
    });
  }
  if ($("cafe-slow-form")) {
    $("cafe-slow-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var seconds = Number($("cafe-slow").value);
      ask("set_slow_mode", {seconds: seconds}, function () {
        hostSays(seconds ? "Slow mode is on: one message every " + seconds + " seconds." : "Slow mode is off.");
      });
    });
  }

  // Auto-scroll, paused and resumed by the reader ----------------------------------------------------------------

  autoScrollButton.addEventListener("click", function () {
    autoScroll = !autoScroll;
    autoScrollButton.setAttribute("aria-pressed", autoScroll ? "true" : "false");
    if (autoScroll) { followNewest(); }
  });

  // The page is leaving: no "Reconnecting…" flash on the way out.
  window.addEventListener("pagehide", function () { stopCatchingUp(); });
}());

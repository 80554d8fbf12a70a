// The patient's chat with the HN2301 assistant over Rasa's socket.io channel.
//
// Why not rasa-webchat: its quick replies are plain <div>s (no keyboard, no button role), its
// send button has no name, it sends an empty message on connect and imports a web font from a
// CDN. This small UI keeps to what the page needs: an aria-live log, a labelled input, real
// <button>s for quick replies, and nothing outside this tab.
//
// Privacy: the chat id comes from the page's server (POST /chat/session), bound to this browser
// by an HttpOnly cookie; with it comes a short-lived token that Rasa's socket.io channel checks at
// connect, so the connection can join this chat only (bot/webpage/tokens.py). A fresh token is
// asked for at every (re)connection. The id and the transcript live only in this tab's
// sessionStorage (gone when the tab closes), never in localStorage. "Finish and clear this chat"
// removes them at once; the next chat gets a new id.
//
// Language: the page is served in Chinese or English (its 中文 / English links reload it in the
// other one; the chat lives on in sessionStorage). Every message carries the page's language in
// its metadata; after a switch the assistant is told (`/change_language`) and asks the open
// question again in the new language. Nothing already answered is lost.
(function () {
  "use strict";

  var STORAGE_KEY = "hn2301-chat";
  var RETRY_MS = 2000;
  var config = window.HN2301_CHAT || {};
  var log = document.getElementById("chat-log");
  var status = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var finishButton = document.getElementById("finish-chat");
  var progress = document.getElementById("chat-progress");
  var progressBar = document.getElementById("chat-progress-bar");
  var progressLabel = document.getElementById("chat-progress-label");
  var language = document.getElementById("chat-app").getAttribute("data-language") || "en";
  var strings = JSON.parse(document.getElementById("chat-strings").textContent);
  var state = loadState();
  var socket = null;

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY));
      if (saved && Array.isArray(saved.messages)) {
        return saved;
      }
    } catch (error) {
      // A damaged entry is simply replaced by a fresh conversation.
    }
    return { sessionId: null, messages: [] };
  }

  function saveState() {
    if (!state.ended) {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    }
  }

  // The assistant says when the conversation is over (outcome handled, consent refused, data
  // deleted): from then on nothing of it is kept in this browser.
  function endConversation() {
    state.ended = true;
    window.sessionStorage.removeItem(STORAGE_KEY);
    setStatus(strings.ended);
  }

  function setStatus(text) {
    status.textContent = text;
  }

  function disableOlderReplies() {
    var buttons = log.querySelectorAll(".chat-reply");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = true;
    }
  }

  // Text is always set with textContent: whatever anyone typed is shown, never interpreted.
  function render(message) {
    var item = document.createElement("div");
    item.className = "chat-message chat-" + message.from;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = (message.from === "bot" ? strings.assistant : strings.you) + " ";
    var body = document.createElement("span");
    body.className = "chat-body";
    body.textContent = message.text;
    var text = document.createElement("p");
    text.className = "chat-text";
    text.appendChild(who);
    text.appendChild(body);
    item.appendChild(text);
    if (message.replies && message.replies.length) {
      disableOlderReplies();
      var group = document.createElement("div");
      group.className = "chat-replies";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", strings.choices);
      message.replies.forEach(function (reply) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "chat-reply";
        button.textContent = reply.title;
        button.disabled = Boolean(message.answered);
        button.addEventListener("click", function () {
          if (send(reply.payload, reply.title)) {
            input.focus();
          }
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    render(message);
  }

  function newMessageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (byte) {
        return ("0" + byte.toString(16)).slice(-2);
      })
      .join("");
  }

  // A pressed button sends its payload, and the words on it as `pressed`, so the study team's
  // transcript shows what the patient pressed ("是"), not the payload ("yes").
  // Each message has an id. Until the assistant replies it is kept as `pending`, and when the
  // connection comes back it is sent again with the same id: the assistant answers a message it
  // already handled from its store, never reading it twice (extensions/channels.py).
  function emit(payload, shownText, messageId) {
    state.language = language;
    var metadata = { language: language, message_id: messageId || newMessageId() };
    if (shownText && shownText !== payload) {
      metadata.pressed = shownText;
    }
    state.pending = { payload: payload, shownText: shownText, id: metadata.message_id };
    saveState();
    socket.emit("user_uttered", {
      message: payload,
      session_id: state.sessionId,
      metadata: metadata
    });
  }

  function send(payload, shownText) {
    if (!socket || !socket.connected || !state.sessionId) {
      setStatus(strings.notConnected);
      return false;
    }
    disableOlderReplies();
    state.messages.forEach(function (message) {
      message.answered = true;
    });
    addMessage({ from: "user", text: shownText });
    emit(payload, shownText);
    return true;
  }

  // Every question the assistant asks comes with {question, position, total}: a real progress bar.
  function showProgress(position, total) {
    if (!progress || !(total > 0)) {
      return;
    }
    progress.hidden = false;
    progressBar.max = total;
    progressBar.value = Math.min(position, total);
    progressLabel.textContent = strings.progress
      .replace("{position}", position)
      .replace("{total}", total);
  }

  function onBotMessage(data) {
    if (!data) {
      return;
    }
    if (state.pending) {
      state.pending = null;
      saveState();
    }
    if (data.conversation_ended === true) {
      endConversation();
      return;
    }
    if (typeof data.question === "string" || typeof data.outcome === "string") {
      if (typeof data.position === "number" && typeof data.total === "number") {
        state.progress = { position: data.position, total: data.total };
        saveState();
        showProgress(data.position, data.total);
      }
      return;
    }
    var replies = (data.quick_replies || data.buttons || []).map(function (reply) {
      return { title: String(reply.title), payload: String(reply.payload) };
    });
    if (typeof data.text === "string" && data.text) {
      addMessage({ from: "bot", text: data.text, replies: replies });
    }
  }

  // This tab's chat id and a fresh token for it from the page's server. A chat id this browser
  // did not start (its cookie is gone) cannot be continued: a new chat begins.
  function chatSession() {
    return requestSession(state.sessionId).then(function (answer) {
      if (answer.status === 403 && state.sessionId) {
        window.sessionStorage.removeItem(STORAGE_KEY);
        state = { sessionId: null, messages: [] };
        log.textContent = "";
        return requestSession(null).then(checked);
      }
      return checked(answer);
    });
  }

  function requestSession(chatId) {
    return window.fetch(config.sessionUrl || "/chat/session", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ chat_id: chatId || null })
    });
  }

  function checked(answer) {
    if (!answer.ok) {
      throw new Error("chat session: " + answer.status);
    }
    return answer.json().then(function (session) {
      state.sessionId = String(session.chat_id);
      saveState();
      return session;
    });
  }

  function clearChat() {
    window.sessionStorage.removeItem(STORAGE_KEY);
    if (socket) {
      socket.disconnect();
    }
    window.location.reload();
  }

  function start() {
    state.messages.forEach(render);
    if (state.progress) {
      showProgress(state.progress.position, state.progress.total);
    }
    if (!window.io || !config.socketUrl) {
      setStatus(strings.cannotStart);
      return;
    }
    socket = window.io(config.socketUrl, {
      path: config.socketPath,
      transports: ["websocket", "polling"],
      // Called at every connection attempt: a token for this tab's chat, fresh each time.
      auth: function (callback) {
        chatSession()
          .then(function (session) {
            callback({ token: session.token });
          })
          .catch(function () {
            callback({});
          });
      }
    });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      state.sessionId = String(sessionId && sessionId.session_id ? sessionId.session_id : sessionId);
      saveState();
      setStatus(strings.connected);
      if (state.pending) {
        emit(state.pending.payload, state.pending.shownText, state.pending.id);
      } else if (state.language && state.language !== language && state.messages.length) {
        emit("/change_language");
      }
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("disconnect", function () {
      setStatus(strings.connectionLost);
    });
    socket.on("connect_error", function () {
      setStatus(strings.unreachable);
      // Refused by the server (no token yet, one just expired): socket.io does not try again
      // by itself then, so try again a little later, with a new token.
      if (!socket.active) {
        window.setTimeout(function () {
          socket.connect();
        }, RETRY_MS);
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && send(text, text)) {
      input.value = "";
    }
  });
  finishButton.addEventListener("click", clearChat);
  start();
})();

// Starts the rasa-webchat widget inside the page over Rasa's socket.io channel.
// The session id comes from the Rasa server (a random uuid4) and lives only in this tab's
// sessionStorage (storage: "session"), never in localStorage; "Finish" clears it.
(function () {
  "use strict";

  var config = window.HN2301_CHAT || {};
  var finishButton = document.getElementById("finish-chat");

  function clearChat() {
    window.sessionStorage.clear();
    // rasa-webchat may note the page path for its own "pro" features; it holds no transcript,
    // but nothing of the chat should outlive the screening in this browser.
    window.localStorage.clear();
    window.location.reload();
  }

  finishButton.addEventListener("click", clearChat);

  if (!window.WebChat || !config.socketUrl) {
    document.getElementById("chat-offline").hidden = false;
    return;
  }

  window.WebChat.default(
    {
      selector: "#webchat",
      embedded: true,
      socketUrl: config.socketUrl,
      socketPath: config.socketPath,
      customData: { language: "en" },
      params: { storage: "session" },
      title: "HN2301 study assistant",
      subtitle: "A pre-screening chat, not a diagnosis",
      inputTextFieldHint: "Type your answer",
      showFullScreenButton: false,
      showMessageDate: false,
      displayUnreadCount: false,
      hideWhenNotConnected: false
    },
    null
  );
})();

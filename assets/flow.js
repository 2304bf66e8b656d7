// The sandbox flow inside Veriff's InContext SDK (a frame on the integrator's page): the
// same handshake and event names as Veriff's own flow, so the page hosting it hears the
// same events from the sandbox as from Veriff. Outside a frame it does nothing.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var page = document.body.getAttribute("data-page");
  function post(name) {
    // Only event names go out: nothing about the person or the session.
    window.parent.postMessage(name, "*");
  }
  if (page === "flow") {
    // The SDK's answer to the handshake. Who sent it is not checked: all it does is tell
    // the parent that the flow started, which any page could claim anyway.
    window.addEventListener("message", function (event) {
      var data = event.data;
      if (data && data.name === "VERIFF_RENDER") {
        post("VERIFF_STARTED");
      }
    });
    var close = document.getElementById("close");
    if (close) {
      close.hidden = false;
      close.addEventListener("click", function () {
        post("VERIFF_CANCELED");
      });
    }
    post("VERIFF_HANDSHAKE");
  } else if (page === "done") {
    post("VERIFF_SUBMITTED");
    post("VERIFF_FINISHED");
  }
})();

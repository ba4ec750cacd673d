/* Saves a story's draft to the server every so often while the member writes (templates/stories/edit.html).

   Progressive enhancement: without this script the form's "Save my story" button works alone. With it, whenever
   the words have changed since the last save, the form is posted to its data-autosave-url (the same fields and
   CSRF token) and the answer {ok, story_id, saved_at, edit_url} says where the draft now lives: the hidden
   story_id and the form's action point at it, so Save changes that draft instead of making a second copy.
   It also saves when the page is hidden (the phone locked, another app opened). */
(function () {
  "use strict";

  var form = document.getElementById("story-form");
  if (!form || typeof window.fetch !== "function" || typeof window.FormData !== "function") {
    return;
  }
  var url = form.getAttribute("data-autosave-url");
  var every = (Number(form.getAttribute("data-autosave-every")) || 20) * 1000;
  var status = document.getElementById("autosave-status");
  var storyId = document.getElementById("story_id");
  var FIELDS = ["title", "body", "procedure", "year", "what_helped"];
  var sending = false;
  var submitting = false;

  function words() {
    return FIELDS.map(function (name) {
      var field = form.elements[name];
      return field ? field.value : "";
    }).join("\u0000");
  }

  var lastSaved = words();

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function save(keepalive) {
    var now = words();
    if (sending || submitting || now === lastSaved) {
      return;
    }
    sending = true;
    var data = new FormData(form);
    data["delete"]("action");
    window.fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw new Error("not saved");
      }
      return response.json();
    }).then(function (answer) {
      if (answer.ok) {
        lastSaved = now;
        if (storyId && answer.story_id) {
          storyId.value = String(answer.story_id);
        }
        if (answer.edit_url) {
          form.setAttribute("action", answer.edit_url);
        }
        say("Draft saved at " + answer.saved_at);
      } else if (storyId && storyId.value) {
        say("Your draft could not be saved just now: " + answer.error + " Your words are still here.");
      }
    })["catch"](function () {
      say("Your draft could not be saved just now. Your words are still here; choose “Save my story” to keep them.");
    }).then(function () {
      sending = false;
    });
  }

  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.setInterval(function () { save(false); }, every);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      save(true);
    }
  });
}());

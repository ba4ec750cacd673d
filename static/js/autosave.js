/* Saves a long form (a story, a letter) to the server every so often while the member types.

   Progressive enhancement: without this script the form's own buttons work alone. Any form with a
   data-autosave-url takes part; its data attributes say how:
     data-autosave-url        where to post the form (the same fields and CSRF token)
     data-autosave-every      seconds between saves (default 20)
     data-autosave-id-field   the name of the hidden input holding the record's id once it exists
     data-autosave-status     the id of the status line (role="status"; default "autosave-status")
     data-autosave-saved      the words before the time, like "Draft saved at" (default "Saved at")
     data-autosave-button     the name of the form's save button, for the "could not save" message
   The words watched are every named text field, textarea, select, radio and tick box of the form except the CSRF
   token and the id field. A save happens only when they have changed since the last one, never while the form is
   being submitted, and also when the page is hidden (the phone locked, another app opened). The answer
   {ok, id, saved_at, edit_url} says where the record now lives: the id field and the form's action point at it,
   so the form's Save changes that record instead of making a second copy. */
(function () {
  "use strict";

  if (typeof window.fetch !== "function" || typeof window.FormData !== "function") {
    return;
  }
  var SKIPPED_TYPES = ["hidden", "submit", "button", "reset", "image", "file", "password"];

  function watch(form) {
    var url = form.getAttribute("data-autosave-url");
    var every = (Number(form.getAttribute("data-autosave-every")) || 20) * 1000;
    var status = document.getElementById(form.getAttribute("data-autosave-status") || "autosave-status");
    var idName = form.getAttribute("data-autosave-id-field") || "";
    var idField = idName ? form.elements[idName] : null;
    var savedWords = form.getAttribute("data-autosave-saved") || "Saved at";
    var buttonName = form.getAttribute("data-autosave-button");
    var sending = false;
    var submitting = false;
    var heldSubmitter = null;
    var held = false;

    function watched(element) {
      var tag = element.tagName.toLowerCase();
      var type = (element.getAttribute("type") || "text").toLowerCase();
      if (!element.name || element.name === "csrf_token" || element.name === idName || element.disabled) {
        return false;
      }
      if (tag === "textarea" || tag === "select") {
        return true;
      }
      return tag === "input" && SKIPPED_TYPES.indexOf(type) === -1;
    }

    function words() {
      var parts = [];
      Array.prototype.forEach.call(form.elements, function (element) {
        if (!watched(element)) {
          return;
        }
        var type = (element.getAttribute("type") || "").toLowerCase();
        if (type === "radio" || type === "checkbox") {
          parts.push(element.name + "=" + element.value + ":" + (element.checked ? "1" : "0"));
        } else if (element.tagName.toLowerCase() === "select" && element.multiple) {
          parts.push(element.name + "=" + Array.prototype.map.call(element.selectedOptions || [], function (o) {
            return o.value;
          }).join(","));
        } else {
          parts.push(element.name + "=" + element.value);
        }
      });
      return parts.join("\u0000");
    }

    var lastSaved = words();

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function submitHeld() {
      // The member pressed Save while the first save was on its way: send their Save now, at the saved record.
      held = false;
      submitting = true;
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit(heldSubmitter || undefined);
        return;
      }
      if (heldSubmitter && heldSubmitter.name) {
        var pressed = document.createElement("input");
        pressed.type = "hidden";
        pressed.name = heldSubmitter.name;
        pressed.value = heldSubmitter.value;
        form.appendChild(pressed);
      }
      form.submit();
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
          if (idField && answer.id) {
            idField.value = String(answer.id);
          }
          if (answer.edit_url) {
            form.setAttribute("action", answer.edit_url);
          }
          say(savedWords + " " + answer.saved_at);
        } else if ((idField && idField.value) || answer.field) {
          say("Your words could not be saved just now: " + answer.error + " Your words are still here.");
        }
      })["catch"](function () {
        say("Your words could not be saved just now. They are still here" +
            (buttonName ? "; choose “" + buttonName + "” to keep them." : "."));
      }).then(function () {
        sending = false;
        if (held) {
          submitHeld();
        }
      });
    }

    form.addEventListener("submit", function (event) {
      if (sending && idField && !idField.value && !submitting) {
        // Wait for the first save's answer, so Save changes that record instead of making a second one.
        event.preventDefault();
        held = true;
        heldSubmitter = event.submitter || null;
        return;
      }
      submitting = true;
    });
    window.setInterval(function () { save(false); }, every);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        save(true);
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave-url]"), watch);
}());

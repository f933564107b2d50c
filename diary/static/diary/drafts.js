// A note written on a bad signal is not lost: a contact's note (form[data-draft="witness"]) and
// the owner's own (quick capture, a new entry, an amendment: data-draft="owner-…").
//
// What is typed is kept as a draft in this tab's sessionStorage (the words and choices and the
// form's hidden key, never files), so a reload, Back, or a tab the phone closed, brings it back.
// The form goes by fetch; with no connection it stays as it is, says "Not sent yet" ("Not saved
// yet" on the owner's forms) with a button to try again, and tries by itself when the browser is
// back online. Every try carries the same hidden key, so the server records one note however many
// tries reach it. The phone may be someone else's to hold later, so the draft is forgotten once
// the server has the note, when it is discarded (the form's Discard button or its Cancel link),
// after a quick exit, and when the link has ended; the owner's drafts also on signing out, on the
// lockout check, and on any page shown to someone signed out (a session ended elsewhere). This
// script is on every page for that. Any other answer (something to fix, too many sends) is shown
// as the server wrote it, and not tried again. Without JavaScript the form posts as it always did.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !window.DOMParser || !window.history.pushState) {
    return;
  }
  var PREFIX = "draft:";
  var OWNER = PREFIX + "owner-";
  var KEY_FIELD = "idempotency_key";
  // A reloaded page has a CSRF token of its own; files cannot be kept.
  var NOT_KEPT = ["csrfmiddlewaretoken"];
  var NOT_VALUES = ["submit", "button", "reset", "file"];
  var KEY_REUSED = 422;
  var sending = false;
  var waitingForSignal = null;
  var answeredElsewhere = false;

  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }

  function slot(form) { return PREFIX + form.getAttribute("data-draft"); }

  function load(form) {
    var store = storage();
    if (!store) { return null; }
    try { return JSON.parse(store.getItem(slot(form)) || "null"); } catch (error) { return null; }
  }

  function keep(form, draft) {
    var store = storage();
    // Storage full or refused: the page itself still holds what was written.
    try { if (store) { store.setItem(slot(form), JSON.stringify(draft)); } } catch (error) {}
  }

  function forget(form) {
    var store = storage();
    try { if (store) { store.removeItem(slot(form)); } } catch (error) {}
  }

  // Every draft whose slot starts with `prefix` (all of them by default).
  function forgetAll(prefix) {
    var store = storage();
    if (!store) { return; }
    prefix = prefix || PREFIX;
    try {
      for (var i = store.length - 1; i >= 0; i -= 1) {
        var name = store.key(i);
        if (name && name.indexOf(prefix) === 0) { store.removeItem(name); }
      }
    } catch (error) {}
  }

  // The link has ended (the neutral page: shown in place, loaded, or the live page reloaded
  // into it): nothing kept can be sent any more.
  // Nobody is signed in on this page (signed out, or a session ended from elsewhere): nothing
  // the owner kept stays behind for whoever holds the phone next.
  function forgetIfEnded() {
    if (document.querySelector("[data-draft-forget]")) { forgetAll(); }
    if (document.body && document.body.hasAttribute("data-signed-out")) { forgetAll(OWNER); }
  }

  // A new key for the words that come next: a discarded draft's key may have reached the server.
  function newKey() {
    var bytes = new Uint8Array(16);
    try { window.crypto.getRandomValues(bytes); } catch (error) { return ""; }
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function each(form, callback) { Array.prototype.forEach.call(form.elements, callback); }

  function keptField(element) {
    return element.name && !element.disabled && NOT_KEPT.indexOf(element.name) === -1 &&
      NOT_VALUES.indexOf(element.type) === -1;
  }

  function keyOf(form) {
    var field = form.elements.namedItem(KEY_FIELD);
    return field && field.value ? field.value : null;
  }

  function save(form) {
    var before = load(form) || {};
    var fields = [];
    // Once a file was chosen, a page brought back says to choose it again.
    var files = Boolean(before.files);
    each(form, function (element) {
      if (element.type === "file") {
        if (element.files && element.files.length) { files = true; }
        return;
      }
      if (!keptField(element)) { return; }
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) { return; }
      if (element.type === "select-multiple") {
        Array.prototype.forEach.call(element.selectedOptions, function (option) {
          fields.push([element.name, option.value]);
        });
        return;
      }
      fields.push([element.name, element.value]);
    });
    keep(form, { fields: fields, files: files, spent: before.spent || null });
  }

  function restore(form, draft) {
    var values = {};
    draft.fields.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    each(form, function (element) {
      if (!keptField(element)) { return; }
      var mine = values[element.name] || [];
      if (element.name === KEY_FIELD) {
        // The key of the first try goes with the retry, so a send that did arrive is not
        // recorded twice; unless the server said that key was used for other words.
        if (mine.length && mine[0] !== draft.spent) { element.value = mine[0]; }
        return;
      }
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = mine.indexOf(element.value) !== -1;
      } else if (element.type === "select-multiple") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = mine.indexOf(option.value) !== -1;
        });
      } else {
        element.value = mine.length ? mine.shift() : "";
        var folded = element.value && element.closest("details");
        if (folded) { folded.open = true; }
      }
    });
  }

  function say(form, what) {
    form.querySelectorAll("[data-draft-say]").forEach(function (line) {
      line.hidden = line.getAttribute("data-draft-say") !== what;
    });
    var waiting = what === "offline" || what === "failed";
    var retry = form.querySelector("[data-draft-retry]");
    if (retry) { retry.hidden = !waiting; }
    var discard = form.querySelector("button[data-draft-discard]");
    if (discard && (waiting || what === "restored")) { discard.hidden = false; }
  }

  // Discarded: the words go from the page and the tab, and the form is as new, with a new key.
  function discard(form) {
    forget(form);
    form.reset();
    var key = form.elements.namedItem(KEY_FIELD);
    var fresh = newKey();
    if (key && fresh) { key.value = fresh; }
    waitingForSignal = null;
    say(form, "discarded");
    var note = form.querySelector("[data-draft-restored]");
    if (note) { note.hidden = true; }
    var button = form.querySelector("button[data-draft-discard]");
    if (button) { button.hidden = true; }
  }

  // The server's answer, as it wrote it, in place of this page's content (at its own address
  // when it is another page: the receipt).
  function show(html, url) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var main = document.querySelector("main");
    var next = fresh.querySelector("main");
    if (!main || !next) { return false; }
    if (url && url !== window.location.href) {
      window.history.pushState(null, "", url);
      answeredElsewhere = true;
    }
    document.title = fresh.title;
    main.replaceWith(document.importNode(next, true));
    window.scrollTo(0, 0);
    var heading = document.querySelector("main h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    return true;
  }

  function answered(form, response, html) {
    var received = response.ok && response.redirected;
    if (received) {
      forget(form);
    } else if (response.status === KEY_REUSED) {
      var draft = load(form);
      if (draft) {
        draft.spent = keyOf(form);
        keep(form, draft);
      }
    }
    if (!show(html, received ? response.url : null)) { say(form, "failed"); }
    forgetIfEnded();
  }

  function send(form) {
    if (sending) { return; }
    sending = true;
    waitingForSignal = null;
    save(form);
    say(form, "sending");
    var body = new FormData(form);
    var request;
    try {
      request = window.fetch(form.action, { method: "POST", body: body, credentials: "same-origin" });
    } catch (error) {
      request = Promise.reject(error);
    }
    request
      .then(function (response) {
        if (response.status >= 500) {
          sending = false;
          say(form, "failed");
          return null;
        }
        return response.text().then(function (html) {
          sending = false;
          answered(form, response, html);
        });
      })
      .catch(function () {
        // No answer: nothing is known to have arrived. The same key goes with the next try.
        sending = false;
        waitingForSignal = form;
        say(form, "offline");
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute) { return; }
    // Signing out, the lockout check: the owner's drafts go first (the form posts as usual).
    if (form.hasAttribute("data-forget-drafts")) { forgetAll(OWNER); }
    if (!form.hasAttribute("data-draft")) { return; }
    event.preventDefault();
    send(form);
  });

  function edited(event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-draft")) { save(form); }
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);

  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    var retry = event.target.closest("[data-draft-retry] button");
    if (retry && retry.form) { send(retry.form); }
    var dropped = event.target.closest("[data-draft-discard]");
    var form = dropped && dropped.closest("form[data-draft]");
    if (!form) { return; }
    if (dropped.tagName === "BUTTON") {
      discard(form);
    } else {
      forget(form);  // a Cancel link: the draft goes, and the link is followed
    }
  });

  window.addEventListener("online", function () {
    if (waitingForSignal && document.contains(waitingForSignal)) { send(waitingForSignal); }
  });

  // Back from an answer shown in place: load the page that address names.
  window.addEventListener("popstate", function () {
    if (answeredElsewhere) { window.location.reload(); }
  });

  // Leaving by the quick exit takes the draft with it.
  window.addEventListener("pagehide", function () {
    if (document.documentElement.hasAttribute("data-leaving")) { forgetAll(); }
  });

  forgetIfEnded();

  var form = document.querySelector("form[data-draft]");
  var draft = form && load(form);
  if (draft && draft.fields) {
    restore(form, draft);
    var note = form.querySelector("[data-draft-restored]");
    if (note) {
      note.hidden = false;
      var files = note.querySelector("[data-draft-files]");
      if (files) { files.hidden = !draft.files; }
    }
    say(form, "restored");
  }
})();

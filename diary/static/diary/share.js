// A new contact's link (the owner's page that shows it once): Copy puts the message and the link
// on the clipboard; Share opens the phone's own share sheet (the Web Share API) with them, and
// where there is none, or it fails, copies instead. Nothing leaves the page otherwise: no
// service is asked for anything. Without JavaScript the buttons stay hidden and the link and
// message are copied by hand.
(function () {
  "use strict";
  var box = document.querySelector("[data-share]");
  if (!box) { return; }
  var link = document.querySelector(box.getAttribute("data-link"));
  var words = document.querySelector(box.getAttribute("data-message"));
  var said = document.querySelector("[data-share-said]");
  if (!link || !said) { return; }
  box.hidden = false;

  function message() { return words ? words.value.trim() : ""; }

  function whole() {
    var text = message();
    return text ? text + "\n\n" + link.value : link.value;
  }

  function say(what) { said.textContent = said.getAttribute("data-" + what) || ""; }

  // The older way, for a page the browser does not count as secure (an address on a home
  // network): select a hidden copy of the words and ask the browser to copy the selection.
  function copyBySelection(text) {
    var scratch = document.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.className = "visually-hidden";
    document.body.appendChild(scratch);
    scratch.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    scratch.remove();
    return done;
  }

  function copy() {
    var text = whole();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(
        function () { say("copied"); },
        function () { say(copyBySelection(text) ? "copied" : "failed"); }
      );
      return;
    }
    say(copyBySelection(text) ? "copied" : "failed");
  }

  function share() {
    var data = { text: message(), url: link.value };
    if (!navigator.share || (navigator.canShare && !navigator.canShare(data))) {
      copy();
      return;
    }
    navigator.share(data).then(
      function () { say("shared"); },
      function (error) {
        // She closed the share sheet: nothing to do. Anything else: copy instead.
        if (error && error.name === "AbortError") { said.textContent = ""; return; }
        copy();
      }
    );
  }

  box.querySelector("[data-share-copy]").addEventListener("click", copy);
  box.querySelector("[data-share-send]").addEventListener("click", share);
}());

// Leave quickly: the button, or Esc pressed three times within two seconds.
// Without JavaScript the button posts its form: the server ends the session (the owner's
// sign-in, or the contact's visit on this device) and sends the browser on. With it, a beacon
// carries the same form (so the session still ends) and location.replace swaps this page out
// of the history at once, so Back does not return to it, and Back to any earlier page meets
// the sign-in page or the contact's neutral page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-quick-exit]");
  if (!form) { return; }
  var target = form.getAttribute("data-to");
  var leaving = false;
  function leave(event) {
    if (event) { event.preventDefault(); }
    if (leaving) { return; }
    leaving = true;
    document.documentElement.setAttribute("data-leaving", "");
    document.body.style.visibility = "hidden";
    var sent = false;
    if (navigator.sendBeacon) {
      try {
        var data = new FormData(form);
        data.append("beacon", "1");
        sent = navigator.sendBeacon(form.action, data);
      } catch (error) { sent = false; }
    }
    if (!sent) { form.submit(); return; }
    window.location.replace(target);
  }
  form.addEventListener("submit", leave);
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { leave(event); }
  });
})();

// Leave quickly: the button, or Esc pressed three times within two seconds.
// location.replace swaps this page out of the history, so Back does not return to it; a
// signed-in owner is signed out on the way (a beacon carries the sign-out form), so Back to
// any earlier page of the diary meets the sign-in page.
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) { return; }
  var target = link.getAttribute("href");
  var signOut = document.querySelector("form[data-sign-out]");
  var leaving = false;
  function leave(event) {
    if (event) { event.preventDefault(); }
    if (leaving) { return; }
    leaving = true;
    document.documentElement.setAttribute("data-leaving", "");
    document.body.style.visibility = "hidden";
    if (signOut && navigator.sendBeacon) {
      try { navigator.sendBeacon(signOut.action, new FormData(signOut)); } catch (error) {}
    }
    window.location.replace(target);
  }
  link.addEventListener("click", leave);
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { leave(event); }
  });
})();

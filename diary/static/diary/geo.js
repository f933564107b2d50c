// "Use where I am now" (an entry's map position, [data-geo]): the browser is asked for where
// the phone is once, and only when the button is tapped; never on its own, never watched. The
// position goes into the form's hidden latitude and longitude (six decimals, as the diary keeps
// them), never typed as numbers; "Remove" takes it out again. Without JavaScript the buttons stay
// hidden and the place is written under "Where".
(function () {
  "use strict";
  var box = document.querySelector("[data-geo]");
  if (!box) { return; }
  var form = box.closest("form");
  var latitude = form && form.elements.namedItem("latitude");
  var longitude = form && form.elements.namedItem("longitude");
  var said = box.querySelector("[data-geo-said]");
  var here = box.querySelector("[data-geo-here]");
  var clear = box.querySelector("[data-geo-clear]");
  if (!latitude || !longitude || !said || !here || !clear) { return; }
  box.querySelector("[data-geo-buttons]").hidden = false;
  var help = box.querySelector("[data-geo-help]");
  if (help) { help.hidden = false; }

  function words(name, values) {
    var text = box.getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(values[key]);
    });
    return text;
  }

  // Tell drafts.js (a bad signal) that the form changed.
  function changed(field) { field.dispatchEvent(new Event("change", { bubbles: true })); }

  function show() {
    var kept = latitude.value !== "" && longitude.value !== "";
    said.textContent = kept
      ? words("kept", { position: latitude.value + ", " + longitude.value })
      : words("none");
    clear.hidden = !kept;
  }

  here.addEventListener("click", function () {
    if (!navigator.geolocation) {
      said.textContent = words("unavailable");
      return;
    }
    here.disabled = true;
    said.textContent = words("finding");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        here.disabled = false;
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        changed(latitude);
        changed(longitude);
        clear.hidden = false;
        var metres = Math.round(position.coords.accuracy || 0);
        var where = latitude.value + ", " + longitude.value;
        said.textContent = metres > 0
          ? words("kept-within", { position: where, metres: String(metres) })
          : words("kept", { position: where });
      },
      function (error) {
        here.disabled = false;
        said.textContent = words(error && error.code === 1 ? "denied" : "failed");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 }
    );
  });

  clear.addEventListener("click", function () {
    latitude.value = "";
    longitude.value = "";
    changed(latitude);
    changed(longitude);
    show();
    here.focus();
  });

  // Discarded (drafts.js resets the form): back to the position the page came with, if any. A
  // reset leaves hidden fields alone, so they are set here.
  form.addEventListener("reset", function () {
    latitude.value = box.getAttribute("data-latitude") || "";
    longitude.value = box.getAttribute("data-longitude") || "";
    show();
  });

  // A draft brought back by drafts.js (before this script runs) may hold a position.
  show();
}());

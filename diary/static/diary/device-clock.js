// The device's own clock, sent with what is written (form field device_time): as a form is sent,
// its hidden device_time gets the time this device's clock says, in ISO 8601 with this device's
// UTC offset. The server keeps it as the device's claim and trusts it for nothing: anyone can set
// a phone's clock. It listens before any other script on the page (drafts.js sends by fetch), so
// what is sent holds the time of the first try. Without JavaScript the field stays empty.
(function () {
  "use strict";
  var FIELD = "device_time";

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function stamp(now) {
    var offset = -now.getTimezoneOffset();
    var sign = offset < 0 ? "-" : "+";
    offset = Math.abs(offset);
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) +
      "T" + pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds()) +
      sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.elements) { return; }
    var field = form.elements.namedItem(FIELD);
    if (field && field.type === "hidden" && !field.value) { field.value = stamp(new Date()); }
  }, true);
}());

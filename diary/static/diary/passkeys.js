// Offer passkeys only where the browser has them; without JavaScript the offer stays hidden
// and the authenticator app (which needs none) is offered alone.
(function () {
  "use strict";
  if (!window.PublicKeyCredential) { return; }
  document.querySelectorAll("[data-passkeys]").forEach(function (element) {
    element.hidden = false;
  });
})();

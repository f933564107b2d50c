// Live updates for the page that is open. Without JavaScript (or a socket) nothing is lost:
// every page is complete when loaded, and a reload shows everything.
(function () {
  "use strict";
  var path = document.body.getAttribute("data-live");
  if (!path || !window.WebSocket || !window.fetch) { return; }
  var REFUSED = 4403;
  var delay = 1000;
  var opened = false;

  function byId(id) { return document.getElementById(id); }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  // After a dropped connection: fetch this page again and swap in every live region, so
  // whatever happened meanwhile shows up.
  function catchUp() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) { region.replaceWith(document.importNode(replacement, true)); }
        });
      })
      .catch(function () {});
  }

  function setInboxCount(count) {
    var counter = byId("inbox-count");
    if (!counter) { return; }
    counter.textContent = "";
    if (count > 0) {
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + (counter.getAttribute("data-new") || "new");
      counter.append(" (" + count, hidden, ")");
    }
  }

  function prepend(list, html, id) {
    var old = id && byId(id);
    var card = fragment(html);
    if (!card) { return; }
    if (old) { old.replaceWith(card); return; }
    list.prepend(card);
    var empty = list.parentElement.querySelector(".empty");
    if (empty) { empty.remove(); }
  }

  function onInbox(data) {
    setInboxCount(data.count);
    var inbox = byId("inbox-list");
    if (!inbox || inbox.getAttribute("data-live-page") !== "1") { return; }
    var status = inbox.getAttribute("data-live-inbox");
    var list = inbox.querySelector("ul.cards");
    var card = byId("submission-" + data.submission);
    if (data.change === "follow_up") {
      if (card) { card.replaceWith(fragment(data.html)); }
    } else if (data.change === "received" && (status === "pending" || status === "all") && list) {
      prepend(list, data.html, "submission-" + data.submission);
    } else if (data.change !== "received" && status === "pending" && card) {
      card.remove();
    }
  }

  function onEntry(data) {
    var timeline = byId("timeline");
    if (!timeline || timeline.getAttribute("data-live-entries") !== "1") { return; }
    var id = "entry-" + data.entry;
    if (data.change === "withdrawn") {
      var gone = byId(id);
      if (gone) { gone.remove(); }
      return;
    }
    var list = timeline.querySelector("ul.cards");
    if (list) { prepend(list, data.html, id); } else { catchUp(); }
  }

  function onStatus(data) {
    document.querySelectorAll("[data-status-for]").forEach(function (element) {
      if (element.getAttribute("data-status-for") === data.reference) {
        element.textContent = data.label;
      }
    });
  }

  function onShared(data) {
    var section = byId("shared");
    if (!section) { return; }
    section.hidden = false;
    prepend(section.querySelector("ul.cards"), data.html, null);
  }

  // A reset or a new address on her account: shown at once, above whatever page is open.
  function onNotice(data) {
    var region = byId("access-notices");
    var notice = region && fragment(data.html);
    if (!notice) { return; }
    var next = notice.querySelector("input[name=next]");
    if (next) { next.value = window.location.pathname + window.location.search; }
    // Rendered away from any request, so without a CSRF token: the page's own goes in.
    var form = notice.querySelector("form");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (form && token && !form.querySelector("input[name=csrfmiddlewaretoken]")) {
      form.prepend(token.cloneNode());
    }
    var old = byId(notice.id);
    if (old) { old.replaceWith(notice); } else { region.prepend(notice); }
  }

  // Background work (a bundle) moved on: its progress wherever it is shown, and when it ends a
  // line on whatever page is open, once.
  function onJob(data) {
    var old = byId("job-" + data.job);
    var fresh = fragment(data.html);
    if (old && fresh) { old.replaceWith(fresh); }
    var notices = byId("job-notices");
    var notice = data.notice && fragment(data.notice);
    if (notices && notice && !byId(notice.id) && !old) { notices.append(notice); }
  }

  var handlers = {
    inbox: onInbox, entry: onEntry, status: onStatus, shared: onShared, sharing: catchUp,
    notice: onNotice, job: onJob
  };

  function retry() {
    window.setTimeout(connect, delay + Math.random() * delay / 2);
    delay = Math.min(delay * 2, 30000);
  }

  // Not while the quick exit is leaving: its sign-out closes this socket too, and a reload
  // must not win the race against the way out.
  function reload() {
    if (document.documentElement.hasAttribute("data-leaving")) { return; }
    window.location.reload();
  }

  // A socket turned down at the handshake: if the page itself is no longer ours to see
  // (signed out, a link that ended), reload to show why; otherwise the network dropped.
  function probe() {
    fetch(window.location.href, { credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (response.status === 404 || response.type === "opaqueredirect") {
          reload();
        } else {
          retry();
        }
      })
      .catch(retry);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    var thisOpened = false;
    socket.addEventListener("open", function () {
      if (opened) { catchUp(); }
      opened = thisOpened = true;
      delay = 1000;
      // Says the page is live (the browser tests wait for it before anyone else writes).
      document.body.setAttribute("data-live-open", "");
    });
    socket.addEventListener("message", function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (error) { return; }
      var handle = handlers[data.event];
      if (handle) { handle(data); }
    });
    socket.addEventListener("close", function (event) {
      document.body.removeAttribute("data-live-open");
      if (event.code === REFUSED) {
        // Closed by the server: a witness link or an owner's session that has ended. The
        // page says what next.
        reload();
      } else if (!thisOpened) {
        probe();
      } else {
        retry();
      }
    });
  }

  connect();
})();

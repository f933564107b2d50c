// "Add files" in pieces (form[data-resumable], diary/evidence_form.html): each chosen file goes
// to the server a few megabytes at a time over tus (tus.js), with its progress shown. A piece
// cut off by a lost signal is sent again from where the server has it, for as long as this page
// stays open; a file is evidence only once all of it has arrived and hashes as this browser
// hashed it. Without JavaScript the form posts the files whole, as it always did.
(function () {
  "use strict";
  var form = document.querySelector("form[data-resumable]");
  if (!form || !window.SightlineTus || !window.fetch || !window.Blob) { return; }
  var Tus = window.SightlineTus;
  var PIECE = 4 * 1024 * 1024;
  // Hashing a file in the browser reads it whole into memory: above this, the pieces' own
  // checksums vouch for it instead.
  var HASH_WHOLE_UP_TO = 64 * 1024 * 1024;
  var say = function (name) { return form.getAttribute("data-say-" + name) || ""; };
  var list = form.querySelector("[data-progress]");
  var help = form.querySelector("[data-resumable-help]");
  if (help) { help.textContent = say("help"); }

  function row(file) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = file.name + " ";
    var bar = document.createElement("progress");
    bar.className = "upload-progress";
    bar.max = file.size;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var note = document.createElement("span");
    note.setAttribute("aria-live", "polite");
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(note);
    list.appendChild(item);
    return { bar: bar, note: note };
  }

  function one(file, shown) {
    var tus = new Tus.Upload({
      collection: form.getAttribute("data-uploads"),
      csrf: form.querySelector("[name=csrfmiddlewaretoken]").value,
      onwaiting: function () { shown.note.textContent = " " + say("waiting"); },
      onsent: function (offset) {
        shown.bar.value = offset;
        shown.note.textContent = " " + Math.floor((100 * offset) / Math.max(file.size, 1)) + "%";
      },
    });
    var details = {
      filename: file.name,
      entry: form.getAttribute("data-entry"),
      kind: form.querySelector("[name=kind]") ? form.querySelector("[name=kind]").value : "",
      description: form.querySelector("[name=description]") ? form.querySelector("[name=description]").value : "",
    };
    var hashed = file.size <= HASH_WHOLE_UP_TO ? Tus.sha256(file) : Promise.resolve(null);
    return hashed.then(function (digest) {
      if (digest) { details.sha256 = Tus.toHex(digest); }
      return tus.create(file.size, details);
    }).then(function () {
      var chain = Promise.resolve();
      for (var start = 0; start < file.size; start += PIECE) {
        (function (at) {
          chain = chain.then(function () { return tus.send(file.slice(at, at + PIECE), at); });
        })(start);
      }
      return chain;
    }).then(function () {
      shown.bar.value = file.size;
      shown.note.textContent = " " + say("kept");
      return tus.keptAt;
    });
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) { return; }
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    list.hidden = false;
    var chain = Promise.resolve(null);
    var kept = null;
    files.forEach(function (file) {
      var shown = row(file);
      chain = chain.then(function () {
        return one(file, shown).then(function (where) { kept = where || kept; }, function (problem) {
          shown.note.textContent = " " + say("refused") + " " + (problem && problem.message ? problem.message : "");
          throw problem;
        });
      });
    });
    chain.then(function () {
      window.location.assign(kept || form.getAttribute("data-done"));
    }, function () {
      if (button) { button.disabled = false; }
    });
  });
})();

// Record now (section[data-recorder], diary/_recorder.html): sound, video or a photo from the
// page itself, sent to the server while it is made.
//
// MediaRecorder hands over a piece every few seconds; each goes at once, in order, as one tus
// PATCH (tus.js), so the server keeps everything up to the last piece whatever happens to the
// phone; if nothing more comes, the server keeps it as cut off by itself. Stop sends the last
// piece with the whole's length, and the server joins the pieces into the original. Pieces are
// held in memory only until the server has them; nothing is saved to the phone. The preview is
// muted (no sound plays while recording). A photo is one frame of the camera, drawn on a canvas.
// Without this script (or a camera API) the section stays hidden and the file field works.
(function () {
  "use strict";
  var section = document.querySelector("[data-recorder]");
  if (!section || !window.SightlineTus || !window.fetch || !window.MediaRecorder ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var Tus = window.SightlineTus;
  var SLICE_MS = 3000;
  var say = function (name) { return section.getAttribute("data-say-" + name) || ""; };
  var status = section.querySelector("[data-status]");
  var start = section.querySelector(".recorder-start");
  var live = section.querySelector("[data-live]");
  var time = section.querySelector("[data-time]");
  var stop = section.querySelector("[data-stop]");
  var shoot = section.querySelector("[data-shoot]");
  var preview = section.querySelector("[data-preview]");
  var busy = false;

  function clock(ms) {
    var seconds = Math.floor(ms / 1000);
    var minutes = Math.floor(seconds / 60);
    var hours = Math.floor(minutes / 60);
    var text = ("0" + (minutes % 60)).slice(-2) + ":" + ("0" + (seconds % 60)).slice(-2);
    return hours ? hours + ":" + text : text;
  }

  function tell(text, link) {
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = say("see");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
    }
  }

  function upload() {
    return new Tus.Upload({
      collection: section.getAttribute("data-collection"),
      csrf: section.getAttribute("data-csrf"),
      onwaiting: function () { tell(say("waiting")); },
    });
  }

  function meta(media, filename) {
    return { media: media, filename: filename, entry: section.getAttribute("data-entry") };
  }

  function chosenType(media) {
    var types = media === "video"
      ? ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"]
      : ["audio/webm;codecs=opus", "audio/webm", "audio/mp4"];
    for (var i = 0; i < types.length; i += 1) {
      if (window.MediaRecorder.isTypeSupported && window.MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return "";
  }

  function extension(type, media) {
    if (type.indexOf("mp4") !== -1) { return media === "video" ? ".mp4" : ".m4a"; }
    return ".webm";
  }

  function streamFor(media) {
    var video = { facingMode: "environment" };
    if (media === "audio") { return navigator.mediaDevices.getUserMedia({ audio: true }); }
    if (media === "photo") { return navigator.mediaDevices.getUserMedia({ video: video }); }
    return navigator.mediaDevices.getUserMedia({ audio: true, video: video });
  }

  function showPreview(stream) {
    preview.muted = true;  // never any sound from the page while recording
    preview.srcObject = stream;
    preview.hidden = false;
    var playing = preview.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  function end(stream) {
    stream.getTracks().forEach(function (track) { track.stop(); });
    preview.srcObject = null;
    preview.hidden = true;
    live.hidden = true;
    shoot.hidden = true;
    stop.hidden = false;
    start.hidden = false;
    busy = false;
  }

  function refused(problem) {
    tell(say("refused") + " " + (problem && problem.message ? problem.message : ""));
  }

  function record(media, stream) {
    var type = chosenType(media);
    var recorder = new window.MediaRecorder(stream, type ? { mimeType: type } : undefined);
    var tus = upload();
    var began = Date.now();
    var made = 0;
    var ends = [];  // [byte offset, ms into the recording] of each piece's end
    var chain;
    var timer;
    var failed = null;

    function fail(problem) {
      if (failed) { return; }
      failed = problem;
      refused(problem);
      window.clearInterval(timer);
      if (recorder.state !== "inactive") { recorder.onstop = null; recorder.stop(); }
      end(stream);
    }

    tus.onsent = function (offset) {
      var upTo = 0;
      ends.forEach(function (mark) { if (mark[0] <= offset) { upTo = mark[1]; } });
      tell(say("sent") + " " + clock(upTo));
    };
    chain = tus.create(null, meta(media, "recording" + extension(recorder.mimeType || type, media)));
    recorder.ondataavailable = function (event) {
      if (!event.data || !event.data.size) { return; }
      var piece = event.data;
      var at = made;
      made += piece.size;
      ends.push([made, Date.now() - began]);
      chain = chain.then(function () { return tus.send(piece, at); });
      chain.catch(fail);
    };
    recorder.onstop = function () {
      window.clearInterval(timer);
      tell(say("finishing"));
      end(stream);
      chain.then(function () {
        return tus.send(new Blob([]), made, made);
      }).then(function () {
        tell(say("kept"), tus.keptAt);
      }, fail);
    };
    stop.onclick = function () {
      stop.hidden = true;
      if (recorder.state !== "inactive") { recorder.stop(); }
    };
    chain.catch(fail);
    live.hidden = false;
    start.hidden = true;
    time.textContent = clock(0);
    timer = window.setInterval(function () { time.textContent = clock(Date.now() - began); }, 500);
    tell(say("recording"));
    recorder.start(SLICE_MS);
  }

  function photo(stream) {
    live.hidden = false;
    start.hidden = true;
    stop.hidden = true;
    shoot.hidden = false;
    time.textContent = "";
    shoot.onclick = function () {
      var canvas = document.createElement("canvas");
      canvas.width = preview.videoWidth || 1280;
      canvas.height = preview.videoHeight || 720;
      canvas.getContext("2d").drawImage(preview, 0, 0, canvas.width, canvas.height);
      shoot.hidden = true;
      tell(say("photo-sending"));
      canvas.toBlob(function (blob) {
        end(stream);
        var tus = upload();
        Tus.sha256(blob).then(function (digest) {
          var details = meta("photo", "photo.jpg");
          if (digest) { details.sha256 = Tus.toHex(digest); }
          return tus.create(blob.size, details);
        }).then(function () {
          return tus.send(blob, 0);
        }).then(function () { tell(say("kept"), tus.keptAt); }, refused);
      }, "image/jpeg", 0.92);
    };
  }

  section.addEventListener("click", function (event) {
    var button = event.target.closest("[data-record]");
    if (!button || busy) { return; }
    busy = true;
    var media = button.getAttribute("data-record");
    tell(say("starting"));
    streamFor(media).then(function (stream) {
      if (media !== "audio") { showPreview(stream); }
      if (media === "photo") { photo(stream); } else { record(media, stream); }
    }, function () {
      busy = false;
      tell(say("no-camera"));
    });
  });

  section.hidden = false;
})();

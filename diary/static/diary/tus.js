// A small client for the tus 1.0 resumable-upload protocol (diary/uploads/views.py says what the
// server speaks): POST makes an upload, HEAD asks where the server is, PATCH sends one piece at
// Upload-Offset with its SHA-256 in Upload-Checksum. A piece that fails (no signal, a dropped
// connection, the server busy) is sent again once the server says where it is, after a wait that
// grows to 15 seconds, and at once when the browser says it is back online. Pieces are held in
// memory only while they are unsent: nothing is written to the device.
//
// Our own, not tus-js-client: a recording's pieces must each go as MediaRecorder makes them, one
// PATCH each, while tus-js-client's stream input waits for a whole chunkSize before it sends; and
// the core is this small. README ("Recording and resumable uploads") says more.
(function () {
  "use strict";
  var VERSION = "1.0.0";

  function b64(text) {
    return window.btoa(unescape(encodeURIComponent(String(text))));
  }

  function metadata(values) {
    return Object.keys(values).filter(function (key) {
      return values[key] !== undefined && values[key] !== null && values[key] !== "";
    }).map(function (key) { return key + " " + b64(values[key]); }).join(",");
  }

  function sha256(blob) {
    if (!window.crypto || !window.crypto.subtle) { return Promise.resolve(null); }
    return blob.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      var bytes = new Uint8Array(digest);
      var text = "";
      for (var i = 0; i < bytes.length; i += 1) { text += String.fromCharCode(bytes[i]); }
      return window.btoa(text);
    });
  }

  function toHex(b64digest) {
    var raw = window.atob(b64digest);
    var hex = "";
    for (var i = 0; i < raw.length; i += 1) { hex += ("0" + raw.charCodeAt(i).toString(16)).slice(-2); }
    return hex;
  }

  function Refused(status, text) {
    this.status = status;
    this.message = text;
  }

  function wait(ms) {
    return new Promise(function (resolve) {
      var done = false;
      function go() {
        if (done) { return; }
        done = true;
        window.removeEventListener("online", go);
        resolve();
      }
      window.addEventListener("online", go);
      window.setTimeout(go, ms);
    });
  }

  // One upload: `create` it, then `send` pieces in order; `send` resolves when the server has
  // the piece, trying again for as long as it takes, and rejects only with Refused (the server
  // said no, and nothing will change that).
  function Upload(options) {
    this.collection = options.collection;
    this.csrf = options.csrf;
    this.url = null;
    this.offset = 0;
    this.keptAt = null;
    this.onwaiting = options.onwaiting || function () {};
    this.onsent = options.onsent || function () {};
  }

  Upload.prototype.headers = function (extra) {
    var headers = { "Tus-Resumable": VERSION, "X-CSRFToken": this.csrf };
    Object.keys(extra || {}).forEach(function (key) { headers[key] = extra[key]; });
    return headers;
  };

  Upload.prototype.request = function (method, url, extra, body) {
    return window.fetch(url, {
      method: method,
      headers: this.headers(extra),
      body: body,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
    });
  };

  Upload.prototype.create = function (length, meta) {
    var self = this;
    var extra = { "Upload-Metadata": metadata(meta || {}) };
    if (length === null) { extra["Upload-Defer-Length"] = "1"; } else { extra["Upload-Length"] = String(length); }
    var delay = 1000;
    function attempt() {
      return self.request("POST", self.collection, extra).then(function (response) {
        if (response.status === 201) {
          self.url = response.headers.get("Location");
          return self;
        }
        if (response.status >= 500 || response.status === 429) { throw new Error("busy"); }
        return response.text().then(function (text) {
          if (response.status !== 404) { throw new Refused(response.status, text); }
          // Finished already (a recording the server kept as cut off while this piece was on
          // its way): what it kept is what HEAD says.
          return self.where().then(function () {
            if (!self.keptAt) { throw new Refused(response.status, text); }
            return self.offset;
          }, function () { throw new Refused(response.status, text); });
        });
      }).catch(function (error) {
        if (error instanceof Refused) { throw error; }
        self.onwaiting();
        return wait(delay).then(function () { delay = Math.min(delay * 2, 15000); return attempt(); });
      });
    }
    return attempt();
  };

  Upload.prototype.where = function () {
    var self = this;
    return this.request("HEAD", this.url).then(function (response) {
      if (response.status !== 200) {
        return response.text().then(function (text) { throw new Refused(response.status, text); });
      }
      self.offset = Number(response.headers.get("Upload-Offset"));
      self.keptAt = response.headers.get("Upload-Kept-At");
      return self.offset;
    });
  };

  // Send `blob`, which starts at byte `start` of the whole. `length`: the whole's size, on the
  // last piece of a recording. The server may already have some or all of it (an answer lost
  // on the way back): only what it lacks is sent.
  Upload.prototype.send = function (blob, start, length) {
    var self = this;
    var delay = 1000;
    function attempt() {
      if (self.keptAt) { return Promise.resolve(self.offset); }  // finished meanwhile
      var skip = Math.max(0, self.offset - start);
      if (skip > blob.size || (skip === blob.size && length === undefined && blob.size > 0)) {
        return Promise.resolve(self.offset);
      }
      var piece = blob.slice(skip);
      return sha256(piece).then(function (digest) {
        var extra = {
          "Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(self.offset),
        };
        if (digest) { extra["Upload-Checksum"] = "sha256 " + digest; }
        if (length !== undefined) { extra["Upload-Length"] = String(length); }
        return self.request("PATCH", self.url, extra, piece);
      }).then(function (response) {
        if (response.status === 204) {
          self.offset = Number(response.headers.get("Upload-Offset"));
          self.keptAt = response.headers.get("Upload-Kept-At") || self.keptAt;
          self.onsent(self.offset);
          return self.offset;
        }
        if (response.status === 409 || response.status === 460 || response.status >= 500 || response.status === 429) {
          throw new Error("again");  // ask where the server is, and carry on from there
        }
        return response.text().then(function (text) { throw new Refused(response.status, text); });
      }).catch(function (error) {
        if (error instanceof Refused) { throw error; }
        self.onwaiting();
        return wait(delay).then(function () {
          delay = Math.min(delay * 2, 15000);
          return self.where().then(attempt, function (problem) {
            if (problem instanceof Refused) { throw problem; }
            return attempt();
          });
        });
      });
    }
    return attempt();
  };

  window.SightlineTus = { Upload: Upload, Refused: Refused, sha256: sha256, toHex: toHex };
})();

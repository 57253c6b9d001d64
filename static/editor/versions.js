/* Toolcrib editor: saving, publishing, version history, diffs and rollback.
 *
 * Save sends the text with the version it was based on. The server validates it (problems are
 * listed, nothing is stored) and refuses a stale base with a 409: then you choose to reload the
 * newer version (dropping your changes) or to keep yours and save it on top of the newer one —
 * after seeing what changed in between. Never a silent overwrite.
 * Browser: ToolcribEditor.versions.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};
  var el = TE.dom.el;

  function diffView(text) {
    if (!text) return el("p", { class: "ed-muted", text: "No differences." });
    return el("pre", { class: "ed-diff" }, text.split("\n").map(function (line) {
      var kind = line.slice(0, 3) === "+++" || line.slice(0, 3) === "---" ? "file" : line[0] === "+" ? "add" :
        line[0] === "-" ? "del" : line.slice(0, 2) === "@@" ? "hunk" : "same";
      return el("span", { class: "ed-diff__" + kind, text: line + "\n" });
    }));
  }

  function when(iso) { return iso ? iso.replace("T", " ").replace("Z", " UTC") : ""; }

  function create(ctx) {
    var urls = ctx.config.urls;
    var busy = false;

    function reload() {
      return TE.api.get(urls.app).then(function (app) {
        ctx.app = app;
        ctx.doc.load(app.source, app.version);
        ctx.bus.emit("app", app);
      });
    }

    function problemsBody(err) {
      var problems = (err.body && err.body.problems) || [];
      return el("div", {}, [el("p", { text: err.message }), el("ul", { class: "ed-problem-list" }, problems.map(function (p) {
        return el("li", {}, [el("code", { text: p.line + ":" + p.col }), " " + p.message,
          p.path ? el("span", { class: "ed-muted", text: " (" + p.path + ")" }) : null]);
      }))]);
    }

    function conflict(err, text) {
      var newest = err.body.newest || {};
      var since = ctx.doc.version;
      var body = el("div", {}, [
        el("p", { text: err.message }),
        el("p", { class: "ed-muted", text: "Version " + newest.number + " by " + (newest.created_by || "someone") + ", " +
          when(newest.created_at) + ". What changed since your version " + since + ":" }),
        el("div", { class: "ed-conflict__diff", text: "Loading the changes…" }),
      ]);
      TE.api.get(urls.diff + "?from=" + since + "&to=" + newest.number).then(function (d) {
        var box = body.querySelector(".ed-conflict__diff");
        TE.dom.clear(box).appendChild(diffView(d.diff));
      }, function () {});
      return TE.dom.dialog({ title: "Someone saved a newer version", body: body, wide: true, actions: [
        { label: "Reload version " + newest.number + " (drop my changes)", value: "reload" },
        { label: "Keep mine (save on top of version " + newest.number + ")", value: "keep", primary: true },
        { label: "Cancel", value: null },
      ] }).then(function (choice) {
        if (choice === "reload") return reload().then(function () { TE.dom.toast("Reloaded version " + newest.number, "info"); });
        if (choice === "keep") return send(text, newest.number);
        return null;
      });
    }

    function send(text, basedOn) {
      return TE.api.post(urls.versions, { source: text, based_on: basedOn }).then(function (v) {
        ctx.doc.saved(text, v.number);
        ctx.bus.emit("saved", v);
        TE.dom.toast(v.created ? "Saved as version " + v.number : "No changes since version " + v.number, "success");
        return v;
      }, function (err) {
        if (err.status === 409 && err.code === "stale_version") return conflict(err, text);
        if (err.code === "invalid_app") {
          ctx.bus.emit("server-problems", err.body.problems);
          return TE.dom.dialog({ title: "Not saved: the app has problems", body: problemsBody(err), actions: [
            { label: "Show them in the YAML view", value: "yaml", primary: true }, { label: "Close", value: null }] })
            .then(function (choice) { if (choice === "yaml") ctx.showView("yaml"); return null; });
        }
        TE.dom.toast("Not saved: " + err.message, "error");
        return null;
      });
    }

    function save() {
      if (busy) return Promise.resolve(null);
      ctx.flush();
      if (ctx.doc.errors.length) {
        TE.dom.toast("Not saved: the YAML has a syntax error at line " + ctx.doc.errors[0].line, "error");
        ctx.showView("yaml");
        return Promise.resolve(null);
      }
      busy = true;
      return send(ctx.doc.text, ctx.doc.version).then(function (v) { busy = false; return v; },
        function (e) { busy = false; throw e; });
    }

    function publish() {
      var ready = ctx.doc.dirty ? save() : Promise.resolve({ number: ctx.doc.version });
      return ready.then(function (saved) {
        if (!saved || ctx.doc.dirty) return null;
        return TE.api.post(urls.publish, { version: ctx.doc.version }).then(function (v) {
          ctx.app.published_version = v.number;
          ctx.bus.emit("published", v);
          TE.dom.toast("Published version " + v.number + ": people with access see it at " + urls.runtime, "success");
          return v;
        }, function (err) {
          if (err.code === "invalid_app") {
            return TE.dom.dialog({ title: "Not published: the app has problems", body: problemsBody(err) });
          }
          TE.dom.toast("Not published: " + err.message, "error");
          return null;
        });
      });
    }

    function rollback(number) {
      var warn = ctx.doc.dirty ? " Your unsaved changes will be dropped." : "";
      return TE.dom.dialog({ title: "Roll back to version " + number + "?",
        body: el("p", { text: "The text of version " + number + " is saved as a new version on top of version " +
          ctx.doc.version + "; nothing is deleted from the history." + warn }),
        actions: [{ label: "Roll back", value: "yes", primary: true }, { label: "Cancel", value: null }] })
        .then(function (choice) {
          if (choice !== "yes") return null;
          return TE.api.post(urls.rollback, { version: number, based_on: ctx.doc.version }).then(function (v) {
            return reload().then(function () { TE.dom.toast("Version " + number + " restored as version " + v.number, "success"); });
          }, function (err) {
            TE.dom.toast("Not rolled back: " + err.message, "error");
          });
        });
    }

    function history() {
      var body = el("div", { class: "ed-history" }, [el("p", { text: "Loading…" })]);
      var diffBox = el("div", { class: "ed-history__diff" });
      TE.api.get(urls.versions).then(function (data) {
        var rows = data.versions.map(function (v) {
          var tools = [];
          if (v.number > 1) {
            tools.push(el("button", { type: "button", class: "tc-button", text: "Diff with v" + (v.number - 1),
              onclick: function () { showDiff(v.number - 1, v.number); } }));
          }
          if (v.number !== ctx.doc.version) {
            tools.push(el("button", { type: "button", class: "tc-button", text: "Diff with v" + ctx.doc.version,
              onclick: function () { showDiff(v.number, ctx.doc.version); } }));
            tools.push(el("button", { type: "button", class: "tc-button", text: "Roll back to v" + v.number,
              dataset: { rollback: String(v.number) }, onclick: function () {
                box.close();
                rollback(v.number);
              } }));
          }
          return el("tr", { dataset: { version: String(v.number) } }, [
            el("td", {}, ["v" + v.number, v.published ? el("span", { class: "ed-badge ed-badge--ok", text: "published" }) : null,
              v.number === ctx.doc.version ? el("span", { class: "ed-badge", text: "open" }) : null]),
            el("td", { text: v.created_by || "—" }), el("td", { text: when(v.created_at) }),
            el("td", { text: v.based_on ? "v" + v.based_on : "—" }), el("td", {}, tools),
          ]);
        });
        TE.dom.clear(body).appendChild(el("table", { class: "ed-table" }, [
          el("thead", {}, [el("tr", {}, ["Version", "By", "When", "Based on", ""].map(function (h) {
            return el("th", { text: h });
          }))]), el("tbody", {}, rows)]));
        body.appendChild(diffBox);
      }, function (err) { TE.dom.clear(body).appendChild(el("p", { text: err.message })); });

      function showDiff(a, b) {
        TE.dom.clear(diffBox).appendChild(el("p", { text: "Loading the diff…" }));
        TE.api.get(urls.diff + "?from=" + a + "&to=" + b).then(function (d) {
          TE.dom.clear(diffBox).appendChild(el("h3", { text: "v" + a + " → v" + b }));
          diffBox.appendChild(diffView(d.diff));
        });
      }
      var shown = TE.dom.dialog({ title: "Version history", body: body, wide: true });
      var box = shown.element;
      return shown;
    }

    return { save: save, publish: publish, history: history, reload: reload, rollback: rollback };
  }

  TE.versions = { create: create, diffView: diffView };
})(window);

/* Toolcrib runtime: boots a published app page.
 *
 * Loaded after static/bindings.js and static/runtime/*.js, before the widget scripts
 * (/widgets/<type>.js), all with `defer`; it starts on DOMContentLoaded, when every widget
 * type has registered itself through Toolcrib.registerWidget(type, factory, options).
 *
 * Widget API (see docs in the reply / README): factory(cell, ctx) returns
 * {update(props, state, ui), destroy?(), reset?()}. `update` is called whenever the
 * widget's evaluated props, its state, its inline error (ui.error) or the state of a query
 * it reads change.
 */
(function (root) {
  "use strict";
  var R = root.ToolcribRuntime;
  var util = R.util;
  var t = util.translator(document.documentElement.lang);
  var factories = Object.create(null);

  var Toolcrib = root.Toolcrib = root.Toolcrib || {};
  Toolcrib.t = t;
  Toolcrib.kit = R.kit;
  Toolcrib.cells = R.cells;

  /** options.hasValue: the widget is a form field whose `value` follows its default binding. */
  Toolcrib.registerWidget = function (type, factory, options) {
    if (typeof factory !== "function") {
      throw new TypeError("registerWidget(" + type + "): factory must be a function");
    }
    factories[type] = { factory: factory, hasValue: !!(options && options.hasValue) };
  };

  function bindingRoots(bindings, text) {
    if (typeof text !== "string" || text.indexOf("<<") === -1) return [];
    var rootsFound = [];
    try {
      bindings.findBindings(text).forEach(function (b) {
        bindings.references(typeof b === "string" ? b : b.source).forEach(function (path) {
          rootsFound.push(String(path[0]));
        });
      });
    } catch (e) { /* a broken binding reads nothing; scope.js reports it */ }
    return rootsFound;
  }

  function createRuntime(app, bindings) {
    var specs = Object.create(null);
    (app.pages || []).forEach(function (page) {
      (page.widgets || []).forEach(function (w) { specs[w.name] = w; });
    });
    var queryNames = Object.keys(app.queries || {});
    var store = R.store.createStore();
    var warned = Object.create(null);
    var fieldErrors = Object.create(null);
    var files = Object.create(null); // fileinput widget -> the File it holds (never in state)
    var readsOf = Object.create(null); // widget name -> the queries it reads (queriesReadBy)
    var mounted = [];
    var currentPage = null;
    var currentTexts = null; // the URL texts of the shown page's params
    var shownBefore = false;
    var toaster = R.toasts.createToaster(document, t);
    var snapshot = R.scope.createScopeBuilder(specs, store, bindings, warnBinding);
    var valueWidgets = Object.keys(specs).filter(hasValue);
    var follower = R.follow.createFollower(bindings, valueWidgets);
    var requestRender = util.batcher(render);
    var client = R.api.createQueryClient({
      runUrl: app.runUrl, fetch: root.fetch.bind(root), t: t, headers: csrfHeaders,
      extraBody: app.runExtra,
    });
    var queries = R.queries.createQueries({
      app: app, store: store, client: client, snapshot: snapshot, hasValue: hasValue,
      reportInvalid: reportInvalid, t: t,
      fileOf: function (widget) { return files[widget] || null; },
    });
    var runner = R.actions.createActionRunner({
      evaluate: function (value) { return snapshot().evaluate(value); },
      queries: queries,
      toast: function (text, kind) { toaster.show(text, kind); },
      copyText: function (text) { return R.kit.copyText(text, t); },
      navigate: navigate,
      openUrl: function (url) { R.kit.openUrl(url, t); },
      setProperty: setProperty,
      resetWidgets: resetWidgets,
      exportQuery: exportQuery,
      t: t,
    });

    /** The `export` action: the query's whole result as a file, with its table's sort/filter. */
    function exportQuery(name, options) {
      var body = queries.exportBody(name, { validate: true });
      if (options.filename) body.filename = options.filename;
      return client.download(name, body).then(function (file) {
        R.kit.saveFile(file.blob, file.filename || options.filename || name + ".csv");
      });
    }

    function hasValue(name) {
      var spec = specs[name];
      return !!(spec && factories[spec.type] && factories[spec.type].hasValue);
    }

    function warnBinding(widget, prop, err) {
      var key = widget + "." + prop + ":" + (err && err.message);
      if (warned[key]) return;
      warned[key] = true;
      console.warn("Toolcrib: the binding in " + widget + "." + prop + " failed (" +
        (err && err.message) + "); the widget shows it empty.");
    }

    function csrfHeaders() {
      var meta = document.querySelector('meta[name="csrf-token"]');
      return meta && meta.content ? { "X-CSRF-Token": meta.content } : {};
    }

    // --- inline field errors --------------------------------------------------------

    function setFieldError(name, message) {
      if ((fieldErrors[name] || null) === (message || null)) return;
      if (message) fieldErrors[name] = message;
      else delete fieldErrors[name];
      requestRender();
    }

    function reportInvalid(problems) {
      problems.forEach(function (p) { setFieldError(p.widget, p.message); });
      toaster.show(problems.map(function (p) { return p.message; }).join("；"), "error");
      var cell = document.querySelector('[data-widget="' + problems[0].widget + '"]');
      var control = cell && cell.querySelector("input, select, textarea");
      if (control) control.focus();
    }

    // --- state changes asked for by actions -----------------------------------------

    function requireWidget(name) {
      if (!specs[name]) throw new Error(t("unknownWidgetName", { name: name }));
    }

    function setProperty(widget, property, value) {
      requireWidget(widget);
      var patch = {};
      patch[property] = value === undefined ? null : value;
      if (property === "value") setFieldError(widget, null);
      store.setWidget(widget, patch);
    }

    function resetWidgets(names) {
      var snap = snapshot();
      names.forEach(function (name) {
        requireWidget(name);
        setFieldError(name, null);
        var rec = mounted.filter(function (r) { return r.spec.name === name; })[0];
        if (rec && rec.instance && typeof rec.instance.reset === "function") rec.instance.reset();
        else if (hasValue(name)) {
          var value = snap.propsOf(name).value;
          store.setWidget(name, { value: value === undefined ? null : value });
        }
      });
    }

    // --- widgets ----------------------------------------------------------------------

    function pagedQueryOf(spec) {
      var raw = (spec.props || {}).data;
      if (typeof raw !== "string" || !bindings.isSingleBinding(raw)) return null;
      var match = /^([A-Za-z_$][\w$]*)\.data$/.exec(bindings.findBindings(raw)[0].source);
      return match && queries.isPaged(match[1]) ? match[1] : null;
    }

    /** The queries a widget's props read; specs never change, so each is worked out once
     * (every page shown asks this of every widget of the app, runtime/pages.js loadQueries). */
    function queriesReadBy(spec) {
      if (readsOf[spec.name]) return readsOf[spec.name];
      var found = [];
      Object.keys(spec.props || {}).forEach(function (key) {
        bindingRoots(bindings, spec.props[key]).forEach(function (name) {
          if (queryNames.indexOf(name) >= 0 && found.indexOf(name) < 0) found.push(name);
        });
      });
      readsOf[spec.name] = found;
      return found;
    }

    function makeContext(spec, cell, readQueries) {
      var name = spec.name;
      return {
        name: name,
        type: spec.type,
        element: cell,
        spec: spec,
        t: t,
        kit: R.kit,
        runUrl: app.runUrl,
        pagedQuery: pagedQueryOf(spec),
        dataQuery: readQueries[0] || null,
        props: function () { return snapshot().propsOf(name); },
        state: function () { return store.widget(name); },
        setState: function (patch) {
          if (Object.prototype.hasOwnProperty.call(patch, "value")) setFieldError(name, null);
          return store.setWidget(name, patch);
        },
        runActions: function (list) { return runner.runActions(list); },
        scopeWith: function (locals) { return snapshot().scopeWith(locals); },
        query: function (q) { return store.query(q); },
        runQuery: function (q, page) { return queries.execute(q, page); },
        runsOnLoad: function (q) { return queries.runsOnLoad(q); },
        drive: function (q, driver) { return queries.drive(q, driver); },
        toast: function (text, kind) { toaster.show(text, kind); },
        setFile: function (file) { files[name] = file || null; },
      };
    }

    function showCellProblem(cell, message) {
      cell.textContent = "";
      cell.appendChild(R.kit.el("div", "tc-cell-problem", message));
    }

    function mountWidget(spec) {
      var cell = R.layout.createCell(document, spec);
      var readQueries = queriesReadBy(spec);
      var rec = { spec: spec, cell: cell, instance: null, lastKey: null, queries: readQueries };
      var entry = factories[spec.type];
      if (!entry) {
        showCellProblem(cell, t("unknownWidget", { type: spec.type }));
        return rec;
      }
      try {
        rec.instance = entry.factory(cell, makeContext(spec, cell, readQueries)) || {};
      } catch (err) {
        console.error("Toolcrib: widget " + spec.name + " (" + spec.type + ") failed to start", err);
        showCellProblem(cell, t("widgetFailed"));
      }
      return rec;
    }

    function queryMeta(name) {
      var q = store.query(name);
      return [name, q.error, q.isLoading, q.total, q.hasMore, q.truncated];
    }

    function updateWidget(rec, snap) {
      var name = rec.spec.name;
      var props = snap.propsOf(name);
      var state = store.widget(name);
      var ui = { error: fieldErrors[name] || null };
      rec.cell.hidden = props.visible === false;
      var key = JSON.stringify([props, state, ui, rec.queries.map(queryMeta)]);
      if (key === rec.lastKey || !rec.instance || typeof rec.instance.update !== "function") return;
      rec.lastKey = key;
      try {
        rec.instance.update(props, state, ui);
      } catch (err) {
        console.error("Toolcrib: widget " + name + " failed to update", err);
      }
    }

    function render() {
      follower.sync(snapshot, specs, store, function (name) { setFieldError(name, null); });
      var snap = snapshot();
      mounted.forEach(function (rec) { updateWidget(rec, snap); });
    }

    // --- pages (URLs and params: runtime/pages.js) --------------------------------------

    function pageNamed(name) {
      return R.pages.pageNamed(app, name);
    }

    /** A missing or unreadable page parameter, said above the page (queries refuse it too). */
    function showParamProblems(grid, problems) {
      var banner = document.getElementById("tc-page-problem");
      if (!banner) {
        banner = R.kit.el("div", "tc-page-problem");
        banner.id = "tc-page-problem";
        banner.setAttribute("role", "alert");
        grid.parentNode.insertBefore(banner, grid);
      }
      banner.textContent = problems.map(function (p) {
        return t(p.kind === "missing" ? "paramMissing" : "paramInvalid", p);
      }).join("；");
      banner.hidden = !problems.length;
    }

    function unmountAll() {
      mounted.forEach(function (rec) {
        try {
          if (rec.instance && typeof rec.instance.destroy === "function") rec.instance.destroy();
        } catch (err) {
          console.error("Toolcrib: widget " + rec.spec.name + " failed to stop", err);
        }
      });
      mounted = [];
    }

    /**
     * Shows `page` with its params (URL texts, typed by the page's declarations): mounts its
     * widgets and runs the runOnLoad queries its widgets read (a paged table runs its own).
     * Widget state outlives the page, so Back finds the list's filters as they were.
     */
    function showPage(page, texts) {
      var grid = document.getElementById("tc-page");
      var typed = R.pages.typedParams(page, texts);
      var paramsMoved = currentPage !== page.name || !util.sameJSON(currentTexts, texts);
      var load = R.pages.loadQueries(app, page, queriesReadBy, !shownBefore);
      unmountAll();
      grid.textContent = "";
      currentPage = page.name;
      currentTexts = texts;
      shownBefore = true;
      if (paramsMoved) {
        // Another order's detail must not show the previous one's rows while it loads.
        load.forEach(function (name) { store.setQuery(name, { data: null, error: null, errorCode: null }); });
      }
      store.setPage({ name: page.name, title: page.title || page.name, params: typed.params });
      showParamProblems(grid, typed.problems);
      grid.setAttribute("aria-label", page.title || page.name);
      R.layout.renderTabs(document, document.getElementById("tc-pages"), R.pages.tabPages(app, page.name),
        page.name, function (name) { if (name !== currentPage) navigate(name, {}); },
        function (p) { return R.pages.urlFor(app, p.name, {}); });
      document.title = (page.title ? page.title + " · " : "") + (app.title || app.slug);
      R.layout.orderedWidgets(page).forEach(function (spec) {
        var rec = mountWidget(spec);
        grid.appendChild(rec.cell);
        mounted.push(rec);
      });
      render();
      return queries.runOnLoad(load);
    }

    /** The `navigate` action: another page (or the same with other params), in the history. */
    function navigate(name, params) {
      var page = pageNamed(name);
      if (!page) throw new Error(t("unknownPage", { name: name }));
      var texts = R.pages.textsOf(params);
      if (name === currentPage && util.sameJSON(texts, currentTexts)) return null;
      root.history.pushState({ page: name, params: texts }, "", R.pages.urlFor(app, name, texts));
      return showPage(page, texts);
    }

    function fromLocation() {
      return R.pages.fromLocation(app, root.location);
    }

    function start() {
      Object.keys(specs).forEach(function (name) { store.setWidget(name, {}); });
      follower.sync(snapshot, specs, store);
      store.subscribe(requestRender);
      root.addEventListener("popstate", function () {
        var where = fromLocation();
        if (where.page && (where.page.name !== currentPage || !util.sameJSON(where.texts, currentTexts))) {
          showPage(where.page, where.texts);
        }
      });
      var first = fromLocation();
      return first.page ? showPage(first.page, first.texts) : Promise.resolve();
    }

    // Toolcrib.app: a handle for devtools and tests, not an API for widgets (they get ctx).
    return {
      start: start, store: store, queries: queries, runActions: runner.runActions, navigate: navigate,
    };
  }

  function boot() {
    var holder = document.getElementById("toolcrib-app");
    if (!holder) return;
    var app;
    try {
      app = JSON.parse(holder.textContent);
    } catch (err) {
      console.error("Toolcrib: the app definition on this page is not valid JSON", err);
      return;
    }
    if (!root.ToolcribBindings) {
      console.error("Toolcrib: static/bindings.js did not load; widgets cannot be shown");
      return;
    }
    Toolcrib.app = createRuntime(app, root.ToolcribBindings);
    Toolcrib.app.start();
  }

  // Deferred scripts run while readyState is already "interactive", before DOMContentLoaded:
  // wait for it so the widget scripts after this one have registered.
  var booted = false;
  function bootOnce() {
    if (booted) return;
    booted = true;
    boot();
  }
  if (document.readyState === "complete") bootOnce();
  else {
    document.addEventListener("DOMContentLoaded", bootOnce);
    root.addEventListener("load", bootOnce);
  }
})(window);

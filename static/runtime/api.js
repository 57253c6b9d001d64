/* Toolcrib runtime: the HTTP call that runs a named query on the server.
 *
 * POST runUrl {state, page?, rowFormat: "arrays"} -> {rows, columns, rowcount, total, has_more,
 * truncated, duration_ms}, rows as lists in columns order (turned into objects here); an error
 * answer is {error: {message, code}}. Every failure, including a
 * network failure or a timeout, rejects with a QueryFailure whose message a person can read.
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).api = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var DEFAULT_TIMEOUT_MS = 60000; // the server enforces its own, shorter, statement timeout

  function QueryFailure(message, code, status) {
    var err = new Error(message);
    err.name = "QueryFailure";
    err.code = code || "error";
    err.status = status || 0;
    return err;
  }

  /** Rows sent as lists (the run request asks for "rowFormat": "arrays") back to objects. */
  function rowObjects(rows, columns) {
    return rows.map(function (row) {
      if (!Array.isArray(row)) return row; // a source that always answers objects (MongoDB)
      var obj = {};
      for (var i = 0; i < columns.length; i++) obj[columns[i]] = row[i];
      return obj;
    });
  }

  function normalizeResult(json) {
    var columns = Array.isArray(json.columns) ? json.columns : [];
    return {
      rows: Array.isArray(json.rows) ? rowObjects(json.rows, columns) : [],
      columns: columns,
      rowcount: json.rowcount === undefined ? null : json.rowcount,
      total: json.total === undefined ? null : json.total,
      hasMore: json.has_more === undefined ? null : json.has_more,
      truncated: !!json.truncated,
      durationMs: json.duration_ms === undefined ? null : json.duration_ms,
    };
  }

  function readJSON(response) {
    return response.text().then(function (text) {
      try {
        return JSON.parse(text);
      } catch (e) {
        return null;
      }
    });
  }

  function failureFrom(response, json, t) {
    var error = json && json.error;
    if (error && typeof error.message === "string" && error.message) {
      return QueryFailure(error.message, error.code, response.status);
    }
    return QueryFailure(t("httpError", { status: response.status }), "http_" + response.status,
      response.status);
  }

  /** The result of a successful answer (run or import); its body must be a JSON object. */
  function resultOf(response, json, t) {
    if (!json || typeof json !== "object") {
      throw QueryFailure(t("badResponse"), "bad_response", response.status);
    }
    return normalizeResult(json);
  }

  /**
   * A client for one app.
   *   options.runUrl: "/api/apps/<slug>/queries/{name}/run"
   *   options.fetch: window.fetch (injected for tests); options.t: translator
   *   options.headers(): extra headers per request (a CSRF token, when the page has one)
   *   options.extraBody: fields added to every request body (the editor's preview sends its
   *     draft this way; published apps have none)
   */
  function createQueryClient(options) {
    var fetchFn = options.fetch;
    var t = options.t;
    var timeoutMs = options.timeoutMs || DEFAULT_TIMEOUT_MS;

    function urlFor(name) {
      return options.runUrl.replace("{name}", encodeURIComponent(name));
    }

    /** Request headers; a JSON body unless `multipart` (the browser then sets the boundary). */
    function headersFor(accept, multipart) {
      return Object.assign(multipart ? {} : { "Content-Type": "application/json" }, {
        Accept: accept,
        "X-Requested-With": "toolcrib",
      }, options.headers ? options.headers() : {});
    }

    /** The URL of the query's run URL with its last segment replaced (`/export`, `/import`). */
    function siblingUrl(name, last) {
      return options.runUrl.replace(/\/run$/, "/" + last).replace("{name}", encodeURIComponent(name));
    }

    function run(name, body) {
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs) : null;
      return fetchFn(urlFor(name), {
        method: "POST",
        credentials: "same-origin",
        headers: headersFor("application/json"),
        // Rows as lists: the column names are not repeated in every row of the answer.
        body: JSON.stringify(Object.assign({ rowFormat: "arrays" }, options.extraBody, body)),
        signal: controller ? controller.signal : undefined,
      }).then(function (response) {
        return readJSON(response).then(function (json) {
          if (!response.ok) throw failureFrom(response, json, t);
          return resultOf(response, json, t);
        });
      }, function (err) {
        if (err && err.name === "AbortError") throw QueryFailure(t("timeout"), "timeout", 0);
        throw QueryFailure(t("unreachable"), "network", 0);
      }).finally(function () {
        if (timer) clearTimeout(timer);
      });
    }

    /** The export URL: options.exportUrl, else the run URL ending in /export. */
    function exportUrlFor(name) {
      return options.exportUrl ? options.exportUrl.replace("{name}", encodeURIComponent(name))
        : siblingUrl(name, "export");
    }

    /**
     * POST an export request; resolves to {blob, filename} (the name the server chose, from
     * Content-Disposition). No client time limit: a large export takes as long as it takes.
     */
    function download(name, body) {
      return fetchFn(exportUrlFor(name), {
        method: "POST",
        credentials: "same-origin",
        headers: headersFor("text/csv, application/json"),
        body: JSON.stringify(body),
      }).then(function (response) {
        if (!response.ok) {
          return readJSON(response).then(function (json) { throw failureFrom(response, json, t); });
        }
        return response.blob().then(function (blob) {
          return { blob: blob, filename: filenameOf(response.headers.get("Content-Disposition")) };
        }, function () {
          throw QueryFailure(t("exportBroken"), "export_broken", response.status);
        });
      }, function () {
        throw QueryFailure(t("unreachable"), "network", 0);
      });
    }

    /**
     * Upload a file for an import query: multipart {file, body: JSON {state}} to the run URL
     * ending in /import. A refusal with a report of bad rows rejects with err.data = the rows.
     */
    function upload(name, file, body) {
      var form = new FormData();
      form.append("body", JSON.stringify(body));
      form.append("file", file, file.name);
      return fetchFn(siblingUrl(name, "import"), {
        method: "POST", credentials: "same-origin", headers: headersFor("application/json", true),
        body: form,
      }).then(function (response) {
        return readJSON(response).then(function (json) {
          if (!response.ok) {
            var err = failureFrom(response, json, t);
            if (json && Array.isArray(json.problems)) err.data = json.problems;
            throw err;
          }
          return resultOf(response, json, t);
        });
      }, function () {
        throw QueryFailure(t("unreachable"), "network", 0);
      });
    }

    return {
      run: run, urlFor: urlFor, download: download, exportUrlFor: exportUrlFor, upload: upload,
    };
  }

  /** The file name of a Content-Disposition header (filename* first), or null. */
  function filenameOf(header) {
    var text = header || "";
    var star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(text);
    if (star) {
      try {
        return decodeURIComponent(star[1].trim());
      } catch (e) { /* fall through to the plain name */ }
    }
    var plain = /filename\s*=\s*"?([^";]+)"?/i.exec(text);
    return plain ? plain[1].trim() : null;
  }

  return {
    filenameOf: filenameOf,
    createQueryClient: createQueryClient, QueryFailure: QueryFailure, normalizeResult: normalizeResult,
  };
});

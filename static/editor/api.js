/* Toolcrib editor: calls to the editor API (/api/editor/...) with the page's CSRF token.
 * Every failure rejects with an ApiError {message, status, code, body}, the body being the
 * server's JSON (problems of an invalid save, the newest version of a conflict).
 * Browser: ToolcribEditor.api.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};

  function csrfToken() {
    var meta = root.document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function ApiError(message, status, code, body) {
    var err = new Error(message);
    err.name = "ApiError";
    err.status = status;
    err.code = code;
    err.body = body || {};
    return err;
  }

  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrfToken();
    }
    return root.fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (!response.ok) {
          var error = json && json.error;
          throw ApiError(error && error.message ? error.message : "the server answered " + response.status,
            response.status, error ? error.code : "http_" + response.status, json);
        }
        return json;
      });
    }, function () {
      throw ApiError("the server cannot be reached; check your connection", 0, "network");
    });
  }

  TE.api = {
    get: function (url) { return request("GET", url); },
    post: function (url, body) { return request("POST", url, body || {}); },
    csrfToken: csrfToken,
  };
})(window);

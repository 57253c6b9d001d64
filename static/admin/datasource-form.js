/* Toolcrib admin: the data-source form's "Test connection" without leaving the page.
 *
 * The button posts the form as it is (saved or not) with Accept: application/json and shows the
 * answer: {ok, title, message, advice, routes: [{target, source}], server_addresses,
 * elapsed_ms} or, for a form with mistakes, {ok: false, kind: "invalid", errors}. Without this
 * script the same button submits the form and the server renders the page with the answer.
 * Text is only ever set with textContent: nothing from the server becomes HTML.
 * Also: "Remove the stored …" checkboxes disable their input; forms with data-confirm ask first.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function render(box, data) {
    box.replaceChildren();
    box.hidden = false;
    box.className = "tc-ds-result " + (data.ok ? "tc-ds-result--ok" : "tc-ds-result--error");
    box.appendChild(el("strong", "tc-ds-result__title", data.title || (data.ok ? "Connected" : "Cannot connect")));
    if (data.message) box.appendChild(el("p", "tc-ds-result__message", data.message));
    if (data.advice) {
      var advice = el("p", "tc-ds-result__advice");
      advice.appendChild(el("strong", null, "What to check: "));
      advice.appendChild(document.createTextNode(data.advice));
      box.appendChild(advice);
    }
    if (data.errors) {
      var list = el("ul", "tc-ds-result__errors");
      Object.keys(data.errors).forEach(function (key) {
        list.appendChild(el("li", null, (key ? key + ": " : "") + data.errors[key]));
      });
      box.appendChild(list);
    }
    if (Array.isArray(data.routes) && data.routes.length) {
      var routes = el("ul", "tc-ds-result__routes");
      data.routes.forEach(function (route) {
        var item = el("li", null, "This server connects to ");
        item.appendChild(el("code", null, route.target));
        item.appendChild(document.createTextNode(" from "));
        item.appendChild(el("code", null, route.source));
        routes.appendChild(item);
      });
      box.appendChild(routes);
    }
    if (Array.isArray(data.server_addresses) && data.server_addresses.length) {
      box.appendChild(el("p", "tc-hint", "This server's addresses: " + data.server_addresses.join(", ") +
        ". Behind NAT, the database sees the NAT's public address instead."));
    }
    if (typeof data.elapsed_ms === "number") {
      box.appendChild(el("p", "tc-hint", "Answered in " + Math.round(data.elapsed_ms) + " ms."));
    }
  }

  function testConnection(form, button, box) {
    var body = new FormData(form);
    body.set("action", "test");
    button.disabled = true;
    box.hidden = false;
    box.className = "tc-ds-result tc-ds-result--pending";
    box.textContent = "Testing the connection…";
    // form.getAttribute: form.action would be the buttons named "action".
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { ok: false, title: "Unexpected answer", message: "The server answered " + response.status + "." };
        });
      })
      .then(function (data) {
        if (data && data.error && !("ok" in data)) {  // an error page as JSON (expired form, 403)
          data = { ok: false, title: "Not tested", message: data.error.message || String(data.error) };
        }
        render(box, data || {});
      })
      .catch(function () {
        render(box, { ok: false, title: "Not tested", message: "The Toolcrib server could not be reached." });
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function init() {
    var form = document.getElementById("tc-ds-form");
    if (form) {
      var button = document.getElementById("tc-ds-test");
      var box = document.getElementById("tc-ds-result");
      if (button && box && window.fetch && window.FormData) {
        button.addEventListener("click", function (event) {
          event.preventDefault();
          testConnection(form, button, box);
        });
      }
      form.querySelectorAll("input[data-clears]").forEach(function (checkbox) {
        var target = document.getElementById(checkbox.getAttribute("data-clears"));
        if (!target) return;
        checkbox.addEventListener("change", function () {
          target.disabled = checkbox.checked;
          if (checkbox.checked) target.value = "";
        });
      });
    }
    document.querySelectorAll("form[data-confirm]").forEach(function (confirmForm) {
      confirmForm.addEventListener("submit", function (event) {
        if (!window.confirm(confirmForm.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

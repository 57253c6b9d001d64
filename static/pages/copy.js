// Copy buttons on the server-rendered pages: <button data-copy="#element-id" hidden>.
// Shown only when the clipboard is available; the text can always be selected by hand.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var target = document.querySelector(button.getAttribute("data-copy"));
      var status = button.parentElement.querySelector("[data-copy-status]");
      if (!target || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          if (status) status.textContent = "Copied.";
        }, function () {
          if (status) status.textContent = "Copying failed: select the text and copy it.";
        });
      });
    });
  });
})();

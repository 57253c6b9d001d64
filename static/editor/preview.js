/* Toolcrib editor: the live preview — the real runtime with the unsaved draft, inside the editor.
 *
 * The draft text is posted into an iframe (a form with target=the frame); the server renders the
 * ordinary runtime page for it, and its queries run against the live data sources through the
 * editor API with that draft (developers and admins only). Nothing is saved or published.
 * Browser: ToolcribEditor.preview.
 */
(function (root) {
  "use strict";
  var TE = root.ToolcribEditor = root.ToolcribEditor || {};

  function create(ctx, parts) {
    function show() {
      ctx.flush();
      parts.draft.value = ctx.doc.text;
      parts.version.value = ctx.doc.version === null ? "" : String(ctx.doc.version);
      parts.csrf.value = TE.api.csrfToken();
      parts.form.submit();
    }
    parts.reload.addEventListener("click", show);
    return { show: show };
  }

  TE.preview = { create: create };
})(window);

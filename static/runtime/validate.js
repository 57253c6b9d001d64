/* Toolcrib runtime: checks on form fields before a query that reads them runs.
 *
 * The server checks types again; this is for the person at the screen: an empty required
 * field is pointed at before anything is sent.
 */
(function (root, factory) {
  "use strict";
  var util = typeof module === "object" && module.exports ? require("./util.js")
    : root.ToolcribRuntime.util;
  var mod = factory(util);
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).validate = mod;
})(typeof self !== "undefined" ? self : this, function (util) {
  "use strict";

  /** Like the HTML `pattern` attribute: the whole value must match. */
  function matchesPattern(pattern, value) {
    var re;
    try {
      re = new RegExp("^(?:" + pattern + ")$", "u");
    } catch (e) {
      return true; // a broken pattern is the app author's bug; don't block the user on it
    }
    return re.test(value);
  }

  /** The message for one field's value, or null when it is fine. */
  function validateField(name, props, value, t) {
    var label = util.toText(props.label) || name;
    if (props.required && util.isBlank(value)) return t("required", { label: label });
    if (typeof value !== "string" || value === "") return null;
    if (props.maxLength && value.length > props.maxLength) {
      return t("tooLong", { label: label, max: props.maxLength });
    }
    if (props.pattern && !matchesPattern(props.pattern, value)) {
      return t("pattern", { label: label });
    }
    return null;
  }

  /**
   * Problems with the fields a query reads.
   *   refs: [[widget, property], ...] from the app JSON
   *   hasValue(name): the widget is a form field
   *   propsOf(name) / stateOf(name): evaluated props and state
   * Returns [{widget, label, message}] in the order of `refs`.
   */
  function invalidFields(refs, hasValue, propsOf, stateOf, t) {
    var seen = Object.create(null);
    var problems = [];
    (refs || []).forEach(function (ref) {
      var name = ref[0];
      if (ref[1] !== "value" || seen[name] || !hasValue(name)) return;
      seen[name] = true;
      var props = propsOf(name);
      var message = validateField(name, props, stateOf(name).value, t);
      if (message) problems.push({ widget: name, label: util.toText(props.label) || name, message: message });
    });
    return problems;
  }

  return { validateField: validateField, invalidFields: invalidFields, matchesPattern: matchesPattern };
});

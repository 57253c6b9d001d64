/* Toolcrib runtime: small helpers shared by the runtime modules and the widgets.
 *
 * Every file under static/runtime/ is a plain script that registers itself on
 * window.ToolcribRuntime (no build step), and also a CommonJS module so the pure
 * parts can be tested with `node --test` (tests/js/runtime.test.cjs).
 */
(function (root, factory) {
  "use strict";
  var mod = factory();
  if (typeof module === "object" && module.exports) module.exports = mod;
  else (root.ToolcribRuntime = root.ToolcribRuntime || {}).util = mod;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /** Structural equality for JSON-like values (state, evaluated props, rows). */
  function sameJSON(a, b) {
    if (a === b) return true;
    try {
      return JSON.stringify(a) === JSON.stringify(b);
    } catch (e) {
      return false;
    }
  }

  /** What a required field counts as "not filled in". */
  function isBlank(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === "string") return value.trim() === "";
    if (typeof value === "number") return isNaN(value);
    if (Array.isArray(value)) return value.length === 0;
    return false;
  }

  var NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i;

  /** A number from a number or a numeric text ("12.50", as SQL DECIMALs arrive); else null. */
  function toNumber(value) {
    if (typeof value === "number") return isFinite(value) ? value : null;
    if (typeof value === "string" && NUMERIC.test(value)) return Number(value);
    return null;
  }

  /** Display text of any value: null/undefined become "", objects become JSON. */
  function toText(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    if (typeof value === "object") {
      try {
        return JSON.stringify(value);
      } catch (e) {
        return String(value);
      }
    }
    return String(value);
  }

  /**
   * The absolute form of `url` if it is http(s) or relative to `base`, else null.
   * Refuses javascript:, data:, file: and friends (links and images come from data).
   */
  function safeUrl(url, base) {
    if (typeof url !== "string" || url.trim() === "") return null;
    var parsed;
    try {
      parsed = new URL(url.trim(), base);
    } catch (e) {
      return null;
    }
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  }

  /** Value at a path of keys inside a plain object (undefined-safe). */
  function getPath(obj, path) {
    var cur = obj;
    for (var i = 0; i < path.length; i++) {
      if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
      cur = cur[path[i]];
    }
    return cur;
  }

  var MESSAGES = {
    en: {
      unreachable: "Cannot reach the server",
      timeout: "The server took too long to answer",
      httpError: "The request failed (HTTP {status})",
      badResponse: "The server sent an answer that could not be read",
      required: "{label} is required",
      pattern: "{label} is not in the expected format",
      tooLong: "{label} may be at most {max} characters",
      missingFields: "Please fill in: {labels}",
      copyEmpty: "Nothing to copy",
      exportBroken: "The download broke off; try again",
      fileMissing: "Choose a file first",
      fileType: "Choose a {types} file",
      fileTooBig: "The file is too big: at most {max}",
      dateFrom: "From", dateTo: "To",
      presetToday: "Today", presetLast7days: "Last 7 days", presetLast30days: "Last 30 days",
      presetThisMonth: "This month",
      copyFailed: "Could not copy to the clipboard",
      badUrl: "This link cannot be opened",
      unknownPage: "There is no page named {name}",
      paramMissing: "This page needs the parameter “{param}” in its address",
      paramInvalid: "The page parameter “{param}” in the address is not a valid {type}",
      unknownQuery: "There is no query named {name}",
      unknownAction: "Unknown action",
      unknownWidget: "Unknown widget type: {type}",
      unknownWidgetName: "There is no widget named {name}",
      widgetFailed: "This widget could not be shown",
      loading: "Loading…",
      loadError: "The data could not be loaded",
      noRows: "No rows",
      counter: "{from}–{to} of {total}",
      counterUnknown: "{from}–{to}",
      counterEmpty: "0 rows",
      first: "First", prev: "Prev", next: "Next", last: "Last", pageTitle: "Show page",
      close: "Close",
      retry: "Retry",
    },
    zh: {
      unreachable: "无法连接服务器",
      timeout: "服务器响应超时",
      httpError: "请求失败（HTTP {status}）",
      badResponse: "服务器返回了无法识别的响应",
      required: "请填写{label}",
      pattern: "{label}格式不正确",
      tooLong: "{label}最多 {max} 个字符",
      missingFields: "请先填写：{labels}",
      copyEmpty: "没有可复制的内容",
      exportBroken: "下载中断，请重试",
      fileMissing: "请先选择文件",
      fileType: "只能选择 {types} 文件",
      fileTooBig: "文件太大：最大 {max}",
      dateFrom: "开始日期", dateTo: "结束日期",
      presetToday: "今天", presetLast7days: "近 7 天", presetLast30days: "近 30 天",
      presetThisMonth: "本月",
      copyFailed: "复制失败，请手动复制",
      badUrl: "不允许打开此链接",
      unknownPage: "没有名为 {name} 的页面",
      paramMissing: "此页面的地址缺少参数“{param}”",
      paramInvalid: "地址中的页面参数“{param}”不是有效的 {type}",
      unknownQuery: "没有名为 {name} 的查询",
      unknownAction: "未知的操作",
      unknownWidget: "未知的组件类型：{type}",
      unknownWidgetName: "没有名为 {name} 的组件",
      widgetFailed: "组件无法显示",
      loading: "加载中…",
      loadError: "数据加载失败",
      noRows: "暂无数据",
      counter: "第 {from}–{to} 条，共 {total} 条",
      counterUnknown: "第 {from}–{to} 条",
      counterEmpty: "共 0 条",
      first: "首页", prev: "上一页", next: "下一页", last: "末页", pageTitle: "页码",
      close: "关闭",
      retry: "重试",
    },
  };

  /** A translator for a page language ("zh-CN" -> zh, anything else -> en). */
  function translator(lang) {
    var table = /^zh\b/i.test(lang || "") ? MESSAGES.zh : MESSAGES.en;
    return function t(key, params) {
      var text = table[key] || MESSAGES.en[key] || key;
      return text.replace(/\{(\w+)\}/g, function (all, name) {
        return params && params[name] !== undefined ? String(params[name]) : all;
      });
    };
  }

  /** Runs `fn` soon, once per tick however often it is asked (state changes batch up). */
  function batcher(fn, schedule) {
    var pending = false;
    schedule = schedule || (typeof queueMicrotask === "function" ? queueMicrotask
      : function (cb) { Promise.resolve().then(cb); });
    return function request() {
      if (pending) return;
      pending = true;
      schedule(function () {
        pending = false;
        fn();
      });
    };
  }

  var DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

  /**
   * A table cell's date or date-time as people read it: "2026-11-22" or "2026-11-22 09:00".
   * The wall-clock text the database returned is kept (no time-zone conversion: a naive
   * timestamp has no zone to convert from); anything else is shown as it is.
   */
  function formatDate(value, withTime) {
    var text = toText(value);
    var match = DATE_TIME.exec(text.trim());
    if (!match) return text;
    if (!withTime || !match[2]) return match[1];
    var zone = !match[3] ? "" : match[3] === "Z" ? " UTC" : " " + match[3];
    return match[1] + " " + match[2] + zone;
  }

  return {
    formatDate: formatDate,
    sameJSON: sameJSON,
    isBlank: isBlank,
    toNumber: toNumber,
    toText: toText,
    safeUrl: safeUrl,
    getPath: getPath,
    translator: translator,
    batcher: batcher,
    MESSAGES: MESSAGES,
  };
});

// Entry of static/vendor/codemirror6/cm6-sql.min.js (global CM6); built by scripts/vendor-bundles.sh.
// Everything the editor uses from CodeMirror 6 goes through this one bundle, so there is exactly
// one copy of @codemirror/state and @codemirror/view on the page.
export {EditorView, basicSetup, minimalSetup} from "codemirror";
export {sql, PostgreSQL, MySQL, MariaSQL, SQLite, StandardSQL} from "@codemirror/lang-sql";
export {yaml} from "@codemirror/lang-yaml";
export {EditorState, Compartment, StateEffect, StateField, Annotation} from "@codemirror/state";
export {keymap, placeholder, Decoration, ViewPlugin, hoverTooltip} from "@codemirror/view";
export {
  autocompletion, completionKeymap, startCompletion, acceptCompletion, completionStatus,
} from "@codemirror/autocomplete";
export {linter, setDiagnostics, lintGutter, forceLinting, diagnosticCount} from "@codemirror/lint";
export {indentWithTab, history, undo, redo} from "@codemirror/commands";
export {syntaxTree} from "@codemirror/language";

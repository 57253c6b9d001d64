// Entry of static/vendor/yaml/yaml.min.js (global YAML); built by scripts/vendor-bundles.sh.
// The editor keeps an app's YAML text as the document and edits it through yaml's Document API,
// which keeps comments and the layout of untouched nodes.
export {
  parseDocument, parse, stringify, Document, LineCounter, isMap, isSeq, isScalar, isPair,
  isNode, isCollection, isAlias, YAMLMap, YAMLSeq, Scalar, Pair,
} from "yaml";

/* Skip logic and constraints in the browser: evaluates the trees surveys/expressions.py parsed.
 *
 * The server sends parsed trees (never expression text to interpret) and this file applies the
 * very rules of surveys/expressions.py, so a question hidden here is one the server skips.
 * Runs in the page and in Node, where tests/js/logic.test.js checks it against Python's results.
 */
"use strict";

const glasLogic = (function () {
  const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
  const NUMERIC = new Set(["num", "math", "cmp", "and", "or", "not"]);

  function evaluate(tree, values, current) {
    return truth(value(tree, values, current === undefined ? "" : current));
  }

  /* Values are strings (answers), numbers, or NaN for "a number that is not one". */
  function value(tree, values, current) {
    const op = tree[0];
    if (op === "ref") return Object.prototype.hasOwnProperty.call(values, tree[1]) ? values[tree[1]] : "";
    /* A column of the choice a choice_filter looks at, given under "@" (no question's name). */
    if (op === "col") return Object.prototype.hasOwnProperty.call(values, "@" + tree[1]) ? values["@" + tree[1]] : "";
    if (op === "self") return current;
    if (op === "str") return tree[1];
    if (op === "num") return Number(tree[1]);
    if (op === "not") return truth(value(tree[1], values, current)) ? 0 : 1;
    if (op === "and") return truth(value(tree[1], values, current)) && truth(value(tree[2], values, current)) ? 1 : 0;
    if (op === "or") return truth(value(tree[1], values, current)) || truth(value(tree[2], values, current)) ? 1 : 0;
    if (op === "cmp") return compare(tree, values, current) ? 1 : 0;
    if (op === "math") return math(tree[1], value(tree[2], values, current), value(tree[3], values, current));
    const args = tree.slice(2).map((arg) => value(arg, values, current));
    if (tree[1] === "selected") return text(args[1]).length && words(text(args[0])).includes(text(args[1])) ? 1 : 0;
    if (tree[1] === "count-selected") return words(text(args[0])).length;
    return Array.from(text(args[0])).length;
  }

  function words(s) {
    return s.split(/\s+/).filter((w) => w !== "");
  }

  function truth(v) {
    return typeof v === "number" ? v !== 0 && !Number.isNaN(v) : v !== "";
  }

  function number(v) {
    if (typeof v === "number") return Number.isFinite(v) ? v : null;
    const s = v.trim();
    return NUMBER.test(s) ? Number(s) : null;
  }

  function numeric(tree) {
    return NUMERIC.has(tree[0]) || (tree[0] === "call" && tree[1] !== "selected");
  }

  function text(v) {
    if (typeof v === "number") return Number.isNaN(v) ? "" : String(v);
    return v;
  }

  function compare(tree, values, current) {
    const [, op, leftTree, rightTree] = tree;
    const left = value(leftTree, values, current);
    const right = value(rightTree, values, current);
    if (op === "=" || op === "!=") {
      let equal;
      if (numeric(leftTree) || numeric(rightTree)) {
        const a = number(left);
        const b = number(right);
        equal = a !== null && b !== null && a === b;
      } else {
        equal = text(left) === text(right);
      }
      return op === "=" ? equal : !equal;
    }
    const a = number(left);
    const b = number(right);
    if (a !== null && b !== null) return order(op, a, b);
    if (a === null && b === null && typeof left === "string" && typeof right === "string") {
      return left !== "" && right !== "" && order(op, left, right);
    }
    return false;
  }

  function order(op, a, b) {
    return { "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b }[op];
  }

  function math(op, left, right) {
    const a = number(left);
    const b = number(right);
    if (a === null || b === null) return NaN;
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (b === 0) return NaN;
    return op === "div" ? a / b : a % b;
  }

  return { evaluate };
})();

if (typeof module === "object" && module.exports) module.exports = glasLogic;

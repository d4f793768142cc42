/* Skip logic and constraints in the browser: evaluates the trees surveys/expressions.py parsed.
 *
 * The server sends parsed trees (never expression text to interpret) and this file applies the
 * very rules of surveys/expressions.py, so a question hidden here is one the server skips.
 * Runs in the page and in Node, where tests/js/logic.test.js checks it against Python's results.
 */
"use strict";

const glasLogic = (function () {
  /* surveys/expressions.py NUMBER and MAX_EXPONENT: at most 40 digits each side of the point,
   * a three-digit exponent, and only magnitudes from 1e-300 to 1e300 are numbers. */
  const NUMBER = /^[+-]?(?:\d{1,40}(?:\.\d{0,40})?|\.\d{1,40})(?:[eE][+-]?\d{1,3})?$/;
  const LARGEST = 1e300;
  const SMALLEST = 1e-300;
  const NUMERIC = new Set(["num", "math", "cmp", "and", "or", "not"]);
  const NUMERIC_CALLS = new Set([
    "count-selected", "string-length", "number", "sum", "int", "round", "count",
    "floor", "ceiling", "abs", "pow", "max", "min", "count-non-empty", "decimal-date-time",
  ]);
  /* surveys/xpath_functions.py: the rest of the XPath functions real forms use. */
  const MORE = new Set([
    "today", "now", "contains", "starts-with", "ends-with", "substr", "substring-before",
    "substring-after", "normalize-space", "floor", "ceiling", "abs", "pow", "max", "min", "boolean",
    "boolean-from-string", "count-non-empty", "join", "date", "decimal-date-time", "format-date",
  ]);
  const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
  const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)/;
  /* A repeat's answers in every instance are under "*" + name, each after NODE; the instance
   * being evaluated under "#" (surveys/expressions.py nodes). */
  const NODE = "\x1f";
  /* surveys/model.py MAX_REPEATS: the most instances a repeat has; MAX_INSTANCES: of all
   * repeats together (the server refuses a form with more). */
  const MAX_REPEATS = 50;
  const MAX_INSTANCES = 150;
  const SIGNIFICANT = 15;

  function evaluate(tree, values, current) {
    return truth(value(tree, values, current === undefined ? "" : current));
  }

  /* A calculation's result as text (surveys/expressions.py calculate). */
  function calculate(tree, values) {
    return text(value(tree, values, ""));
  }

  /* Values are strings (answers), numbers, or NaN for "a number that is not one". */
  function value(tree, values, current) {
    const op = tree[0];
    if (op === "ref") return Object.prototype.hasOwnProperty.call(values, tree[1]) ? values[tree[1]] : "";
    /* A column of the choice a choice_filter looks at, given under "@" (no question's name). */
    if (op === "col") return Object.prototype.hasOwnProperty.call(values, "@" + tree[1]) ? values["@" + tree[1]] : "";
    if (op === "self") return current;
    if (op === "refs") return nodes(values, tree[1]);
    if (op === "pos") return number(own(values, "#") ? values["#"] : "") || 0;
    if (op === "idx") {
      const index = number(value(tree[2], values, current));
      const key = tree[1] + "#" + index;
      return Number.isInteger(index) && own(values, key) ? values[key] : "";
    }
    if (op === "str") return tree[1];
    if (op === "num") return Number(tree[1]);
    if (op === "not") return truth(value(tree[1], values, current)) ? 0 : 1;
    if (op === "and") return truth(value(tree[1], values, current)) && truth(value(tree[2], values, current)) ? 1 : 0;
    if (op === "or") return truth(value(tree[1], values, current)) || truth(value(tree[2], values, current)) ? 1 : 0;
    if (op === "cmp") return compare(tree, values, current) ? 1 : 0;
    if (op === "math") return math(tree[1], value(tree[2], values, current), value(tree[3], values, current));
    if (op === "map") return tree[1];
    const args = tree.slice(2).map((arg) => value(arg, values, current));
    const name = tree[1];
    if (MORE.has(name)) return more(name, args);
    if (name === "selected") return text(args[1]).length && words(text(args[0])).includes(text(args[1])) ? 1 : 0;
    if (name === "count-selected") return words(text(args[0])).length;
    if (name === "string-length") return Array.from(text(args[0])).length;
    if (name === "if") return truth(args[0]) ? args[1] : args[2];
    if (name === "concat") return args.map(text).join("");
    if (name === "coalesce") return text(args[0]) !== "" ? args[0] : args[1];
    if (name === "count") return Array.isArray(args[0]) ? args[0].length : 0;
    if (name === "sum" && Array.isArray(args[0])) return sum(args[0]);
    if (name === "number" || name === "sum") return asNumber(args[0]);
    if (name === "string") return text(args[0]);
    if (name === "once") return args[0];
    if (name === "int") {
      const n = asNumber(args[0]);
      return Number.isNaN(n) ? NaN : Math.trunc(n);
    }
    if (name === "round") {
      const n = asNumber(args[0]);
      const digits = args.length > 1 ? asNumber(args[1]) : 0;
      if (Number.isNaN(n) || Number.isNaN(digits)) return NaN;
      const scale = Math.pow(10, Math.trunc(digits));
      return Math.floor(Number((n * scale).toPrecision(SIGNIFICANT)) + 0.5) / scale;
    }
    if (name === "selected-at") {
      const list = words(text(args[0]));
      const index = asNumber(args[1]);
      return Number.isInteger(index) && index >= 0 && index < list.length ? list[index] : "";
    }
    if (name === "regex") {
      try {
        return new RegExp(text(args[1])).test(text(args[0])) ? 1 : 0;
      } catch (e) {
        return 0;
      }
    }
    /* jr:choice-name: its question resolved by the survey into ["map", {name: label}]. */
    const labels = args[1];
    return labels && typeof labels === "object" && Object.prototype.hasOwnProperty.call(labels, text(args[0])) ? labels[text(args[0])] : "";
  }

  /* The skip logic walk of surveys/repeats.py over the blocks the page carries
   * (Survey.browser_walk): the keys asked ("name", "name#n" in a repeat's instance n,
   * "name#n#m" deeper), the values without the skipped ones, calculations computed, and each
   * instance's context (what its rules read) by its key suffix ("#2", "#2#1"). */
  function walk(blocks, input) {
    const found = { asked: new Set(), kept: Object.assign({}, input), contexts: {} };
    walkBlocks(blocks, found.kept, [], found);
    return found;
  }

  function keyOf(name, path) {
    return name + path.map((i) => "#" + i).join("");
  }

  function walkBlocks(blocks, context, path, found) {
    for (const block of blocks) {
      if (block[0] === "q") decide(block, keyOf(block[1], path), context, found.kept, found.asked);
      else walkRepeat(block, context, path, found);
    }
  }

  function decide(block, key, context, kept, asked) {
    const [, name, trees, calculation] = block;
    if (trees.every((tree) => evaluate(tree, context))) {
      asked.add(key);
      if (!calculation) return;
      const result = calculate(calculation, context);
      if (result !== "") {
        context[name] = result;
        kept[key] = result;
        return;
      }
    }
    delete context[name];
    delete kept[key];
  }

  /* How many instances a repeat has (surveys/repeats.py instance_count). */
  function instanceCount(block, values) {
    const text = block[3] ? calculate(block[3], values) : own(values, block[1]) ? values[block[1]] : "1";
    const trimmed = typeof text === "string" ? text.trim() : "";
    const n = NUMBER.test(trimmed) ? bounded(Number(trimmed)) : null;
    if (n === null) return 0;
    return Math.trunc(Math.max(0, Math.min(n, MAX_REPEATS)));
  }

  function walkRepeat(block, context, path, found) {
    const [, name, trees, , inner] = block;
    const countKey = keyOf(name, path);
    const relevant = trees.every((tree) => evaluate(tree, context));
    const sent = Object.assign({}, context);
    sent[name] = own(found.kept, countKey) ? found.kept[countKey] : "1";
    const count = relevant ? instanceCount(block, sent) : 0;
    dropBeyond(block, path, count, found.kept);
    found.kept[countKey] = context[name] = String(count);
    if (relevant) found.asked.add(countKey);
    for (let index = 1; index <= count; index++) {
      const at = path.concat([index]);
      const instance = instanceContext(inner.map((b) => b[1]), at, found.kept, context);
      found.contexts[keyOf("", at)] = instance;
      walkBlocks(inner, instance, at, found);
    }
    let all = "";
    for (let i = 1; i <= count; i++) all += NODE + i;
    context["*" + name] = all;
    for (const b of inner) {
      if (b[0] !== "q") continue;
      const answers = [];
      for (let i = 1; i <= count; i++) {
        const key = keyOf(b[1], path.concat([i]));
        answers.push(own(found.kept, key) ? found.kept[key] : "");
      }
      context["*" + b[1]] = answers.map((a) => NODE + a).join("");
      if (answers.length && answers[0] !== "") context[b[1]] = answers[0];
      else delete context[b[1]];
    }
  }

  /* Every name inside a repeat block, at any depth. */
  function inside(block, names) {
    for (const b of block[4]) {
      names.add(b[1]);
      if (b[0] === "r") inside(b, names);
    }
    return names;
  }

  function dropBeyond(block, path, count, kept) {
    const names = inside(block, new Set());
    const depth = path.length;
    for (const key of Object.keys(kept)) {
      const parts = key.split("#");
      if (parts.length <= depth + 1 || !names.has(parts[0])) continue;
      const numbers = parts.slice(1);
      if (!numbers.every((n) => /^\d{1,3}$/.test(n))) continue;
      if (path.every((p, i) => Number(numbers[i]) === p) && Number(numbers[depth]) > count) delete kept[key];
    }
  }

  /* What a rule in the instance at ``path`` reads (surveys/repeats.py instance_context): the
   * enclosing context, the instance's own answers under their plain names, its number under "#". */
  function instanceContext(names, path, kept, outer) {
    const context = Object.assign({}, outer, { "#": String(path[path.length - 1]) });
    for (const n of names) {
      const key = keyOf(n, path);
      if (own(kept, key)) context[n] = kept[key];
      else delete context[n];
    }
    return context;
  }

  /* A date (or a date with a time) as ODK counts it: days since 1970-01-01. */
  function dateDays(s) {
    const m = ISO_DATE.exec(s) || ISO_DATETIME.exec(s);
    if (!m) return null;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(0);
    day.setUTCFullYear(y, mo - 1, d);
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null;
    let days = Math.round(day.getTime() / 86400000);
    if (m[4] !== undefined) days += (Number(m[4]) * 60 + Number(m[5])) / 1440;
    return days;
  }

  function pad(n, width) {
    return String(n).padStart(width, "0");
  }

  function localDay(now) {
    return pad(now.getFullYear(), 4) + "-" + pad(now.getMonth() + 1, 2) + "-" + pad(now.getDate(), 2);
  }

  function nodesOf(args) {
    const found = [];
    for (const arg of args) {
      if (Array.isArray(arg)) found.push(...arg);
      else found.push(typeof arg === "string" ? arg : String(arg));
    }
    return found;
  }

  function asDate(v) {
    if (typeof v === "string" && ISO_DATE.test(v.trim())) return dateDays(v.trim()) !== null ? v.trim() : "";
    const days = number(v);
    if (days === null || days < -719162 || days > 2932896) return "";
    const day = new Date(Math.floor(days) * 86400000);
    return pad(day.getUTCFullYear(), 4) + "-" + pad(day.getUTCMonth() + 1, 2) + "-" + pad(day.getUTCDate(), 2);
  }

  /* surveys/xpath_functions.py call(). */
  function more(name, args) {
    if (name === "today") return localDay(new Date());
    if (name === "now") {
      const now = new Date();
      return localDay(now) + "T" + pad(now.getHours(), 2) + ":" + pad(now.getMinutes(), 2);
    }
    if (name === "contains" || name === "starts-with" || name === "ends-with") {
      const whole = text(args[0]);
      const part = text(args[1]);
      const found = name === "contains" ? whole.includes(part) : name === "starts-with" ? whole.startsWith(part) : whole.endsWith(part);
      return found ? 1 : 0;
    }
    if (name === "substr") {
      const chars = Array.from(text(args[0]));
      const bounds = args.slice(1).map(number);
      if (bounds.some((b) => b === null)) return "";
      const start = Math.max(0, Math.trunc(bounds[0]));
      const end = bounds.length > 1 ? Math.trunc(bounds[1]) : chars.length;
      return chars.slice(start, Math.max(start, end)).join("");
    }
    if (name === "substring-before" || name === "substring-after") {
      const whole = text(args[0]);
      const part = text(args[1]);
      const at = whole.indexOf(part);
      if (at < 0) return "";
      return name === "substring-before" ? whole.slice(0, at) : whole.slice(at + part.length);
    }
    if (name === "normalize-space") return text(args[0]).split(/\s+/).filter((w) => w !== "").join(" ");
    if (name === "floor" || name === "ceiling" || name === "abs") {
      const n = number(args[0]);
      if (n === null) return NaN;
      return name === "abs" ? Math.abs(n) : name === "floor" ? Math.floor(n) : Math.ceil(n);
    }
    if (name === "pow") {
      const base = number(args[0]);
      const power = number(args[1]);
      if (base === null || power === null || Math.abs(power) > 1000) return NaN;
      return Math.pow(base, power);
    }
    if (name === "max" || name === "min") {
      const numbers = nodesOf(args).filter((v) => v.trim() !== "").map(number);
      if (!numbers.length || numbers.some((n) => n === null)) return NaN;
      return name === "max" ? Math.max(...numbers) : Math.min(...numbers);
    }
    if (name === "boolean") return truth(args[0]) ? 1 : 0;
    if (name === "boolean-from-string") return ["true", "1"].includes(text(args[0]).trim()) ? 1 : 0;
    if (name === "count-non-empty") return nodesOf(args).filter((v) => v !== "").length;
    if (name === "join") return nodesOf(args.slice(1)).join(text(args[0]));
    if (name === "decimal-date-time") {
      if (typeof args[0] === "number") return args[0];
      const days = dateDays(text(args[0]));
      return days === null ? NaN : days;
    }
    const day = asDate(args[0]);
    if (name === "date") return day;
    if (!day) return "";
    const [y, m, d] = [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];
    const parts = { Y: pad(y, 4), y: pad(y % 100, 2), m: pad(m, 2), n: String(m), d: pad(d, 2), e: String(d), b: MONTH_NAMES[m - 1] };
    return text(args[1]).replace(/%([YymndeEb])/g, (all, k) => (Object.prototype.hasOwnProperty.call(parts, k) ? parts[k] : all));
  }

  function own(values, key) {
    return Object.prototype.hasOwnProperty.call(values, key);
  }

  function nodes(values, name) {
    if (!own(values, "*" + name)) return [own(values, name) ? values[name] : ""];
    return values["*" + name].split(NODE).slice(1);
  }

  function sum(items) {
    let total = 0;
    for (const item of items) {
      if (item.trim() === "") continue;
      const n = number(item);
      if (n === null) return NaN;
      total += n;
    }
    return total;
  }

  function asNumber(v) {
    const n = number(v);
    return n === null ? NaN : n;
  }

  function words(s) {
    return s.split(/\s+/).filter((w) => w !== "");
  }

  function truth(v) {
    if (Array.isArray(v)) return v.length > 0;
    return typeof v === "number" ? v !== 0 && !Number.isNaN(v) : v !== "";
  }

  function number(v) {
    if (Array.isArray(v)) return number(v.length ? v[0] : "");
    if (typeof v === "number") return bounded(v);
    if (typeof v !== "string") return null;
    const s = v.trim();
    if (NUMBER.test(s)) return bounded(Number(s));
    return /^\d/.test(s) ? dateDays(s) : null;
  }

  function bounded(n) {
    if (!Number.isFinite(n)) return null;
    const size = Math.abs(n);
    return n === 0 || (size < LARGEST && size >= SMALLEST) ? n : null;
  }

  function numeric(tree) {
    return NUMERIC.has(tree[0]) || (tree[0] === "call" && NUMERIC_CALLS.has(tree[1]));
  }

  /* A number as text: rounded to 15 significant digits, never with an exponent, as the server
   * writes its decimals (binary doubles and decimals then agree). */
  function text(v) {
    if (typeof v === "number") {
      if (bounded(v) === null) return "";
      const rounded = Number(v.toPrecision(SIGNIFICANT));
      if (rounded === 0) return "0";
      return plain(rounded);
    }
    if (Array.isArray(v)) return v.length ? v[0] : "";
    return typeof v === "string" ? v : "";
  }

  function plain(n) {
    const s = String(n);
    if (!/e/i.test(s)) return s;
    const [mantissa, exponentText] = s.toLowerCase().split("e");
    const exponent = Number(exponentText);
    const negative = mantissa.startsWith("-");
    const digits = mantissa.replace("-", "").replace(".", "");
    const point = mantissa.replace("-", "").indexOf(".");
    const whole = (point === -1 ? mantissa.replace("-", "").length : point) + exponent;
    let out;
    if (whole <= 0) out = "0." + "0".repeat(-whole) + digits;
    else if (whole >= digits.length) out = digits + "0".repeat(whole - digits.length);
    else out = digits.slice(0, whole) + "." + digits.slice(whole);
    return (negative ? "-" : "") + out;
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

  return { evaluate, calculate, walk, keyOf, MAX_REPEATS, MAX_INSTANCES };
})();

if (typeof module === "object" && module.exports) module.exports = glasLogic;

/* Codenames as people type them (crypto/codename.py): 5 groups of 6 digits, the last digit of
 * each a Damm check digit (over "2" and the group for version 2, over the group alone for
 * version 1); or seven words in the first format (version 0). Checking needs no libsodium, so
 * the replies page checks here, before anything is derived or sent; the worker and
 * glas-envelope.js use the same functions.
 */
"use strict";

const glasCodename = (function () {
  const MAX_CODENAME_CHARACTERS = 200;
  const GROUPS = 5;
  const GROUP_DIGITS = 6;
  const CURRENT_VERSION = 2;
  /* Newest first: the order in which a codename's versions are derived. */
  const VERSION_DIGIT = { 2: "2", 1: "" };
  const DIGIT_VERSIONS = [2, 1];
  const DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
  ];
  /* The separators crypto/codename.py removes: white space, dashes, dots, middle dot, _ and /. */
  const SEPARATORS = /[\s\u0085\u001c-\u001f\-\u2010-\u2014.\u00b7_/]+/g;

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  }

  function damm(digits) {
    let interim = 0;
    for (const digit of digits) interim = DAMM[interim][digit.charCodeAt(0) - 48];
    return interim;
  }

  /* {canonical, versions} when fine (versions newest first), else {empty} | {length: n} |
   * {typoGroups: [1-based numbers]} (of the version it is closest to). */
  function check(codename) {
    const text = String(codename).slice(0, MAX_CODENAME_CHARACTERS);
    const digits = text.replace(SEPARATORS, "");
    if (!digits) return { empty: true };
    if (!/^[0-9]+$/.test(digits)) return { canonical: words(text), versions: [0] };
    if (digits.length !== GROUPS * GROUP_DIGITS) return { length: digits.length };
    const typos = {};
    for (const version of DIGIT_VERSIONS) {
      typos[version] = [];
      for (let g = 0; g < GROUPS; g++) {
        const group = digits.slice(g * GROUP_DIGITS, (g + 1) * GROUP_DIGITS);
        if (damm(VERSION_DIGIT[version] + group) !== 0) typos[version].push(g + 1);
      }
    }
    const versions = DIGIT_VERSIONS.filter((version) => typos[version].length === 0);
    if (versions.length) return { canonical: digits, versions };
    const closest = DIGIT_VERSIONS.reduce((best, v) => (typos[v].length < typos[best].length ? v : best));
    return { typoGroups: typos[closest] };
  }

  /* What the keys are derived from (a codename that fails the check derives no real box). */
  function normalize(codename) {
    const checked = check(codename);
    return checked.canonical || words(String(codename).slice(0, MAX_CODENAME_CHARACTERS));
  }

  return { GROUPS, GROUP_DIGITS, CURRENT_VERSION, VERSION_DIGIT, damm, check, normalize };
})();

if (typeof module === "object" && module.exports) module.exports = glasCodename;

/* bench/codename.py: a version-2 codename's derivation in Node without JIT or WebAssembly
 * (`node --jitless`). The browser bundle (portal/static/js/vendor/sodium-sumo.js) runs in a
 * window-like sandbox, where it takes the pure-JavaScript fallback a browser without
 * WebAssembly takes (the npm package's Node loader has no such fallback). */
"use strict";
const vm = require("vm");
const fs = require("fs");
const source = fs.readFileSync(process.argv[2], "utf8");
const sandbox = { console, TextEncoder, TextDecoder, setTimeout, clearTimeout, performance };
sandbox.self = sandbox;
sandbox.window = sandbox;
sandbox.crypto = { getRandomValues: (a) => require("crypto").getRandomValues(a) };
vm.createContext(sandbox);
vm.runInContext(source, sandbox);
sandbox.sodium.ready.then(() => {
  const sodium = sandbox.sodium;
  const salt = sodium.crypto_generichash(16, "glas-codename-2", null);
  const t = performance.now();
  sodium.crypto_pwhash(32, "483099117382902652300443776231", salt, 2, 512 * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13);
  console.log(JSON.stringify({ v2_ms: Math.round(performance.now() - t), wasm: typeof sandbox.WebAssembly === "object" }));
  // The bundle leaves an emscripten error behind once done; the figure is printed, so leave.
  process.exit(0);
});

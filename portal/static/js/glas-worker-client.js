/* The page's side of glas-worker.js: start it, load libsodium into it, ask one thing at a time.
 * Used by the survey form (glas-form.js) and the replies page (glas-replies.js).
 *
 *   const worker = glasWorker(element);   // element carries data-worker, data-sodium, data-envelope
 *   worker.ready.then((info) => ...);     // {wasm}; rejects when the browser cannot do it
 *   const reply = await worker.ask({op: "...", ...}, transfer);
 */
"use strict";

function glasWorker(element) {
  const worker = new Worker(element.dataset.worker);
  let waiting = null;

  function ask(message, transfer) {
    return new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      worker.postMessage(message, transfer || []);
    });
  }

  worker.onmessage = (event) => {
    const settle = waiting;
    waiting = null;
    if (!settle) return;
    if (event.data.op === "error") settle.reject(new Error(event.data.message));
    else settle.resolve(event.data);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    if (waiting) waiting.reject(new Error("the encryption worker failed"));
    waiting = null;
  };

  const absolute = (path) => new URL(path, document.baseURI).href;
  const ready = ask({ op: "init", sodium: absolute(element.dataset.sodium), envelope: absolute(element.dataset.envelope) });
  ready.catch(() => worker.terminate());
  return { ask, ready };
}

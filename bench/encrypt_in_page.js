/* bench/browser_encrypt.py runs this in the survey page: the page's own worker encrypts an
 * `mb`-megabyte file in upload-sized pieces (dropped, not sent) and the time is returned. */
(async (mb) => {
  const form = document.querySelector("form[data-client]");
  const worker = new Worker(form.dataset.worker);
  let waiting = null;
  const ask = (m) => new Promise((ok, fail) => { waiting = {ok, fail}; worker.postMessage(m); });
  worker.onmessage = (e) => e.data.op === "error" ? waiting.fail(new Error(e.data.message)) : waiting.ok(e.data);
  const url = (path) => new URL(path, document.baseURI).href;
  const t0 = performance.now();
  const ready = await ask({op: "init", sodium: url(form.dataset.sodium), envelope: url(form.dataset.envelope)});
  const startup = performance.now() - t0;
  const client = await (await fetch(form.dataset.client)).json();
  const piece = new Uint8Array(1 << 20);
  for (let i = 0; i < piece.length; i += 65536) crypto.getRandomValues(piece.subarray(i, i + 65536));
  const file = new File(Array(mb).fill(piece), "bench.bin");
  const binding = {survey: client.survey, version: client.version, submissionId: "0".repeat(32)};
  await ask({op: "begin", binding, recipients: client.recipients});
  await ask({op: "file", index: 0, file, chunkSize: 4 << 20});
  const t1 = performance.now();
  let bytes = 0;
  for (;;) { const c = await ask({op: "next"}); bytes += c.data.length; if (c.last) break; }
  worker.terminate();
  return {seconds: (performance.now() - t1) / 1000, startup_ms: startup, wasm: ready.wasm, ciphertext: bytes};
})

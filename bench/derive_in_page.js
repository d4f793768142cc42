/* bench/codename.py runs this in a testimony page: the page's own worker derives a version-2
 * codename's keys (and, with `old`, a version-1 one's), as the page does before Send. */
(async (old) => {
  const form = document.querySelector("form[data-client]");
  const worker = new Worker(form.dataset.worker);
  let waiting = null;
  const ask = (m) => new Promise((ok, fail) => { waiting = {ok, fail}; worker.postMessage(m); });
  worker.onmessage = (e) => e.data.op === "error" ? waiting.fail(new Error(e.data.message)) : waiting.ok(e.data);
  const url = (path) => new URL(path, document.baseURI).href;
  await ask({op: "init", sodium: url(form.dataset.sodium), envelope: url(form.dataset.envelope)});
  const t0 = performance.now();
  await ask({op: "codename", codename: "483099 117382 902652 300443 776231"});
  const v2 = performance.now() - t0;
  let v1 = null;
  if (old) {
    const t1 = performance.now();
    await ask({op: "codename", codename: "483090 117381 902655 300440 776236"});
    v1 = performance.now() - t1;
  }
  worker.terminate();
  return {v2_ms: Math.round(v2), v1_ms: v1 === null ? null : Math.round(v1)};
})

/* bench/pow.py runs this in the survey page: the page's own worker solves `rounds` upload
 * challenges from the server, as glas-form.js does before asking for an upload slot, and each
 * solution is handed in for a real slot. Returns the seconds each solution took. */
(async (rounds) => {
  const form = document.querySelector("form[data-client]");
  const worker = new Worker(form.dataset.worker);
  let waiting = null;
  const ask = (m) => new Promise((ok, fail) => { waiting = {ok, fail}; worker.postMessage(m); });
  worker.onmessage = (e) => e.data.op === "error" ? waiting.fail(new Error(e.data.message)) : waiting.ok(e.data);
  const url = (path) => new URL(path, document.baseURI).href;
  const ready = await ask({op: "init", sodium: url(form.dataset.sodium), envelope: url(form.dataset.envelope)});
  const headers = {"Content-Type": "application/json", "X-CSRFToken": form.querySelector("[name=csrf_token]").value};
  const post = async (path, body) => (await fetch(path, {method: "POST", headers, body: JSON.stringify(body)}));
  const seconds = [];
  let accepted = 0;
  let bits = 0;
  for (let i = 0; i < rounds; i++) {
    const puzzle = await (await post(form.dataset.challenge, {})).json();
    bits = puzzle.bits;
    const t0 = performance.now();
    const { proof } = await ask({op: "work", challenge: puzzle.challenge, bits});
    seconds.push((performance.now() - t0) / 1000);
    const created = await post(form.dataset.uploads, {challenge: puzzle.challenge, proof, bytes: 1});
    accepted += created.status === 201 ? 1 : 0;
  }
  worker.terminate();
  return {seconds, accepted, bits, wasm: ready.wasm};
})

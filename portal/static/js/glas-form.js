/* Progressive enhancement of a survey form: encrypt in the browser before anything is sent.
 *
 * Without this script (or before its worker is ready) the form posts normally and the server
 * seals the answers on arrival; the page says so. Once the worker has loaded libsodium, the page
 * says the answers are locked in the browser, and on Send it:
 *   1. checks the answers with the same rules as surveys/answers.py (messages come translated
 *      from the server in data-messages),
 *   2. asks the server for an upload (which names the submission id the ciphertext is bound to),
 *   3. encrypts each attachment in the worker as it reads it and uploads ciphertext chunks,
 *      retrying a chunk when a Tor circuit drops (the server stores each chunk once),
 *   4. seals the answers document built exactly like the server's, and posts only ciphertext:
 *      every visible field is disabled first, so no plaintext leaves the page.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-client]");
  if (!form) return;

  const MAX_ATTEMPTS = 10;
  const MAX_BACKOFF_MS = 30000;
  const ENVELOPE_FIELD = "glas_envelope";
  /* What Python's str.isspace() calls white space (JavaScript's \s differs a little). */
  const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  const EDGE_SPACE = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");
  const SPACE_RUN = new RegExp("[" + SPACE + "]+", "g");
  const INTEGER = /^[+-]?\d{1,18}$/;
  const DECIMAL = /^[+-]?\d{1,15}(?:[.,]\d{1,10})?$/;
  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
  const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
  const DATETIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d$/;
  const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]/;
  const MAX_FILENAME = 255;
  const SINGLE_CHOICE = new Set(["select_one", "scale", "yes_no"]);

  showAllPages();
  if (typeof glasLogic === "object") {
    form.addEventListener("input", applyRelevance);
    form.addEventListener("change", applyRelevance);
    applyRelevance();
  }
  if (!form.dataset.sodium || !window.Worker || !window.fetch || !window.TextEncoder) return;
  if (typeof glasWorker !== "function") return;

  const progress = form.querySelector(".progress");
  const bar = progress.querySelector("progress");
  const status = progress.querySelector(".status");
  const button = form.querySelector("button[value=send]");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  let worker = null;
  let busy = false;
  let codenameMade = null;

  function start() {
    worker = glasWorker(form);
    worker.ready.then(
      (ready) => {
        form.dataset.sealing = ready.wasm ? "browser" : "browser-slow";
        document.querySelector(".sealing.server").hidden = true;
        document.querySelector(".sealing.browser").hidden = false;
        // A testimony's codename costs one Argon2id derivation: about 0.1 s with WebAssembly,
        // half a minute without (Tor Browser "Safer"). It is made now, in the worker, while the
        // respondent writes; Send waits for it only if she is quicker.
        if (form.dataset.codename) {
          codenameMade = ask({ op: "newCodename" });
          codenameMade.catch(() => {});
        }
        form.addEventListener("submit", onSubmit);
      },
      () => {}, // the page stays as it was: the server seals on arrival
    );
  }

  const ask = (message, transfer) => worker.ask(message, transfer);

  async function onSubmit(event) {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    clearMessages();
    try {
      const client = await request("GET", form.dataset.client);
      const collected = collect(client.questions);
      if (Object.keys(collected.errors).length) {
        showErrors(collected.errors);
        return;
      }
      show(progress.dataset.locking, 0);
      // The worker answers one request at a time: the codename first, if it is still being made.
      const made = codenameMade ? await codenameMade : null;
      // Announce the ciphertext bytes to come (the server reserves just that much room) and pay
      // for the upload slot with a small proof of work, solved in the worker.
      const { bytes } = await ask({ op: "size", sizes: collected.files.map((f) => f.file.size) });
      const { challenge, bits } = await request("POST", form.dataset.challenge, {});
      const { proof } = await ask({ op: "work", challenge, bits });
      const upload = await request("POST", form.dataset.uploads, { bytes, challenge, proof });
      const binding = { survey: client.survey, version: client.version, submissionId: upload.submission_id };
      const { slots } = await ask({ op: "begin", binding, recipients: client.recipients });
      await sendFiles(upload, collected.files);
      const document = {
        format: "glas-answers-1",
        survey: client.survey,
        version: client.version,
        answers: collected.answers,
        files: collected.files.map((f) => ({
          question: f.question, part: f.part, name: f.name, type: f.type, size: f.file.size,
        })),
      };
      let codename = null;
      if (made) {
        // A testimony's codename is made here and never sent: the sealed answers carry only its
        // public key and login id, for the reviewer's reply.
        codename = made.codename;
        document.reply_key = made.publicKey;
        document.reply_login = made.loginId;
      }
      const { answers } = await ask({ op: "answers", document });
      if (codename) keepCodename(codename);
      post({ upload: upload.upload, slots, answers });
    } catch (error) {
      // 404/409: a new survey version or other reviewer keys since the page was loaded.
      // 503: the portal is full (or under attack); say what still works.
      const changed = error.status === 404 || error.status === 409;
      const busy = error.status === 503;
      show(changed ? progress.dataset.changed : busy ? progress.dataset.busy : progress.dataset.failed, null);
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  async function sendFiles(upload, files) {
    const total = files.reduce((n, f) => n + f.file.size, 0) || 1;
    let done = 0;
    for (const entry of files) {
      const part = "file-" + entry.part;
      await ask({ op: "file", index: entry.part, file: entry.file, chunkSize: upload.chunk_size });
      let count = 0;
      for (;;) {
        show(progress.dataset.sending, done / total);
        const chunk = await ask({ op: "next" });
        await request("PUT", upload.url + "/" + part + "/" + count, chunk.data);
        count += 1;
        done += chunk.plaintextBytes;
        if (chunk.last) break;
      }
      await request("POST", upload.url + "/" + part + "/finish", { chunks: count });
    }
    show(progress.dataset.sending, 1);
  }

  /* Until she confirms she wrote it down, the thanks page shows the codename from this tab's
   * session storage (Tor Browser keeps it in memory only; it goes when the tab is closed). */
  function keepCodename(codename) {
    try {
      sessionStorage.setItem("glas-codename", JSON.stringify({ survey: form.dataset.codename, codename }));
    } catch (error) {
      // storage refused: the thanks page will say the codename could not be kept
    }
  }

  /* The final post carries the CSRF token and the envelope; every other field is disabled. */
  function post(envelope) {
    let field = form.querySelector("input[name=" + ENVELOPE_FIELD + "]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = ENVELOPE_FIELD;
      form.appendChild(field);
    }
    field.value = JSON.stringify(envelope);
    for (const element of Array.from(form.elements)) {
      if (element !== field && element.name !== "csrf_token") element.disabled = true;
    }
    form.submit();
  }

  /* fetch with retries: a dropped Tor circuit is a network error; the server's answers to
   * repeated requests are the same (chunks are stored once, finish is idempotent). */
  async function request(method, url, body) {
    const headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    let payload = body;
    if (body && !(body instanceof Uint8Array)) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    } else if (body) {
      headers["Content-Type"] = "application/octet-stream";
    }
    for (let attempt = 1; ; attempt++) {
      let response = null;
      try {
        response = await fetch(url, { method, headers, body: payload, credentials: "same-origin", cache: "no-store" });
      } catch (networkError) {
        response = null;
      }
      if (response && response.ok) return response.json();
      const retry = !response || response.status >= 500 || response.status === 408 || response.status === 429;
      if (!retry || attempt >= MAX_ATTEMPTS) {
        const failure = new Error("request failed: " + (response ? response.status : "network"));
        failure.status = response ? response.status : 0;
        throw failure;
      }
      show(response && response.status === 503 ? progress.dataset.waiting : progress.dataset.retrying, null);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS)));
    }
  }

  /* With the script, a paged survey is one page: skip logic hides questions as answers change
   * (the server's Next and Back apply the same rules without it). */
  function showAllPages() {
    for (const page of form.querySelectorAll(".page[hidden]")) page.hidden = false;
    const nav = form.querySelector(".pages");
    if (nav) nav.hidden = true;
    const send = form.querySelector("button[value=send]");
    if (send) send.hidden = false;
  }

  /* Every answer on the page as the expressions see it (surveys/logic.py form_values). */
  function formValues() {
    const values = {};
    for (const element of form.querySelectorAll("input[name], textarea[name], select[name]")) {
      if (element.type === "hidden" || element.name === "website") continue;
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) continue;
      const parts = element.type === "file" ? Array.from(element.files).map(fileName) : [element.value];
      for (const part of parts) {
        const trimmed = part.replace(EDGE_SPACE, "");
        if (trimmed === "") continue;
        values[element.name] = values[element.name] ? values[element.name] + " " + trimmed : trimmed;
      }
    }
    return values;
  }

  function holds(trees, values) {
    return trees.every((tree) => glasLogic.evaluate(tree, values));
  }

  function applyRelevance() {
    const values = formValues();
    const calculations = JSON.parse(form.dataset.calculations || "[]");
    // Twice when there are calculations: questions read them, and they read questions.
    for (let round = 0; round < (calculations.length ? 2 : 1); round++) {
      for (const element of form.querySelectorAll("[data-relevant]")) {
        const asked = holds(JSON.parse(element.dataset.relevant), values);
        element.hidden = !asked;
        if (!asked && element.dataset.question) delete values[element.dataset.question];
      }
      for (const [name, relevant, tree] of calculations) {
        const result = holds(relevant, values) ? glasLogic.calculate(tree, values) : "";
        if (result !== "") values[name] = result;
        else delete values[name];
      }
    }
    applyChoiceFilters(values);
  }

  /* Cascading selects: offer only the choices whose choice_filter holds for the answers so far
   * (the server does the same from the earlier pages without the script). */
  function applyChoiceFilters(values) {
    for (const fieldset of form.querySelectorAll("[data-choice-filter]")) {
      const tree = JSON.parse(fieldset.dataset.choiceFilter);
      for (const input of fieldset.querySelectorAll("input[data-columns]")) {
        const offered = glasLogic.evaluate(tree, Object.assign({}, values, JSON.parse(input.dataset.columns)));
        input.closest("label").hidden = !offered;
        if (!offered && input.checked) input.checked = false;
      }
    }
  }

  function offeredAll(q, value, raw) {
    const chosen = Array.isArray(value) ? value : [value];
    return chosen.every((name) => q.columns[name] && glasLogic.evaluate(q.choice_filter, Object.assign({}, raw, q.columns[name])));
  }

  /* The answers and files as surveys/answers.py (validate_answers) reads the same form. */
  function collect(questions) {
    const answers = {};
    const errors = {};
    const files = [];
    const raw = formValues();
    for (const q of questions) {
      if (!holds(q.relevant, raw)) {
        delete raw[q.name];
        continue;
      }
      if (q.type === "calculate") {
        // The very walk of surveys/logic.py: computed from the answers before it.
        const result = glasLogic.calculate(q.calculation, raw);
        if (result !== "") {
          raw[q.name] = result;
          answers[q.name] = result;
        } else delete raw[q.name];
        continue;
      }
      if (q.type === "file") {
        const input = form.querySelector("input[type=file][name='" + q.name + "']");
        const chosen = input ? Array.from(input.files) : [];
        const problem = checkFiles(q, chosen);
        if (problem) errors[q.name] = problem;
        else for (const file of chosen) files.push(fileEntry(q, file, files.length));
        continue;
      }
      const values = rawValues(q.name).filter((v) => v.replace(EDGE_SPACE, "") !== "");
      if (!values.length) {
        if (q.required) errors[q.name] = "required";
        continue;
      }
      const result = convert(q, values);
      if (!result.error && q.choice_filter && !offeredAll(q, result.value, raw)) result.error = "offered";
      if (result.error) errors[q.name] = result.error;
      else if (q.constraint && !glasLogic.evaluate(q.constraint, raw, raw[q.name] || "")) errors[q.name] = "constraint";
      else answers[q.name] = result.value;
    }
    return { answers, errors, files };
  }

  function rawValues(name) {
    const values = [];
    for (const element of form.querySelectorAll("[name='" + name + "']")) {
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) continue;
      values.push(element.value);
    }
    return values;
  }

  function convert(q, values) {
    if (q.type === "select_multiple") {
      const chosen = new Set(values);
      const known = q.choices.filter((c) => chosen.has(c));
      const unknown = Array.from(chosen).filter((c) => !q.choices.includes(c)).sort();
      return unknown.length ? { error: "characters" } : { value: known };
    }
    if (q.type === "month" && values.length === 2) values = [values.map((v) => v.replace(EDGE_SPACE, "")).join("-")];
    if (values.length > 1) return { error: "required" };
    const raw = values[0];
    if (q.type === "text" || q.type === "textarea") {
      let text = raw.replace(/\r\n/g, "\n").replace(/\r/g, "\n").replace(EDGE_SPACE, "");
      if (q.type === "text") text = text.split(SPACE_RUN).join(" ");
      const length = Array.from(text).length;
      if (FORBIDDEN.test(text)) return { error: "characters" };
      if (q.min_length !== null && length < q.min_length) return { error: "min_length" };
      if (length > q.max_length) return { error: "max_length" };
      return { value: text };
    }
    const value = raw.replace(EDGE_SPACE, "");
    if (q.type === "integer") {
      if (!INTEGER.test(value)) return { error: "integer" };
      const big = BigInt(value.replace(/^\+/, ""));
      const number = Number(big);
      return rangeError(q, number) || { value: Number.isSafeInteger(number) ? number : big };
    }
    if (FORBIDDEN.test(value)) return { error: "characters" };
    if (q.type === "decimal") {
      if (!DECIMAL.test(value)) return { error: "decimal" };
      const text = value.replace(/,/g, ".").replace(/^\++/, "");
      return rangeError(q, Number(text)) || { value: text };
    }
    if (q.type === "date") {
      const day = new Date(value + "T00:00:00Z");
      if (!DATE.test(value) || isNaN(day) || day.toISOString().slice(0, 10) !== value) return { error: "date" };
      if (q.minimum !== null && value < q.minimum) return { error: "minimum" };
      if (q.maximum !== null && value > q.maximum) return { error: "maximum" };
      return { value };
    }
    if (q.type === "time") {
      const text = value.length === 8 && value[5] === ":" ? value.slice(0, 5) : value;
      return TIME.test(text) ? { value: text } : { error: "time" };
    }
    if (q.type === "datetime") {
      const text = value.length === 16 || value.length === 19 ? value.replace(" ", "T").slice(0, 16) : value;
      const parts = DATETIME.exec(text);
      const day = parts && new Date(parts[1] + "T00:00:00Z");
      if (!parts || isNaN(day) || day.toISOString().slice(0, 10) !== parts[1]) return { error: "datetime" };
      return { value: text };
    }
    if (q.type === "month") {
      // The two selects (year, then month) share the name; only the month is ever kept.
      if (!MONTH.test(value)) return { error: "month" };
      if (q.minimum !== null && value < q.minimum) return { error: "minimum" };
      if (q.maximum !== null && value > q.maximum) return { error: "maximum" };
      return { value };
    }
    if (SINGLE_CHOICE.has(q.type)) return q.choices.includes(value) ? { value } : { error: "required" };
    return { error: "characters" };
  }

  function rangeError(q, number) {
    if (q.minimum !== null && number < Number(q.minimum)) return { error: "minimum" };
    if (q.maximum !== null && number > Number(q.maximum)) return { error: "maximum" };
    return null;
  }

  function checkFiles(q, chosen) {
    if (!chosen.length) return q.required ? "required" : null;
    if (chosen.length > q.max_files) return "max_files";
    if (q.accept.length && !chosen.every((file) => accepted(q.accept, file))) return "accept";
    return null;
  }

  function accepted(patterns, file) {
    const kind = (file.type || "application/octet-stream").toLowerCase();
    const name = fileName(file).toLowerCase();
    return patterns.some((pattern) => {
      const p = pattern.toLowerCase();
      return (p.startsWith(".") && name.endsWith(p)) || (p.endsWith("/*") && kind.startsWith(p.slice(0, -1))) || p === kind;
    });
  }

  function fileName(file) {
    return Array.from(file.name || "attachment").slice(0, MAX_FILENAME).join("");
  }

  function fileEntry(q, file, part) {
    return { question: q.name, part, name: fileName(file), type: file.type || "application/octet-stream", file };
  }

  function showErrors(errors) {
    let first = null;
    for (const [name, key] of Object.entries(errors)) {
      const wrapper = form.querySelector("[data-question='" + name + "']");
      if (!wrapper) continue;
      const messages = JSON.parse(wrapper.dataset.messages || "{}");
      const message = document.createElement("p");
      message.className = "message";
      message.dataset.fromScript = "";
      message.textContent = messages[key] || messages.required;
      const heading = wrapper.querySelector("legend, label");
      heading.insertAdjacentElement("afterend", message);
      wrapper.classList.add("invalid");
      first = first || wrapper;
    }
    show(progress.dataset.invalid, null);
    if (first) {
      const control = first.querySelector("input, textarea");
      if (control) control.focus();
    }
  }

  function clearMessages() {
    for (const message of form.querySelectorAll("[data-from-script]")) message.remove();
    for (const wrapper of form.querySelectorAll(".question.invalid")) wrapper.classList.remove("invalid");
  }

  function show(text, fraction) {
    progress.hidden = false;
    status.textContent = text;
    if (fraction === null) return;
    bar.value = Math.round(fraction * 100);
  }

  start();
})();

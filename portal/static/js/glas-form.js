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

  const walkBlocks = JSON.parse(form.dataset.walk || "[]");
  /* Each repeat's question names (calculations too), for an instance's context. */
  const repeatNames = {};
  for (const block of walkBlocks) if (block[0] === "r") repeatNames[block[1]] = block[4].map((q) => q[1]);

  showAllPages();
  if (typeof glasLogic === "object") {
    form.addEventListener("click", onRepeatButton);
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
      const collected = collect(client);
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

  /* Every answer on the page as the expressions see it (surveys/logic.py form_values), and
   * each repeat's number of instances under its name (as its hidden field posts it). */
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
    for (const section of form.querySelectorAll("[data-repeat]")) {
      values[section.dataset.repeat] = String(instances(section).length);
    }
    return values;
  }

  function holds(trees, values) {
    return trees.every((tree) => glasLogic.evaluate(tree, values));
  }

  /* Show what the skip logic asks, hide the rest: the walk of surveys/logic.py, in the page. */
  function applyRelevance() {
    let { asked, kept } = glasLogic.walk(walkBlocks, formValues());
    // A repeat_count that changed: as many instances as it now says, then the walk again.
    if (fitFixedRepeats(kept)) ({ asked, kept } = glasLogic.walk(walkBlocks, formValues()));
    for (const element of form.querySelectorAll("[data-question]")) {
      element.hidden = !asked.has(element.dataset.question);
    }
    for (const section of form.querySelectorAll("[data-repeat]")) section.hidden = !asked.has(section.dataset.repeat);
    for (const heading of form.querySelectorAll("h2.group[data-relevant]")) {
      heading.hidden = !holds(JSON.parse(heading.dataset.relevant), kept);
    }
    const shown = form.querySelector("input[name=glas_shown]");
    if (shown) shown.value = Array.from(asked).filter((key) => key.includes("#")).sort().join(" ");
    applyChoiceFilters(kept);
  }

  /* Cascading selects: offer only the choices whose choice_filter holds for the answers so far
   * (the server does the same from the earlier pages without the script). */
  function applyChoiceFilters(values) {
    for (const fieldset of form.querySelectorAll("[data-choice-filter]")) {
      const tree = JSON.parse(fieldset.dataset.choiceFilter);
      const context = contextOf(fieldset, values);
      for (const input of fieldset.querySelectorAll("input[data-columns]")) {
        const offered = glasLogic.evaluate(tree, Object.assign({}, context, JSON.parse(input.dataset.columns)));
        input.closest("label").hidden = !offered;
        if (!offered && input.checked) input.checked = false;
      }
    }
  }

  /* What a question's rules read where it stands: in a repeat's instance, that instance. */
  function contextOf(element, values) {
    const instance = element.closest("[data-instance]");
    if (!instance) return values;
    const name = instance.closest("[data-repeat]").dataset.repeat;
    return glasLogic.instanceContext(repeatNames[name] || [], Number(instance.dataset.instance), values);
  }

  function instances(section) {
    return Array.from(section.querySelectorAll(":scope > [data-instance]"));
  }

  /* "Add another" and "Remove" in the page (without the script they post and come back). */
  function onRepeatButton(event) {
    const button = event.target.closest("button[name=glas_nav]");
    if (!button) return;
    const [action, name, index] = button.value.split(":");
    if (action !== "add" && action !== "remove") return;
    event.preventDefault();
    const section = form.querySelector("[data-repeat='" + name + "']");
    if (!section) return;
    if (action === "add") {
      const added = addInstance(section);
      applyRelevance();
      const first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    } else {
      removeInstance(section, Number(index));
      applyRelevance();
      const add = section.querySelector(":scope > .add button");
      if (add) add.focus();
    }
  }

  function addInstance(section) {
    const template = section.querySelector(":scope > template");
    const number = instances(section).length + 1;
    if (!template || number > glasLogic.MAX_REPEATS) return null;
    // The server rendered the empty instance with "__N__" for its number (escaped as usual).
    template.insertAdjacentHTML("beforebegin", template.innerHTML.split("__N__").join(String(number)));
    countChanged(section);
    return instances(section)[number - 1];
  }

  /* Remove instance ``index``: the later instances' answers move up, the last one goes. */
  function removeInstance(section, index) {
    const list = instances(section);
    if (!(index >= 1 && index <= list.length)) return;
    for (let i = index - 1; i < list.length - 1; i++) copyAnswers(list[i + 1], list[i]);
    list[list.length - 1].remove();
    countChanged(section);
  }

  function copyAnswers(from, to) {
    const sources = from.querySelectorAll("input, select, textarea");
    const targets = to.querySelectorAll("input, select, textarea");
    targets.forEach((target, i) => {
      const source = sources[i];
      if (!source) return;
      if (target.type === "radio" || target.type === "checkbox") target.checked = source.checked;
      else if (target.type !== "file") target.value = source.value;
    });
  }

  function countChanged(section) {
    const count = instances(section).length;
    section.querySelector(":scope > input[type=hidden]").value = String(count);
    const add = section.querySelector(":scope > .add button");
    if (add) add.disabled = count >= glasLogic.MAX_REPEATS;
  }

  /* Repeats with a repeat_count get as many instances as it gives (empty ones are added with
   * the page's template for them; without one, the count is fixed by the server's page). */
  function fitFixedRepeats(kept) {
    let changed = false;
    for (const section of form.querySelectorAll("[data-repeat][data-fixed]")) {
      const wanted = Number(kept[section.dataset.repeat] || 0);
      let list = instances(section);
      while (list.length > wanted) {
        list[list.length - 1].remove();
        list = instances(section);
        changed = true;
      }
      while (list.length < wanted && addInstance(section)) {
        list = instances(section);
        changed = true;
      }
      if (changed) countChanged(section);
    }
    return changed;
  }

  function offeredAll(q, value, raw) {
    const chosen = Array.isArray(value) ? value : [value];
    return chosen.every((name) => q.columns[name] && glasLogic.evaluate(q.choice_filter, Object.assign({}, raw, q.columns[name])));
  }

  /* The answers and files as surveys/answers.py (validate_answers) reads the same form. */
  function collect(client) {
    const answers = {};
    const errors = {};
    const files = [];
    const { asked, kept: raw } = glasLogic.walk(client.walk, formValues());
    const repeats = [];
    for (const q of client.questions) {
      if (q.repeat) {
        if (!repeats.includes(q.repeat)) repeats.push(q.repeat);
        continue;
      }
      if (!asked.has(q.name)) continue;
      if (q.type === "file") {
        const input = form.querySelector("input[type=file][name='" + q.name + "']");
        const chosen = input ? Array.from(input.files) : [];
        const problem = checkFiles(q, chosen);
        if (problem) errors[q.name] = problem;
        else for (const file of chosen) files.push(fileEntry(q, file, files.length));
        continue;
      }
      check(q, q.name, raw, answers, errors);
    }
    for (const name of repeats) {
      if (!asked.has(name)) continue;
      const inner = client.questions.filter((q) => q.repeat === name);
      const names = repeatNames[name] || [];
      const list = [];
      for (let index = 1; index <= Number(raw[name]); index++) {
        const context = glasLogic.instanceContext(names, index, raw);
        const instance = {};
        for (const q of inner) {
          if (asked.has(q.name + "#" + index)) check(q, q.name + "#" + index, context, instance, errors);
        }
        list.push(instance);
      }
      answers[name] = list;
    }
    return { answers, errors, files };
  }

  /* One question's answer (its field is ``key``: "name#n" in a repeat's instance n), its rules
   * read in ``raw`` (surveys/answers.py _validate_one). */
  function check(q, key, raw, answers, errors) {
    if (q.type === "calculate") {
      if (Object.prototype.hasOwnProperty.call(raw, key)) answers[q.name] = raw[key];
      return;
    }
    const values = rawValues(key).filter((v) => v.replace(EDGE_SPACE, "") !== "");
    if (!values.length) {
      if (q.required) errors[key] = "required";
      return;
    }
    const result = convert(q, values);
    if (!result.error && q.choice_filter && !offeredAll(q, result.value, raw)) result.error = "offered";
    if (result.error) errors[key] = result.error;
    else if (q.constraint && !glasLogic.evaluate(q.constraint, raw, raw[q.name] || "")) errors[key] = "constraint";
    else answers[q.name] = result.value;
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

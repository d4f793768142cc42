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
  let lastWalk = null;

  /* Another language, with the script: the answers wait in this tab's session storage (in
   * memory in Tor Browser) while the page loads in that language, and come back at once. */
  const ANSWERS_KEY = "glas-answers:" + form.getAttribute("action");
  restoreAnswers();
  for (const button of document.querySelectorAll("button[name=glas_lang]")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      saveAnswers();
      location.assign("?lang=" + encodeURIComponent(button.value));
    });
  }

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
      // The steps she waits for: the codename (a testimony), locking (and sending the files),
      // and the final post. Each is named, and the bar or the seconds always move.
      const hasFiles = collected.files.length > 0;
      const total = (codenameMade ? 1 : 0) + 2;
      let number = 0;
      beginWaiting();
      if (codenameMade) step(++number, total, progress.dataset.codename, undefined);
      // The worker answers one request at a time: the codename first, if it is still being made.
      const made = codenameMade ? await codenameMade : null;
      step(++number, total, hasFiles ? progress.dataset.sending : progress.dataset.locking, hasFiles ? 0 : undefined);
      // Announce the ciphertext bytes to come (the server reserves just that much room) and pay
      // for the upload slot with a small proof of work, solved in the worker.
      const { bytes } = await ask({ op: "size", sizes: collected.files.map((f) => f.file.size) });
      const { challenge, bits } = await request("POST", form.dataset.challenge, {});
      const { proof } = await ask({ op: "work", challenge, bits });
      const upload = await request("POST", form.dataset.uploads, { bytes, challenge, proof });
      const binding = { survey: client.survey, version: client.version, submissionId: upload.submission_id };
      const { slots } = await ask({ op: "begin", binding, recipients: client.recipients });
      await sendFiles(upload, collected.files, (fraction) => step(number, total, progress.dataset.sending, fraction));
      const document = {
        format: "glas-answers-1",
        survey: client.survey,
        version: client.version,
        answers: collected.answers,
        files: collected.files.map((f) => ({
          question: f.question, part: f.part, name: f.name, type: f.type, size: f.file.size,
        })),
      };
      // The language her pages are in (the reviewer replies in it); left out when the page has
      // none, as the server leaves it out.
      const language = form.ownerDocument.documentElement.lang;
      if (language) document.language = language;
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
      step(++number, total, progress.dataset.posting, 1);
      post({ upload: upload.upload, slots, answers });
    } catch (error) {
      endWaiting();
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

  async function sendFiles(upload, files, report) {
    const total = files.reduce((n, f) => n + f.file.size, 0) || 1;
    let done = 0;
    for (const entry of files) {
      const part = "file-" + entry.part;
      await ask({ op: "file", index: entry.part, file: entry.file, chunkSize: upload.chunk_size });
      let count = 0;
      for (;;) {
        report(done / total);
        const chunk = await ask({ op: "next" });
        await request("PUT", upload.url + "/" + part + "/" + count, chunk.data);
        count += 1;
        done += chunk.plaintextBytes;
        if (chunk.last) break;
      }
      await request("POST", upload.url + "/" + part + "/finish", { chunks: count });
    }
    if (files.length) report(1);
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

  /* Show what the skip logic asks, hide the rest: the walk of surveys/repeats.py, in the page. */
  function applyRelevance() {
    lastWalk = glasLogic.walk(walkBlocks, formValues());
    // A repeat_count that changed: as many instances as it now says, then the walk again.
    if (fitFixedRepeats(lastWalk.kept)) lastWalk = glasLogic.walk(walkBlocks, formValues());
    const { asked, kept } = lastWalk;
    for (const element of form.querySelectorAll("[data-question]")) {
      element.hidden = !asked.has(element.dataset.question);
    }
    for (const section of form.querySelectorAll("[data-repeat]")) section.hidden = !asked.has(section.dataset.repeat);
    for (const heading of form.querySelectorAll("h2.group[data-relevant]")) {
      heading.hidden = !holds(JSON.parse(heading.dataset.relevant), kept);
    }
    const shown = form.querySelector("input[name=glas_shown]");
    if (shown) shown.value = Array.from(asked).filter((key) => key.includes("#")).sort().join(" ");
    applyChoiceFilters(lastWalk);
  }

  /* Cascading selects: offer only the choices whose choice_filter holds for the answers so far
   * (the server does the same from the earlier pages without the script). */
  function applyChoiceFilters(found) {
    for (const fieldset of form.querySelectorAll("[data-choice-filter]")) {
      const tree = JSON.parse(fieldset.dataset.choiceFilter);
      const context = contextOf(fieldset, found);
      for (const input of fieldset.querySelectorAll("input[data-columns]")) {
        const offered = glasLogic.evaluate(tree, Object.assign({}, context, JSON.parse(input.dataset.columns)));
        input.closest("label").hidden = !offered;
        if (!offered && input.checked) input.checked = false;
      }
    }
  }

  /* What a question's rules read where it stands: in a repeat's instance, that instance's. */
  function contextOf(element, found) {
    const instance = element.closest("[data-instance]");
    if (!instance) return found.kept;
    return found.contexts[instance.dataset.instance] || found.kept;
  }

  function instances(section) {
    return Array.from(section.querySelectorAll(":scope > [data-instance]"));
  }

  /* "Add another" and "Remove" in the page (without the script they post and come back). */
  function onRepeatButton(event) {
    const button = event.target.closest("button[name=glas_nav]");
    if (!button) return;
    const colon = button.value.indexOf(":");
    const action = button.value.slice(0, colon);
    const key = button.value.slice(colon + 1);
    if (action !== "add" && action !== "remove") return;
    event.preventDefault();
    if (action === "add") {
      const section = form.querySelector("[data-repeat='" + key + "']");
      const added = section && addInstance(section);
      applyRelevance();
      const first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    } else {
      const instance = button.closest("[data-instance]");
      const section = instance.parentElement;
      removeInstance(section, instance);
      applyRelevance();
      const add = section.querySelector(":scope > .add button");
      if (add) add.focus();
    }
  }

  function saveAnswers() {
    const saved = { counts: {}, values: [] };
    for (const section of form.querySelectorAll("[data-repeat]")) {
      saved.counts[section.dataset.repeat] = instances(section).length;
    }
    for (const element of form.elements) {
      if (!element.name || element.type === "file" || element.type === "hidden" || element.name === "website") continue;
      if (element.tagName === "BUTTON" || element.type === "submit") continue;
      if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked) saved.values.push([element.name, element.value, true]);
        continue;
      }
      saved.values.push([element.name, element.value, false]);
    }
    try {
      sessionStorage.setItem(ANSWERS_KEY, JSON.stringify(saved));
    } catch (error) {
      // storage refused: the page in the other language starts empty, as without the script
    }
  }

  function restoreAnswers() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(ANSWERS_KEY) || "null");
      sessionStorage.removeItem(ANSWERS_KEY);
    } catch (error) {
      return;
    }
    if (!saved || typeof saved !== "object" || !Array.isArray(saved.values)) return;
    // The instances first, outer repeats before inner ones (those appear as instances are added).
    for (let changed = true; changed; ) {
      changed = false;
      for (const section of form.querySelectorAll("[data-repeat]:not([data-fixed])")) {
        const wanted = Number(saved.counts && saved.counts[section.dataset.repeat]);
        if (!Number.isInteger(wanted)) continue;
        while (instances(section).length < wanted && addInstance(section)) changed = true;
        while (instances(section).length > wanted) {
          removeInstance(section, instances(section)[instances(section).length - 1]);
          changed = true;
        }
      }
    }
    const byName = new Map();
    for (const [name, value, ticked] of saved.values) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push({ value: String(value), ticked });
    }
    for (const [name, entries] of byName) {
      const elements = Array.from(form.elements).filter((element) => element.name === name);
      let next = 0; // two selects of a month share a name: filled in their order
      for (const element of elements) {
        if (element.type === "radio" || element.type === "checkbox") {
          element.checked = entries.some((entry) => entry.ticked && entry.value === element.value);
        } else if (next < entries.length) {
          element.value = entries[next++].value;
        }
      }
    }
  }

  /* Instances of every repeat on the page together (a template's are not in the page). */
  function allInstances() {
    return form.querySelectorAll("[data-instance]").length;
  }

  function addInstance(section) {
    const template = section.querySelector(":scope > template");
    const number = instances(section).length + 1;
    if (!template || number > glasLogic.MAX_REPEATS || allInstances() >= glasLogic.MAX_INSTANCES) return null;
    // The server drew the empty instance with "__N<depth>__" for its number (escaped as usual).
    const placeholder = "__N" + section.dataset.depth + "__";
    template.insertAdjacentHTML("beforebegin", template.innerHTML.split(placeholder).join(String(number)));
    countChanged(section);
    return instances(section)[number - 1];
  }

  /* Remove an instance: the later ones move up a number, their answers (and files) with them. */
  function removeInstance(section, instance) {
    const list = instances(section);
    const position = list.indexOf(instance);
    if (position < 0) return;
    const depth = Number(section.dataset.depth);
    instance.remove();
    for (let i = position + 1; i < list.length; i++) renumber(list[i], depth, i);
    countChanged(section);
  }

  /* An instance's keys (names, ids, labels' targets, buttons) and its legend take ``number``
   * as the number at ``depth``: "kind#3" becomes "kind#2", "toy#3#1" "toy#2#1". */
  function renumber(instance, depth, number) {
    const rename = (text) =>
      text
        .split(" ")
        .map((token) => {
          const at = token.indexOf("#");
          if (at < 0) return token;
          const numbers = token.slice(at + 1).split("#");
          if (numbers.length < depth) return token;
          numbers[depth - 1] = String(number);
          return token.slice(0, at + 1) + numbers.join("#");
        })
        .join(" ");
    const elements = [instance, ...instance.querySelectorAll("*")];
    for (const element of elements) {
      for (const attribute of ["name", "id", "for", "aria-describedby", "data-question", "data-instance", "data-repeat"]) {
        if (element.hasAttribute(attribute)) element.setAttribute(attribute, rename(element.getAttribute(attribute)));
      }
      if (element.tagName === "BUTTON" && /^(add|remove):/.test(element.value)) element.value = rename(element.value);
    }
    // Templates of repeats inside it: only their keys, in the attributes that hold keys.
    const keyed = /\b(name|id|for|aria-describedby|data-question|data-instance|data-repeat|value)="((?:add|remove):[^"]*|[^":]*)"/g;
    for (const template of instance.querySelectorAll("template")) {
      template.innerHTML = template.innerHTML.replace(keyed, (all, attribute, value) => attribute + '="' + rename(value) + '"');
    }
    for (const label of instance.querySelectorAll(":scope > legend .number, :scope > .remove .number")) {
      label.textContent = String(number);
    }
  }

  function countChanged(section) {
    const count = instances(section).length;
    section.querySelector(":scope > input[type=hidden]").value = String(count);
    const full = allInstances() >= glasLogic.MAX_INSTANCES;
    for (const other of form.querySelectorAll("[data-repeat]")) {
      const add = other.querySelector(":scope > .add button");
      if (add) add.disabled = full || instances(other).length >= glasLogic.MAX_REPEATS;
    }
  }

  /* Repeats with a repeat_count get as many instances as it gives (empty ones are added with
   * the page's template for them). */
  function fitFixedRepeats(kept) {
    let changed = false;
    for (const section of form.querySelectorAll("[data-repeat][data-fixed]")) {
      const wanted = Number(kept[section.dataset.repeat] || 0);
      let list = instances(section);
      let here = false;
      while (list.length > wanted) {
        list[list.length - 1].remove();
        list = instances(section);
        here = true;
      }
      while (list.length < wanted && addInstance(section)) {
        list = instances(section);
        here = true;
      }
      if (here) countChanged(section);
      changed = changed || here;
    }
    return changed;
  }

  function offeredAll(q, value, raw) {
    const chosen = Array.isArray(value) ? value : [value];
    return chosen.every((name) => q.columns[name] && glasLogic.evaluate(q.choice_filter, Object.assign({}, raw, q.columns[name])));
  }

  /* The answers and files as surveys/answers.py (validate_answers) reads the same form. */
  function collect(client) {
    const found = glasLogic.walk(client.walk, formValues());
    const rules = {};
    for (const q of client.questions) rules[q.name] = q;
    const collected = { answers: {}, errors: {}, files: [] };
    collectLevel(client.walk, [], found, rules, collected, collected.answers);
    return collected;
  }

  /* One level: the survey's own answers, or one instance's (surveys/answers.py _validate_level). */
  function collectLevel(blocks, path, found, rules, collected, answers) {
    const context = path.length ? found.contexts[glasLogic.keyOf("", path)] : found.kept;
    for (const block of blocks) {
      const key = glasLogic.keyOf(block[1], path);
      if (!found.asked.has(key)) continue;
      if (block[0] === "r") {
        const list = [];
        for (let index = 1; index <= Number(found.kept[key]); index++) {
          const instance = {};
          collectLevel(block[4], path.concat([index]), found, rules, collected, instance);
          list.push(instance);
        }
        answers[block[1]] = list;
        continue;
      }
      const q = rules[block[1]];
      if (!q) continue; // a note
      if (q.type === "calculate") {
        if (Object.prototype.hasOwnProperty.call(found.kept, key)) answers[q.name] = found.kept[key];
        continue;
      }
      if (q.type === "file") {
        const input = form.querySelector("input[type=file][name='" + key + "']");
        const chosen = input ? Array.from(input.files) : [];
        const problem = checkFiles(q, chosen);
        if (problem) collected.errors[key] = problem;
        else for (const file of chosen) collected.files.push(fileEntry(key, file, collected.files.length));
        continue;
      }
      check(q, key, context, answers, collected.errors);
    }
  }

  /* One question's answer (its field is ``key``: "name#n" in a repeat's instance n), its rules
   * read in ``raw`` (surveys/answers.py _validate_one). */
  function check(q, key, raw, answers, errors) {
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

  function fileEntry(key, file, part) {
    return { question: key, part, name: fileName(file), type: file.type || "application/octet-stream", file };
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

  /* What the respondent sees while she waits: the step and its words, a bar that moves (a
   * share of the bytes, or the browser's own moving bar while a step cannot say how far it
   * is), and the seconds so far, counted by the page while the worker is busy. */
  const elapsed = progress.querySelector(".elapsed");
  let startedAt = 0;
  let ticker = null;

  function beginWaiting() {
    startedAt = Date.now();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    tick();
  }

  function endWaiting() {
    clearInterval(ticker);
    ticker = null;
  }

  function tick() {
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    elapsed.textContent = seconds >= 2 ? progress.dataset.elapsed.replace("999", String(seconds)) : "";
  }

  function step(number, total, text, fraction) {
    const label = progress.dataset.step.replace("998", String(number)).replace("999", String(total));
    show(label + " " + text, fraction);
  }

  function show(text, fraction) {
    progress.hidden = false;
    status.textContent = text;
    if (fraction === null) return;
    if (fraction === undefined) {
      bar.removeAttribute("value"); // the browser's moving bar: this step cannot say how far
    } else {
      bar.value = Math.round(fraction * 100);
    }
  }

  start();
})();

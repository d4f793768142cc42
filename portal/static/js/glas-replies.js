/* Reading replies with JavaScript: the codename never leaves this browser.
 *
 * The form stays disabled until the worker is ready, so nothing can be posted before. Then, on
 * Read: the codename is checked here (a typo is named by its group, before any request), the
 * worker derives the login id and key pair (Argon2id: libsodium's "sumo" build), the page
 * fetches the boxed replies filed under the login id, and the worker opens them. If this
 * browser cannot run the worker, the form falls back to the server's reading, and says so.
 * Without scripts the <noscript> form posts the codename and the server reads in memory.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-replies]");
  if (!form) return;
  const fields = form.querySelector("fieldset");
  const list = document.querySelector(".replies-found");
  const status = form.querySelector(".status .words");
  const message = form.querySelector(".message");
  const messages = JSON.parse(form.dataset.messages);
  const csrf = form.querySelector("input[name=csrf_token]").value;
  let worker = null;
  let loginId = null;
  let publicKey = null;
  const writeBack = document.querySelector("form.write-back[data-write]");
  /* What Python's str.strip() removes (surveys/answers.py trims a message the same way). */
  const SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  const EDGE_SPACE = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");

  function fallBack() {
    // The server reads, as without JavaScript: a plain form post.
    form.method = "post";
    form.action = form.dataset.server;
    status.textContent = form.dataset.fallback;
    fields.disabled = false;
  }

  if (!form.dataset.sodium || !window.Worker || !window.fetch || typeof glasWorker !== "function" ||
      typeof glasCodename !== "object") {
    fallBack();
    return;
  }
  try {
    worker = glasWorker(form);
  } catch (error) {
    fallBack();
    return;
  }
  worker.ready.then(() => {
    form.dataset.reading = "browser";
    form.addEventListener("submit", onSubmit);
    status.textContent = "";
    fields.disabled = false;
  }, fallBack);

  function problem(checked) {
    if (checked.empty) return messages.empty;
    if (checked.length !== undefined) return messages.length.replace("{n}", String(checked.length));
    const groups = checked.typoGroups.join(", ");
    return (checked.typoGroups.length === 1 ? messages.typo : messages.typos).replace("{groups}", groups);
  }

  /* The five fields of six digits: a codename pasted (or typed) whole into one is spread over
   * them, and a full group moves the cursor on. */
  const groups = Array.from(form.querySelectorAll("input.codename-group"));
  for (const [index, input] of groups.entries()) {
    input.addEventListener("input", () => {
      const digits = input.value.replace(/[^0-9]/g, "");
      if (digits.length > 6) {
        for (let g = index; g < groups.length; g++) groups[g].value = digits.slice((g - index) * 6, (g - index + 1) * 6);
        groups[Math.min(groups.length - 1, index + Math.ceil(digits.length / 6) - 1)].focus();
      } else if (digits.length === 6 && index + 1 < groups.length && input.value === digits) {
        groups[index + 1].focus();
      }
    });
  }
  const typed = () => groups.map((input) => input.value).join(" ");

  const bar = form.querySelector("progress.opening");
  const elapsed = form.querySelector(".status .elapsed");
  let ticker = null;

  function waiting(text) {
    const started = Date.now();
    status.textContent = text;
    bar.hidden = false;
    ticker = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      elapsed.textContent = seconds >= 2 ? form.dataset.elapsed.replace("999", String(seconds)) : "";
    }, 1000);
  }

  function doneWaiting(text) {
    clearInterval(ticker);
    bar.hidden = true;
    elapsed.textContent = "";
    status.textContent = text;
  }

  const months = JSON.parse(form.dataset.months || "[]");
  const monthName = (month) => (month ? months[Number(month.slice(5, 7)) - 1] + " " + month.slice(0, 4) : "");

  async function onSubmit(event) {
    event.preventDefault();
    const codename = typed();
    const checked = glasCodename.check(codename);
    message.hidden = !!checked.canonical;
    if (!checked.canonical) {
      message.textContent = problem(checked);
      return;
    }
    fields.disabled = true;
    waiting(form.dataset.opening);
    try {
      // Almost always one version; a codename made before version 2 that also passes its
      // check (1 in 100,000) is read with the newer derivation first, then the older.
      let found = { replies: [] };
      for (const version of checked.versions) {
        ({ loginId, publicKey } = await worker.ask({ op: "codename", codename, version }));
        found = await post(form.dataset.fetch, { login_id: loginId });
        if (found.replies.length) break;
      }
      const shown = [];
      for (const reply of found.replies) {
        const { opened } = await worker.ask({ op: "reply", box: reply.box, from: reply.from, dated: reply.dated });
        if (opened !== null) shown.push({ ...reply, ...opened });
      }
      // Newest first: the month is inside each box (the server keeps no date).
      shown.sort((a, b) => (b.month || "").localeCompare(a.month || ""));
      render(shown);
      doneWaiting("");
      // The codename is not left on the screen; the keys stay in the worker for writing back.
      for (const input of groups) input.value = "";
      document.querySelector(".after-reading").hidden = false;
      if (writeBack) writeBack.hidden = false;
    } catch (error) {
      doneWaiting(form.dataset.failed);
    } finally {
      fields.disabled = false;
    }
  }

  function render(replies) {
    for (const old of document.querySelectorAll(".replies-old")) old.remove();
    list.replaceChildren();
    list.hidden = false;
    if (!replies.length) {
      const none = document.createElement("p");
      none.className = "notice";
      none.textContent = form.dataset.none;
      list.appendChild(none);
      return;
    }
    const ol = document.createElement("ol");
    ol.className = "replies";
    for (const reply of replies) {
      const item = document.createElement("li");
      item.className = "reply";
      const from = document.createElement("p");
      from.className = "from";
      from.textContent = reply.sender ? form.dataset.from.replace("{name}", reply.sender) : form.dataset.centre;
      const when = document.createElement("p");
      when.className = "when";
      when.textContent = monthName(reply.month);
      when.hidden = !reply.month;
      const text = document.createElement("p");
      text.className = "text";
      text.textContent = reply.text;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = form.dataset.delete;
      remove.addEventListener("click", async () => {
        await post(form.dataset.remove, { login_id: loginId, reply: reply.id });
        item.remove();
      });
      item.append(from, when, text, remove);
      ol.appendChild(item);
    }
    list.appendChild(ol);
  }

  /* Writing back: the message with the login id and public key; the codename stays here. */
  if (writeBack) {
    writeBack.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = writeBack.querySelector("textarea[name=message]");
      const said = writeBack.querySelector(".status");
      const button = writeBack.querySelector("button");
      button.disabled = true;
      try {
        // The message as the server seals it (surveys/answers.py: line ends made "\n", white
        // space trimmed), proved to each reviewer with the codename's key, kept in the worker.
        const message = text.value.replace(/\r\n?/g, "\n").replace(EDGE_SPACE, "");
        const recipients = JSON.parse(writeBack.dataset.recipients || "[]");
        const { proof } = await worker.ask({ op: "proof", message, recipients });
        // A write-back costs the proof of work an upload slot does (portal/respondent/work.py).
        const { challenge, bits } = await post(writeBack.dataset.challenge, {});
        const solved = await worker.ask({ op: "work", challenge, bits });
        await post(writeBack.dataset.write, {
          login_id: loginId, reply_key: publicKey, message, reply_proof: proof, challenge, work: solved.proof,
        });
        text.value = "";
        said.textContent = writeBack.dataset.sent;
      } catch (error) {
        said.textContent = writeBack.dataset.failed;
      } finally {
        button.disabled = false;
      }
    });
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) throw new Error("request failed: " + response.status);
    return response.json();
  }
})();

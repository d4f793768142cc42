/* Reading replies with JavaScript: the codename never leaves this browser.
 *
 * The worker derives the login id and key pair from the codename (Argon2id: libsodium's "sumo"
 * build, loaded on this page only), the page fetches the boxed replies filed under the login id,
 * and the worker opens them. Without this script the form posts the codename and the server
 * derives the keys in memory for that one request.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-replies]");
  if (!form || !form.dataset.sodium || !window.Worker || !window.fetch || typeof glasWorker !== "function") return;

  const list = document.querySelector(".replies-found");
  const status = form.querySelector(".status");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const worker = glasWorker(form);
  let loginId = null;

  worker.ready.then(() => {
    form.dataset.reading = "browser";
    form.addEventListener("submit", onSubmit);
  }, () => {});

  async function onSubmit(event) {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = form.dataset.opening;
    try {
      const codename = form.querySelector("input[name=codename]").value;
      ({ loginId } = await worker.ask({ op: "codename", codename }));
      const found = await post(form.dataset.fetch, { login_id: loginId });
      const shown = [];
      for (const reply of found.replies) {
        const { text } = await worker.ask({ op: "reply", box: reply.box, from: reply.from });
        if (text !== null) shown.push({ ...reply, text });
      }
      render(shown);
      status.textContent = "";
    } catch (error) {
      status.textContent = form.dataset.failed;
    } finally {
      button.disabled = false;
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
      from.textContent = form.dataset.from.replace("{name}", reply.sender);
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
      item.append(from, text, remove);
      ol.appendChild(item);
    }
    list.appendChild(ol);
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

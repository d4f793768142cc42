/* The thanks page after a testimony sent with JavaScript: show the codename the survey page
 * made in this browser (kept in this tab's session storage, never sent), until the respondent
 * ticks that she has written it down. Then it is forgotten here too. A codename the server
 * made (sent without JavaScript) is already on the page; this script leaves it alone.
 */
(function () {
  "use strict";

  const KEY = "glas-codename";
  const block = document.querySelector(".codename[data-pending]");
  const confirmForm = document.querySelector(".codename form");
  if (!confirmForm) return;

  if (block) {
    let kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch (error) {
      kept = null;
    }
    if (!kept || kept.survey !== block.dataset.pending || typeof kept.codename !== "string") return;
    const groups = block.querySelector(".groups");
    kept.codename.split(" ").forEach((group, index) => {
      if (index) groups.appendChild(document.createTextNode(" "));
      const span = document.createElement("span");
      span.className = "group";
      span.textContent = group;
      groups.appendChild(span);
    });
    block.hidden = false;
  }

  confirmForm.addEventListener("submit", (event) => {
    const ticked = confirmForm.querySelector("input[name=written]").checked;
    const message = confirmForm.querySelector(".message");
    if (!ticked) {
      event.preventDefault();
      message.textContent = confirmForm.dataset.unconfirmed;
      message.hidden = false;
      return;
    }
    try {
      sessionStorage.removeItem(KEY);
    } catch (error) {
      // nothing kept
    }
  });
})();

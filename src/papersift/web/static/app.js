// papersift: small progressive enhancements. Every form also works without JavaScript.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Upvotes without a page reload, through the JSON API.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.vote");
    if (!form) return;
    event.preventDefault();
    const paper = form.dataset.paper;
    const voting = form.querySelector('input[name="voted"]').value === "1";
    const response = await fetch("/api/votes/" + paper, {
      method: voting ? "PUT" : "DELETE",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (!response.ok) { form.submit(); return; }
    const result = await response.json();
    document.querySelectorAll(`form.vote[data-paper="${CSS.escape(paper)}"]`).forEach((f) => {
      f.classList.toggle("voted", result.voted);
      f.querySelector(".count").textContent = result.upvotes;
      f.querySelector('input[name="voted"]').value = result.voted ? "0" : "1";
      const button = f.querySelector("button");
      button.setAttribute("aria-pressed", String(result.voted));
      button.title = result.voted ? "Remove your upvote" : "Upvote";
    });
  });

  // Copy buttons: data-copy names the element whose text is copied.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const text = source.textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const label = button.textContent;
    button.textContent = "Copied ✓";
    button.classList.add("copied");
    setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 1500);
  });

  // Maths in titles and abstracts, rendered locally with KaTeX.
  window.addEventListener("load", () => {
    if (typeof renderMathInElement !== "function") return;
    document.querySelectorAll(".math, .card .title, .card .abstract").forEach((element) => {
      renderMathInElement(element, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
        ],
        throwOnError: false,
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "mark"],
      });
    });
  });
})();

// papersift: small progressive enhancements. Every form also works without JavaScript.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Upvotes without a page reload, through the JSON API. Without JavaScript, or when the API
  // call fails, the form posts as usual.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.vote");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button");
    if (button.getAttribute("aria-busy") === "true") return;  // one call at a time
    const paper = form.dataset.paper;
    const voting = form.querySelector('input[name="voted"]').value === "1";
    button.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch("/api/votes/" + paper, {
        method: voting ? "PUT" : "DELETE",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    } finally {
      button.removeAttribute("aria-busy");
    }
    if (response && response.status === 401) {
      window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    if (!response || !response.ok) { form.submit(); return; }
    const result = await response.json();
    document.querySelectorAll(`form.vote[data-paper="${CSS.escape(paper)}"]`).forEach((f) => {
      f.classList.toggle("voted", result.voted);
      f.querySelector(".count").textContent = result.upvotes;
      f.querySelector('input[name="voted"]').value = result.voted ? "0" : "1";
      const b = f.querySelector("button");
      b.setAttribute("aria-pressed", String(result.voted));
      b.title = result.voted ? "Remove your upvote" : "Upvote";
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
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    if (!button.dataset.label) button.dataset.label = button.textContent;
    clearTimeout(Number(button.dataset.timer));
    button.textContent = "Copied ✓";
    button.classList.add("copied");
    button.dataset.timer = String(setTimeout(() => {
      button.textContent = button.dataset.label;
      button.classList.remove("copied");
    }, 1500));
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

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

  // Card actions (read later, mark read, not interested) through the JSON API, without a page
  // reload; without JavaScript, or when the call fails, the form posts as usual.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const [method, url] = form.dataset.api.split(" ");
    let response;
    try {
      response = await fetch(url, {
        method, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      });
    } catch (error) {
      response = null;
    }
    if (!response || !response.ok) { form.submit(); return; }
    const done = document.createElement("span");
    done.className = "done";
    done.setAttribute("role", "status");
    done.textContent = form.dataset.done + " ✓";
    form.replaceWith(done);
    if (form.dataset.key === "x") done.closest("article.card")?.classList.add("dismissed");
  });

  // Keyboard triage on list pages: j/k move between papers, o or Enter opens, u upvotes,
  // s saves to the reading list, m marks read, x marks not interested, ? lists the keys.
  const KEYS = [
    ["j", "next paper"], ["k", "previous paper"], ["o / Enter", "open the paper"],
    ["u", "upvote"], ["s", "save to your reading list"], ["m", "mark read"],
    ["x", "not interested"], ["?", "show or hide these keys"],
  ];
  const cards = () => Array.from(document.querySelectorAll("article.card"));
  let help = null;

  function toggleHelp() {
    if (!help) {
      help = document.createElement("dialog");
      help.className = "keys";
      help.setAttribute("aria-label", "Keyboard shortcuts");
      const rows = KEYS.map(([key, what]) => `<dt><kbd>${key}</kbd></dt><dd>${what}</dd>`);
      help.innerHTML = `<h2>Keys</h2><dl>${rows.join("")}</dl>` +
        `<form method="dialog"><button class="button small">Close</button></form>`;
      document.body.appendChild(help);
    }
    if (help.open) help.close(); else help.showModal();
  }

  function press(card, key) {
    const form = card.querySelector(`form[data-key="${key}"]`);
    if (form) form.requestSubmit();
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable], dialog[open]")) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    const list = cards();
    if (!list.length) return;
    const focused = document.activeElement?.closest?.("article.card");
    const index = focused ? list.indexOf(focused) : -1;
    const move = (step) => {
      const next = list[Math.min(list.length - 1, Math.max(0, index + step))];
      next.tabIndex = -1;
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    };
    if (event.key === "j") { event.preventDefault(); move(1); return; }
    if (event.key === "k") { event.preventDefault(); move(-1); return; }
    if (!focused) return;
    if (event.key === "o" || (event.key === "Enter" && event.target === focused)) {
      event.preventDefault();
      focused.querySelector(".title a")?.click();
    } else if (event.key === "u") {
      focused.querySelector("form.vote")?.requestSubmit();
    } else if (["s", "m", "x"].includes(event.key)) {
      press(focused, event.key);
    }
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

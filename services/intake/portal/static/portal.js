// Progressive help for the practitioner portal; every page works without it. No inline script
// anywhere (CSP): the words come from the page itself (data-* on <body>), in its language.
"use strict";

const words = () => document.body.dataset;

function formatLeft(seconds) {
  const w = words();
  if (seconds <= 0) return w.durationOver;
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  const fill = (text, values) => text.replace(/\{(\w)\}/g, (_, k) => String(values[k]));
  if (h) return fill(w.durationHm, { h, m });
  if (m) return fill(w.durationMs, { m, s });
  return fill(w.durationS, { s });
}

// Countdowns (a code's life, the wait before a resend or after a lockout, an invoice's deadline):
// <span class="countdown" data-seconds="N">. When one reaches zero, what was shown "while it runs"
// gives way to what is shown "once it is over", and buttons waiting for it are enabled.
function startCountdowns(root) {
  const started = Date.now();
  const counters = Array.from(root.querySelectorAll(".countdown[data-seconds]"));
  const buttons = Array.from(root.querySelectorAll("button[data-enable-after]"));
  for (const button of buttons) button.disabled = Number(button.dataset.enableAfter) > 0;
  if (counters.length === 0 && buttons.length === 0) return;
  const tick = () => {
    const elapsed = Math.floor((Date.now() - started) / 1000);
    for (const counter of counters) {
      const left = Math.max(0, Number(counter.dataset.seconds) - elapsed);
      counter.textContent = formatLeft(left);
      if (left === 0) {
        const running = counter.closest("[data-when-running]");
        if (running) {
          running.hidden = true;
          const over = running.parentElement && running.parentElement.querySelector("[data-when-over]");
          if (over) over.hidden = false;
        }
      }
    }
    for (const button of buttons) button.disabled = Number(button.dataset.enableAfter) - elapsed > 0;
  };
  tick();
  setInterval(tick, 1000);
}

// A file is checked before it is sent: its size against the limit stated on the page, and its
// type from its first bytes (what the server judges it by), not from its name.
async function fileProblem(input) {
  const file = input.files && input.files[0];
  if (!file) return null;
  const w = words();
  if (file.size > Number(input.dataset.maxBytes)) {
    return w.fileTooLarge.replace("{size}", (file.size / 1048576).toFixed(1)).replace("{max_mb}", input.dataset.maxMb);
  }
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  const pdf = head[0] === 0x25 && head[1] === 0x50 && head[2] === 0x44 && head[3] === 0x46;
  const jpeg = head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  return pdf || jpeg ? null : w.fileType;
}

function showFieldError(input, message) {
  const error = document.getElementById(input.id + "-error");
  if (!error) return;
  error.textContent = message || "";
  error.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  input.closest(".field")?.classList.toggle("invalid", Boolean(message));
}

function watchFiles(root) {
  for (const input of root.querySelectorAll("input[type=file][data-max-bytes]")) {
    input.addEventListener("change", async () => showFieldError(input, await fileProblem(input)));
  }
}

// Uploads go with a progress bar. The server answers as it does without JavaScript: a redirect
// to the next page (followed here), or the form again with its refusals (shown in place).
function uploadWithProgress(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const inputs = Array.from(form.querySelectorAll("input[type=file][data-max-bytes]"));
    let firstBad = null;
    for (const input of inputs) {
      const problem = await fileProblem(input);
      showFieldError(input, problem);
      if (problem && !firstBad) firstBad = input;
    }
    if (firstBad) { firstBad.focus(); return; }
    const box = form.querySelector("[data-progress]");
    const bar = box && box.querySelector("progress");
    const submit = form.querySelector("button[type=submit]");
    if (box) box.hidden = false;
    if (submit) submit.disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", (e) => {
      if (bar && e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); bar.textContent = bar.value + "%"; }
    });
    request.addEventListener("load", () => {
      const answered = new URL(request.responseURL || form.action, location.href);
      if (answered.pathname !== new URL(form.action, location.href).pathname) {
        location.assign(answered.href);
        return;
      }
      showPage(request.responseText);
    });
    request.addEventListener("error", () => {
      if (box) box.hidden = true;
      if (submit) submit.disabled = false;
      const input = inputs[0];
      if (input) showFieldError(input, words().uploadFailed);
    });
    request.send(new FormData(form));
  });
}

// The refused form, as the server drew it, in place of the current one.
function showPage(html) {
  const next = new DOMParser().parseFromString(html, "text/html");
  const main = next.querySelector("main");
  if (!main) { document.open(); document.close(); return; }
  document.querySelector("main").replaceWith(main);
  document.title = next.title;
  setUp(main);
  const summary = main.querySelector("[data-testid=error-summary], [role=alert]");
  (summary || main).setAttribute("tabindex", "-1");
  (summary || main).focus();
}

function setUp(root) {
  startCountdowns(root);
  watchFiles(root);
  for (const form of root.querySelectorAll("form[data-upload]")) uploadWithProgress(form);
}

document.addEventListener("DOMContentLoaded", () => setUp(document));

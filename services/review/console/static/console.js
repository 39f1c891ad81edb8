// Progressive help for the reviewer console; every page works without it.
"use strict";

// Lease countdowns: <time datetime="..." data-countdown> shows the minutes left on a claim.
// The wording comes from the page (data-minutes-left, "{m}" for the number), like every other text.
function showCountdowns() {
  const wording = document.body.dataset.minutesLeft || "{m}";
  for (const element of document.querySelectorAll("time[data-countdown]")) {
    const left = Math.round((Date.parse(element.dateTime) - Date.now()) / 60000);
    element.textContent = wording.replace("{m}", String(Math.max(left, 0)));
    element.classList.toggle("expiring", left <= 5);
  }
}

// A reason that says nothing by itself ("other") makes the note required, as the desk does.
function linkReasonsToNote() {
  for (const form of document.querySelectorAll("form.decision")) {
    const note = form.querySelector("textarea[name=reason]");
    const needing = form.querySelectorAll("input[data-needs-note]");
    if (!note || needing.length === 0) continue;
    const update = () => { note.required = Array.from(needing).some((box) => box.checked); };
    for (const box of needing) box.addEventListener("change", update);
    update();
  }
}

// A step that asks a question (confirming an approval) takes the focus to the question, so the
// keyboard starts there; the answer is still a button of its own.
function focusTheQuestion() {
  const question = document.querySelector("[data-focus-on-load]");
  if (question) question.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  focusTheQuestion();
  showCountdowns();
  setInterval(showCountdowns, 30000);
  linkReasonsToNote();
});

"""The printable, self-contained questionnaire page (Jinja2, autoescaped: answers are model output)."""

from __future__ import annotations

FORM_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; max-width: 62rem;
         margin: 1.5rem auto; padding: 0 1rem; line-height: 1.45; color: #1a1a1a; }
  h1 { font-size: 1.5rem; }
  h2 { font-size: 1.15rem; }
  .box { padding: .6rem 1rem; margin: 1rem 0; border-left: 4px solid; }
  .note { background: #f2f5fa; border-color: #4a78b5; }
  .support { background: #fdf5ea; border-color: #c98a2b; }
  .rater label { display: inline-block; margin: .3rem 1.5rem .3rem 0; }
  .rater input { font: inherit; border: 0; border-bottom: 1px solid #555; min-width: 11rem; background: transparent; }
  table { border-collapse: collapse; }
  th, td { border: 1px solid #c8c8c8; padding: .25rem .45rem; }
  table.scale td, table.scale th { text-align: center; }
  section.question { border-top: 2px solid #333; margin-top: 2rem; padding-top: .5rem; }
  .topic { color: #555; font-weight: normal; font-size: .9rem; }
  .prompt { background: #f4f4f4; padding: .6rem 1rem; border-radius: 4px; white-space: pre-wrap; }
  .answers { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: 1rem; }
  .answer { border: 1px solid #b5b5b5; border-radius: 4px; padding: .5rem 1rem; }
  .answer h3 { margin: 0 0 .3rem; font-size: 1rem; }
  .answer .text { white-space: pre-wrap; }
  table.ratings { width: 100%; margin-top: 1rem; }
  table.ratings td, table.ratings th { text-align: center; }
  table.ratings td.item { text-align: left; }
  table.ratings td.item small { color: #555; }
  table.ratings .group-start { border-left: 2px solid #555; }
  table.scale td, table.scale th { min-width: 4.5rem; }
  tr.missing td { background: #ffe3e3; }
  .actions { margin: 2rem 0 3rem; }
  .actions button { font: inherit; padding: .4rem 1rem; margin-right: .6rem; }
  #status { margin-top: .6rem; }
  @media print {
    .screen-only { display: none !important; }
    body { max-width: none; margin: 0; font-size: 10pt; line-height: 1.3; }
    th, td { padding: .1rem .3rem; }
    .prompt, .answer { padding: .3rem .6rem; }
    section.question { break-before: page; border-top: 0; }
    .answer, table.ratings tr { break-inside: avoid; }
  }
</style>
</head>
<body>
<h1>{{ title }}</h1>

<div class="box note">
  <p>You will read {{ questions|length }} messages that people might send to a mental-health support chat, each
  followed by two answers written by two different AI systems. The answers are labelled <b>Answer A</b> and
  <b>Answer B</b>; which system wrote which changes from question to question, and neither label is better
  than the other.</p>
  <p>For each answer, rate the {{ items|length }} statements below on a scale from 1 (very poor) to 5 (very good).
  Rate each answer on its own merits; there are no right or wrong ratings. Please rate every item for both
  answers.</p>
  <p class="screen-only">On screen: tick one circle per row and answer, then press <b>Download my ratings
  (CSV)</b> at the end and send the file to the study organiser. Your ticks are kept in this browser if you
  close the page. On paper: print this page and tick one circle per row and answer.</p>
</div>

<div class="box support">
  <p>The messages touch on difficult topics (anxiety, grief, loneliness and others). You may stop at any time.
  If reading them brings up something difficult for you, please talk to someone you trust or to a
  professional; if you are in danger or thinking about harming yourself, call your local emergency number or a
  crisis line now.</p>
</div>

<h2>About you</h2>
<div class="rater">
  <label>Participant ID <input id="rater_id" data-field="rater_id" autocomplete="off"></label>
  <label>Gender <input id="gender" data-field="gender" list="gender-options" autocomplete="off"></label>
  <label>Field of study / major <input id="major" data-field="major" list="major-options" autocomplete="off"></label>
  {% for field in demographics %}
  <label>{{ field.replace('_', ' ')|capitalize }}
    <input id="{{ field }}" data-field="{{ field }}" autocomplete="off"></label>
  {% endfor %}
  <datalist id="gender-options">
    <option value="female"><option value="male"><option value="non-binary"><option value="prefer not to say">
  </datalist>
  <datalist id="major-options"><option value="STEM"><option value="non-STEM"></datalist>
</div>

<h2>The scale and the statements</h2>
<table class="scale">
  <tr>{% for s in scores %}<th>{{ s }}</th>{% endfor %}</tr>
  <tr>{% for s in scores %}<td>{{ scale_labels[s] }}</td>{% endfor %}</tr>
</table>
<ol>
  {% for item in items %}<li><b>{{ item.label }}</b>: {{ item.description }}</li>
  {% endfor %}
</ol>

{% for q in questions %}
{% set qi = loop.index0 %}
<section class="question" id="question-{{ qi }}">
  <h2>Question {{ loop.index }} of {{ questions|length }} <span class="topic">({{ q.topic }}; id {{ q.id }})</span></h2>
  <div class="prompt">{{ q.question }}</div>
  <div class="answers">
    {% for label in labels %}
    <div class="answer"><h3>Answer {{ label }}</h3><div class="text">{{ q.answers[label] }}</div></div>
    {% endfor %}
  </div>
  <table class="ratings">
    <thead>
      <tr><th rowspan="2">Statement</th>
      {% for label in labels %}
        <th class="group-start" colspan="{{ scores|length }}">Answer {{ label }}</th>
      {% endfor %}
      </tr>
      <tr>
      {% for label in labels %}{% for s in scores %}
        <th{% if loop.first %} class="group-start"{% endif %}>{{ s }}</th>
      {% endfor %}{% endfor %}
      </tr>
    </thead>
    <tbody>
    {% for item in items %}
    {% set ii = loop.index0 %}
      <tr data-row="{{ qi }}-{{ ii }}">
        <td class="item"><b>{{ item.label }}</b><br><small>{{ item.description }}</small></td>
        {% for label in labels %}{% for s in scores %}
        <td{% if loop.first %} class="group-start"{% endif %}><input type="radio" name="r{{ qi }}-{{ label }}-{{ ii }}"
          value="{{ s }}" data-q="{{ q.id }}" data-label="{{ label }}" data-item="{{ item.id }}"
          aria-label="Question {{ qi + 1 }}, answer {{ label }}, {{ item.label }}: {{ s }}"></td>
        {% endfor %}{% endfor %}
      </tr>
    {% endfor %}
    </tbody>
  </table>
</section>
{% endfor %}

<div class="actions screen-only">
  <button type="button" id="check">Check for missing ratings</button>
  <button type="button" id="download">Download my ratings (CSV)</button>
  <button type="button" id="print">Print</button>
  <div id="status" role="status"></div>
</div>

<script>
"use strict";
const FORM = {{ form_json|safe }};  // JSON with "<" escaped, so it cannot close the script
const storeKey = "eai-humaneval-" + FORM.form_id;

function radios() { return Array.from(document.querySelectorAll("input[type=radio]")); }
function fields() { return Array.from(document.querySelectorAll("input[data-field]")); }

function groups() {
  const byName = new Map();
  for (const r of radios()) {
    if (!byName.has(r.name)) byName.set(r.name, {first: r, checked: null});
    if (r.checked) byName.get(r.name).checked = r;
  }
  return Array.from(byName.values());
}

function csvField(value) {
  const text = String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function save() {
  const state = {fields: {}, ticks: {}};
  for (const f of fields()) state.fields[f.dataset.field] = f.value;
  for (const g of groups()) if (g.checked) state.ticks[g.first.name] = g.checked.value;
  try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* storage may be disabled */ }
}

function restore() {
  let state = null;
  try { state = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { state = null; }
  if (!state) return;
  for (const f of fields()) {
    if (state.fields && f.dataset.field in state.fields) f.value = state.fields[f.dataset.field];
  }
  for (const r of radios()) if (state.ticks && state.ticks[r.name] === r.value) r.checked = true;
}

function markMissing() {
  let missing = 0;
  for (const tr of document.querySelectorAll("tr[data-row]")) tr.classList.remove("missing");
  for (const g of groups()) {
    if (!g.checked) { missing += 1; g.first.closest("tr").classList.add("missing"); }
  }
  return missing;
}

function setStatus(text) { document.getElementById("status").textContent = text; }

document.getElementById("check").addEventListener("click", () => {
  const missing = markMissing();
  setStatus(missing ? missing + " rating(s) missing: the rows are highlighted." : "All ratings are given. Thank you!");
});

document.getElementById("download").addEventListener("click", () => {
  const values = {};
  for (const f of fields()) values[f.dataset.field] = f.value.trim();
  if (!values.rater_id) {
    setStatus("Please fill in your participant ID first.");
    document.getElementById("rater_id").focus();
    return;
  }
  const missing = markMissing();
  if (missing && !confirm(missing + " rating(s) are missing (highlighted). Download anyway?")) return;
  const lines = [FORM.columns.join(",")];
  for (const g of groups()) {
    if (!g.checked) continue;
    const row = FORM.columns.map((c) => {
      if (c === "model") return g.checked.dataset.label;
      if (c === "question_id") return g.checked.dataset.q;
      if (c === "item") return g.checked.dataset.item;
      if (c === "score") return g.checked.value;
      return values[c] || "";
    });
    lines.push(row.map(csvField).join(","));
  }
  const blob = new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv"});
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "ratings_" + values.rater_id.replace(/[^A-Za-z0-9._-]+/g, "_") + ".csv";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setStatus("Saved " + (lines.length - 1) + " ratings to " + link.download + ".");
});

document.getElementById("print").addEventListener("click", () => window.print());
document.addEventListener("change", save);
document.addEventListener("input", save);
restore();
</script>
</body>
</html>
"""

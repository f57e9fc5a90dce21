// The web page of `tenure serve`: the caller's sessions, waiting ones first, and a live
// view of one over server-sent events. No build step; every text goes in as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const EVENT_TYPES = ["session_start", "turn_start", "message", "tool_start", "tool_end",
  "permission_request", "permission_resolved", "question", "question_answered",
  "file_presented", "state_change", "usage", "error", "turn_end", "session_end", "continued",
  "compaction", "text_delta", "thinking_delta", "model_retry", "model_error", "stream_error"];

let token = new URLSearchParams(location.hash.slice(1)).get("token") || localStorage.getItem("tenure.token") || "";
if (location.hash.includes("token=")) { localStorage.setItem("tenure.token", token); history.replaceState(null, "", location.pathname); }
let current = null;  // {id, source, live, cards, tools}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, {...options, headers});
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

const sessionPath = (id, tail = "") => "/sessions/" + encodeURIComponent(id) + tail;

function notice(text) { $("notice").textContent = text; }

async function loadSessions() {
  let listed, inbox;
  try {
    [listed, inbox] = await Promise.all([api("/sessions"), api("/inbox")]);
  } catch (e) {
    $("sessions").replaceChildren(el("div", "empty", "Cannot list sessions: " + e.message));
    return;
  }
  const waiting = new Map(inbox.waiting.map((w) => [w.session_id, w]));
  const rows = listed.sessions.slice().sort((a, b) => waiting.has(b.session_id) - waiting.has(a.session_id));
  const list = rows.map((s) => {
    const row = el("div", "session" + (current && current.id === s.session_id ? " open" : ""));
    row.dataset.sessionId = s.session_id;
    const title = el("div", "title", s.title || s.session_id);
    const w = waiting.get(s.session_id);
    if (w) title.append(el("span", "badge", (w.pending_permissions.length + w.pending_questions.length) + " waiting"));
    const turns = s.turns ? ` · ${s.turns} turn${s.turns === 1 ? "" : "s"}` : "";
    row.append(title, el("div", "meta", `${w ? w.state : s.state || s.status.toLowerCase()}${turns} · ${s.session_id}`));
    row.onclick = () => openSession(s.session_id, s.title);
    return row;
  });
  $("sessions").replaceChildren(...(list.length ? list : [el("div", "empty", "No sessions yet.")]));
}

function log(node) {
  const box = $("log");
  const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.append(node);
  if (atEnd) box.scrollTop = box.scrollHeight;
  return node;
}

function textOf(content) {
  return content.filter((b) => b.type === "text").map((b) => b.text).join("");
}

// Deltas are a preview (as tenure.client.LiveOutput): per turn and attempt, dropped on a
// retry, ended by the assistant's message.
function onDelta(view, e) {
  const live = view.live;
  if (e.type === "model_retry") { live.turn = e.turn; live.attempt = e.attempt; live.node.textContent = ""; return; }
  if (live.turn !== null && (e.turn < live.turn || (e.turn === live.turn && e.attempt < live.attempt))) return;
  if (e.turn !== live.turn || e.attempt !== live.attempt) { live.turn = e.turn; live.attempt = e.attempt; live.node.textContent = ""; }
  if (e.type === "text_delta") {
    if (!live.node.isConnected) log(live.node);
    live.node.textContent += e.text;
  }
}

function permissionCard(view, e) {
  const card = el("div", "card");
  card.dataset.requestId = e.request_id;
  card.append(el("div", "", `${e.tool_name} wants to run (${e.reason})`), el("pre", "", JSON.stringify(e.input, null, 2)));
  const decide = (decision, scope) => async () => {
    try {
      await api(sessionPath(view.id, "/permissions/" + encodeURIComponent(e.request_id)),
        {method: "POST", body: JSON.stringify({decision, scope})});
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    } catch (err) { notice("Not sent: " + err.message); }
  };
  for (const [label, decision, scope] of [["Approve", "allow", "once"], ["Approve for the session", "allow", "session"], ["Deny", "deny", "once"]]) {
    const button = el("button", "", label);
    button.type = "button";
    button.onclick = decide(decision, scope);
    card.append(button);
  }
  view.cards.set(e.request_id, card);
  log(card);
}

function questionCard(view, e) {
  const card = el("div", "card");
  card.dataset.requestId = e.request_id;
  const chosen = {};
  for (const q of e.questions) {
    card.append(el("div", "", `[${q.header}] ${q.question}`));
    for (const option of q.options) {
      const button = el("button", "", option.label);
      button.type = "button";
      button.title = option.description || "";
      button.onclick = () => {
        chosen[q.question] = option.label;
        button.parentElement.querySelectorAll("button").forEach((b) => { if (b.dataset.question === q.question) b.style.fontWeight = b === button ? "bold" : ""; });
      };
      button.dataset.question = q.question;
      card.append(button);
    }
  }
  const send = el("button", "", "Answer");
  send.type = "button";
  send.onclick = async () => {
    try {
      await api(sessionPath(view.id, "/answers/" + encodeURIComponent(e.request_id)), {method: "POST", body: JSON.stringify({answers: chosen})});
      card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    } catch (err) { notice("Not sent: " + err.message); }
  };
  card.append(el("br"), send);
  view.cards.set(e.request_id, card);
  log(card);
}

function resolve(view, requestId, text) {
  const card = view.cards.get(requestId);
  if (!card) return;
  card.className = "card done";
  card.querySelectorAll("button").forEach((b) => b.remove());
  card.append(el("div", "resolution", text));
}

function onEvent(view, e) {
  switch (e.type) {
    case "text_delta": case "thinking_delta": case "model_retry": return onDelta(view, e);
    case "message":
      if (e.kind === "user" && textOf(e.content)) log(el("div", "user", "> " + textOf(e.content)));
      if (e.kind === "assistant") {
        view.live.node.remove(); view.live.node.textContent = "";
        if (textOf(e.content)) log(el("div", "assistant", textOf(e.content)));
      }
      return;
    case "tool_start": {
      const line = log(el("div", "tool", "● " + e.summary));
      view.tools.set(e.tool_use_id, line);
      return;
    }
    case "tool_end": {
      const line = view.tools.get(e.tool_use_id);
      if (line) line.append(el("span", "end" + (e.is_error ? " err" : ""), (e.is_error ? "  ✗ " : "  ✓ ") + e.preview.split("\n")[0].slice(0, 160)));
      return;
    }
    case "permission_request": return permissionCard(view, e);
    case "permission_resolved":
      return resolve(view, e.request_id, `${e.decision}${e.scope === "session" ? " for the session" : ""}${e.decided_by ? " by " + e.decided_by : ""}`);
    case "question": return questionCard(view, e);
    case "question_answered":
      return resolve(view, e.request_id, e.answers ? "answered: " + Object.values(e.answers).join(", ") + (e.decided_by ? " by " + e.decided_by : "") : "interrupted");
    case "usage": {
      const t = e.total;
      const tokens = t.input_tokens + t.output_tokens + (t.cache_read_input_tokens || 0) + (t.cache_creation_input_tokens || 0);
      const cost = e.cost_usd_total ? ` · $${e.cost_usd_total.toFixed(4)}` : "";
      $("usage").textContent = `· ${tokens.toLocaleString()} tokens${cost}`;
      return;
    }
    case "state_change": $("state").textContent = e.state.kind + (e.state.tool_name ? " · " + e.state.tool_name : ""); return;
    case "error": case "model_error": case "stream_error": log(el("div", "error", "! " + (e.message || e.error))); return;
    case "session_end":
      $("state").textContent = "ended (" + e.outcome.stop_reason + ")";
      view.source.close();
      $("send").hidden = true; $("interrupt").hidden = true;
      return;
  }
}

function openSession(id, title) {
  if (current) current.source.close();
  $("log").replaceChildren();
  $("view-title").textContent = title || id;
  $("state").textContent = "";
  $("usage").textContent = "";
  $("send").hidden = false; $("interrupt").hidden = false;
  const url = sessionPath(id, "/events") + (token ? "?access_token=" + encodeURIComponent(token) : "");
  const view = {id, source: new EventSource(url), live: {turn: null, attempt: 0, node: el("div", "live")}, cards: new Map(), tools: new Map()};
  for (const type of EVENT_TYPES) {
    view.source.addEventListener(type, (m) => { if (current === view) onEvent(view, {type, ...JSON.parse(m.data)}); });
  }
  view.source.onerror = () => {
    if (view.source.readyState === EventSource.CLOSED && current === view) {
      notice("The live view stopped: open the session again (is your token still valid?)");
    }
  };
  current = view;
  notice("");
  document.querySelectorAll(".session").forEach((row) => row.classList.toggle("open", row.dataset.sessionId === id));
}

$("send").onsubmit = async (event) => {
  event.preventDefault();
  const text = $("message").value.trim();
  if (!text || !current) return;
  try { await api(sessionPath(current.id, "/messages"), {method: "POST", body: JSON.stringify({text})}); $("message").value = ""; }
  catch (err) { notice("Not sent: " + err.message); }
};
$("interrupt").onclick = async () => {
  if (!current) return;
  try { await api(sessionPath(current.id, "/interrupt"), {method: "POST"}); } catch (err) { notice(err.message); }
};
$("use-token").onclick = () => { token = $("token").value.trim(); localStorage.setItem("tenure.token", token); loadSessions(); };

loadSessions();
setInterval(loadSessions, 3000);

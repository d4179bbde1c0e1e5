// The sandbox's web chat. Plain JavaScript, no build step: it asks /api/state for the whole
// picture (waiting for the next change), draws three chats, and posts what the person does.
// Message text arrives as HTML already reduced to Telegram's tags by the server
// (sandbox/web/formatting.py); everything else is put in the page as text, never as HTML.
"use strict";

const PANES = ["buyer", "merchant", "staff"];
const state = { rev: null, texts: {}, locale: "zh_CN", snapshot: null, receivedAt: 0, panes: {}, seenAlerts: new Set(), firstDraw: true };

function t(key) { return state.texts[key] || key; }

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

async function api(path, options = {}) {
  const headers = { "X-Sandbox": "1", ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

// An action's answer is the new snapshot; errors show in the pane they came from.
async function act(pane, request) {
  try {
    draw(await request);
  } catch (error) {
    toast(pane, t("failed") + error.message, false);
  }
}

// -- texts -------------------------------------------------------------------------------------

async function loadTexts() {
  const body = await api("/api/texts");
  state.texts = body.texts;
  state.locale = body.locale.replace("_", "-");
  document.documentElement.lang = state.locale;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
}

// -- panes -------------------------------------------------------------------------------------

function buildPanes() {
  const template = document.getElementById("pane-template");
  const container = document.getElementById("panes");
  for (const key of PANES) {
    const root = template.content.firstElementChild.cloneNode(true);
    root.dataset.pane = key;
    root.querySelector(".pane-title").textContent = t("pane_" + key);
    for (const node of root.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
    const input = root.querySelector(".text-input");
    input.placeholder = t("placeholder");
    root.querySelector(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.value = "";
      act(key, post(`/api/panes/${key}/send`, { text }));
    });
    const fileInput = root.querySelector(".file-input");
    fileInput.addEventListener("change", () => {
      const file = fileInput.files[0];
      if (!file) return;
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("caption", input.value);
      form.append("as_file", root.querySelector(".as-file-box").checked ? "1" : "0");
      input.value = "";
      fileInput.value = "";
      act(key, api(`/api/panes/${key}/upload`, { method: "POST", body: form }));
    });
    container.appendChild(root);
    state.panes[key] = { root, messages: root.querySelector(".messages"), drawn: new Map() };
  }
}

function draw(snapshot) {
  state.snapshot = snapshot;
  state.rev = snapshot.rev;
  state.receivedAt = Date.now();
  for (const pane of snapshot.panes) drawPane(pane);
  drawClock();
  state.firstDraw = false;
}

function drawPane(pane) {
  const view = state.panes[pane.key];
  view.root.querySelector(".pane-who").textContent =
    pane.chat_title ? `${pane.chat_title} · ${pane.user.name}` : pane.user.name + (pane.user.username ? ` @${pane.user.username}` : "");
  const box = view.messages;
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const wanted = new Set(pane.messages.map((m) => m.id));
  for (const [id, drawn] of view.drawn) {
    if (!wanted.has(id)) { drawn.node.remove(); view.drawn.delete(id); }
  }
  let previous = null;
  let added = false;
  for (const message of pane.messages) {
    const key = JSON.stringify(message);
    let drawn = view.drawn.get(message.id);
    if (!drawn || drawn.key !== key) {
      const node = messageNode(pane, message);
      if (drawn) drawn.node.replaceWith(node); else added = true;
      drawn = { key, node };
      view.drawn.set(message.id, drawn);
    }
    const expectedPlace = previous ? previous.nextSibling : box.firstChild;
    if (expectedPlace !== drawn.node) box.insertBefore(drawn.node, expectedPlace);
    previous = drawn.node;
  }
  let empty = box.querySelector(".empty");
  if (pane.messages.length === 0 && !empty) box.appendChild(el("div", "empty", t("empty")));
  if (pane.messages.length > 0 && empty) empty.remove();
  if (added && (nearBottom || state.firstDraw)) box.scrollTop = box.scrollHeight;
  drawReplyKeyboard(view, pane);
  for (const alert of pane.alerts) {
    if (state.seenAlerts.has(alert.id)) continue;
    state.seenAlerts.add(alert.id);
    if (!state.firstDraw) toast(pane.key, alert.text, alert.alert);
  }
}

function messageNode(pane, m) {
  const mine = !m.from_bot;
  const node = el("div", "msg " + (mine ? "me" : "bot"));
  node.dataset.messageId = m.id;
  const bubble = el("div", "bubble");
  if (pane.chat_title) bubble.appendChild(el("div", "sender", m.from_bot ? `${state.snapshot.bot.name}` : m.sender));
  if (m.reply_to) bubble.appendChild(el("div", "reply-to", m.reply_to.text));
  if (m.photo) {
    const img = el("img", "photo");
    img.src = `/api/files/${encodeURIComponent(m.photo.file_id)}`;
    img.alt = "photo";
    img.addEventListener("click", () => window.open(img.src, "_blank", "noopener"));
    bubble.appendChild(img);
  }
  if (m.file) bubble.appendChild(fileNode(m.file));
  if (m.other) bubble.appendChild(el("div", "other", otherText(m.other)));
  if (m.html) {
    const text = el("div", "text");
    text.innerHTML = m.html; // built by the server from entities: Telegram's tags only, text escaped
    wireLinks(pane, text);
    bubble.appendChild(text);
  }
  const meta = el("div", "meta", (m.edited ? t("edited") + " " : "") + timeText(m.date));
  bubble.appendChild(meta);
  node.appendChild(bubble);
  if (m.inline_keyboard) node.appendChild(inlineKeyboard(pane, m));
  return node;
}

function fileNode(file) {
  const url = `/api/files/${encodeURIComponent(file.file_id)}`;
  const box = el("div", "file");
  if (file.mime_type && file.mime_type.startsWith("image/") && file.kind !== "sticker") {
    const img = el("img", "photo");
    img.src = url;
    img.alt = file.name;
    box.appendChild(img);
  } else {
    box.appendChild(el("span", "file-icon", file.kind === "sticker" ? file.emoji || "🖼" : "📄"));
  }
  const info = el("div");
  info.appendChild(el("div", "file-name", file.name));
  const link = el("a", "download", t("download"));
  link.href = url + "?download=1";
  link.download = file.name;
  info.appendChild(link);
  if (file.size) info.appendChild(el("span", "file-size", " · " + sizeText(file.size)));
  box.appendChild(info);
  return box;
}

function otherText(other) {
  if (other.kind === "location") return `📍 ${other.latitude}, ${other.longitude}`;
  if (other.kind === "contact") return `👤 ${other.phone_number}`;
  return `📊 ${other.question}`;
}

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// A t.me link to this bot with ?start= is what Telegram opens as "/start <payload>" in the chat.
function startPayload(href) {
  const match = /^https:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)$/.exec(href);
  if (!match || !state.snapshot) return null;
  return match[1].toLowerCase() === String(state.snapshot.bot.username).toLowerCase() ? match[2] : null;
}

function openLink(pane, href) {
  const payload = startPayload(href);
  if (payload) act(pane.key, post(`/api/panes/${pane.key}/send`, { text: `/start ${payload}` }));
  else if (/^https?:\/\//i.test(href)) window.open(href, "_blank", "noopener,noreferrer");
}

function wireLinks(pane, root) {
  for (const link of root.querySelectorAll("a[href]")) {
    link.rel = "noopener noreferrer";
    link.addEventListener("click", (event) => { event.preventDefault(); openLink(pane, link.getAttribute("href")); });
  }
  for (const spoiler of root.querySelectorAll("tg-spoiler")) {
    spoiler.addEventListener("click", () => spoiler.classList.toggle("shown"));
  }
}

function inlineKeyboard(pane, m) {
  const keyboard = el("div", "inline-keyboard");
  for (const row of m.inline_keyboard) {
    const line = el("div", "inline-row");
    for (const button of row) {
      const node = el("button", null, button.text);
      node.type = "button";
      if (button.data !== undefined) {
        node.dataset.callback = button.data;
        node.addEventListener("click", () =>
          act(pane.key, post(`/api/panes/${pane.key}/press`, { message_id: m.id, data: button.data })));
      } else if (button.url !== undefined) {
        node.textContent = button.text + " ↗";
        node.addEventListener("click", () => openLink(pane, button.url));
      } else if (button.copy !== undefined) {
        node.addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(button.copy));
      } else {
        node.disabled = true;
      }
      line.appendChild(node);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

function drawReplyKeyboard(view, pane) {
  const box = view.root.querySelector(".reply-keyboard");
  const key = JSON.stringify(pane.reply_keyboard);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren();
  box.hidden = !pane.reply_keyboard;
  for (const row of pane.reply_keyboard || []) {
    const line = el("div", "inline-row");
    for (const button of row) {
      const node = el("button", null, button.text);
      node.type = "button";
      node.addEventListener("click", () =>
        act(pane.key, post(`/api/panes/${pane.key}/key`, { text: button.text, asks: button.asks || null })));
      line.appendChild(node);
    }
    box.appendChild(line);
  }
}

function toast(paneKey, text, isAlert) {
  const box = state.panes[paneKey].root.querySelector(".toasts");
  const node = el("div", "toast" + (isAlert ? " alert" : ""), text);
  if (isAlert) {
    const ok = el("button", null, "OK");
    ok.type = "button";
    ok.addEventListener("click", () => node.remove());
    node.appendChild(ok);
  } else {
    setTimeout(() => node.remove(), 4000);
  }
  box.appendChild(node);
}

// -- time --------------------------------------------------------------------------------------

function sandboxNow() {
  const clock = state.snapshot.clock;
  return new Date(new Date(clock.now).getTime() + (Date.now() - state.receivedAt));
}

function timeText(unixSeconds) {
  if (!unixSeconds || !state.snapshot) return "";
  const options = { timeZone: state.snapshot.clock.timezone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false };
  return new Intl.DateTimeFormat(state.locale, options).format(new Date(unixSeconds * 1000));
}

function drawClock() {
  if (!state.snapshot) return;
  const clock = state.snapshot.clock;
  const options = { timeZone: clock.timezone, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  document.getElementById("clock-now").textContent = new Intl.DateTimeFormat(state.locale, options).format(sandboxNow());
  const ahead = Math.round(clock.offset_seconds / 60);
  const days = Math.floor(ahead / 1440), hours = Math.floor((ahead % 1440) / 60), minutes = ahead % 60;
  document.getElementById("clock-ahead").textContent =
    ahead > 0 ? `(${t("ahead")} ${days ? days + "d " : ""}${hours}h ${minutes}m)` : "";
}

function wireBar() {
  for (const button of document.querySelectorAll("[data-hours]")) {
    button.addEventListener("click", () => act("staff", post("/api/clock", { hours: Number(button.dataset.hours) })));
  }
  for (const button of document.querySelectorAll("[data-working-days]")) {
    button.addEventListener("click", () => act("staff", post("/api/clock", { working_days: Number(button.dataset.workingDays) })));
  }
  document.getElementById("reset").addEventListener("click", () => {
    if (window.confirm(t("reset_confirm"))) act("buyer", post("/api/reset", {}));
  });
}

// -- the live loop -----------------------------------------------------------------------------

async function follow() {
  const offline = document.getElementById("offline");
  for (;;) {
    try {
      const query = state.rev ? `?rev=${encodeURIComponent(state.rev)}` : "";
      const snapshot = await api("/api/state" + query);
      offline.hidden = true;
      if (snapshot.rev !== state.rev || !state.snapshot) draw(snapshot);
      else { state.snapshot.clock = snapshot.clock; state.receivedAt = Date.now(); }
    } catch (error) {
      offline.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function main() {
  await loadTexts();
  buildPanes();
  wireBar();
  setInterval(drawClock, 1000);
  follow();
}

main();

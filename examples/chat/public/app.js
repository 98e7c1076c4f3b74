// The chat page. `duplex.io` is the Duplex client (socket.io-client's API).
// ?nickname=…&transport=polling pre-fill the form and force long-polling.
"use strict";
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
let socket;
let room = null;
let typingTimer = null;
const typingNow = new Map();

function setStatus(state, detail) {
  $("status").dataset.state = state;
  $("status").textContent = detail ? `${state} · ${detail}` : state;
}

function showTransport() {
  const transport = socket.io.engine?.transport?.name;
  setStatus(socket.connected ? "connected" : "disconnected", transport && `${transport}${socket.recovered ? " · recovered" : ""}`);
}

function addMessage(m, { mine = false, history = false } = {}) {
  const li = document.createElement("li");
  li.dataset.id = m.id ?? "";
  if (history) li.className = "history";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = m.from;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = m.text;
  li.append(from, text);
  if (mine) {
    const tick = document.createElement("span");
    tick.className = "tick";
    tick.textContent = "…";
    tick.title = "sending";
    li.append(tick);
  }
  $("messages").append(li);
  $("messages").scrollTop = $("messages").scrollHeight;
  return li;
}

function renderTyping() {
  const names = [...typingNow.keys()];
  $("typing").textContent = names.length ? `${names.join(", ")} ${names.length > 1 ? "are" : "is"} typing…` : "";
}

function join(next) {
  socket.emit("join", next, ({ room: joined, history }) => {
    room = joined;
    typingNow.clear();
    renderTyping();
    $("room-title").textContent = `#${joined}`;
    $("messages").replaceChildren();
    for (const m of history) addMessage(m, { history: true });
    for (const a of document.querySelectorAll("#channels a")) a.classList.toggle("active", a.dataset.room === joined);
  });
}

function start(nickname) {
  const transports = params.get("transport") === "polling" ? ["polling"] : undefined;
  socket = duplex.io({ auth: { nickname }, transports });
  window.chat = socket; // for the tests and the curious

  socket.on("connect", () => {
    $("login").hidden = true;
    $("chat").hidden = false;
    showTransport();
    socket.io.engine.on("upgrade", showTransport);
    if (room) join(room);
  });
  socket.on("disconnect", (reason) => setStatus("disconnected", reason));
  socket.on("connect_error", (err) => {
    if (err.message === "invalid nickname") {
      $("login").hidden = false;
      $("login-error").textContent = `${err.message}: ${err.data?.hint ?? ""}`;
      socket.close();
    } else {
      setStatus("disconnected", `${err.code ?? err.message}`);
    }
  });
  socket.on("channels", (channels) => {
    $("channels").replaceChildren(
      ...channels.map((c) => {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = `#${c}`;
        a.dataset.room = c;
        a.textContent = `#${c}`;
        a.onclick = (e) => {
          e.preventDefault();
          join(c);
        };
        li.append(a);
        return li;
      }),
    );
    if (!room) join(params.get("room") ?? channels[0]);
  });
  socket.on("message", (m) => {
    if (m.room !== room) return;
    typingNow.delete(m.from);
    renderTyping();
    addMessage(m);
  });
  socket.on("typing", ({ room: r, nickname: who, typing }) => {
    if (r !== room) return;
    clearTimeout(typingNow.get(who));
    if (typing) typingNow.set(who, setTimeout(() => (typingNow.delete(who), renderTyping()), 4000));
    else typingNow.delete(who);
    renderTyping();
  });
  socket.on("presence", ({ room: r, users }) => {
    if (r !== room) return;
    $("users").replaceChildren(...users.map((u) => Object.assign(document.createElement("li"), { textContent: u })));
  });
}

$("compose").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text || !room) return;
  $("text").value = "";
  const li = addMessage({ from: socket.auth.nickname, text }, { mine: true });
  socket.emit("typing", false);
  // The ack arrives once the server has stored and relayed it: the delivered tick.
  socket.timeout(10000).emit("message", text, (err, res) => {
    const tick = li.querySelector(".tick");
    if (err || !res.ok) {
      tick.textContent = "✗";
      tick.title = err ? err.message : res.error;
      return;
    }
    li.dataset.id = res.id;
    tick.textContent = "✓";
    tick.title = "delivered";
    tick.classList.add("delivered");
  });
};

$("text").oninput = () => {
  if (!socket?.connected) return;
  if (!typingTimer) socket.emit("typing", true);
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingTimer = null;
    socket.emit("typing", false);
  }, 1500);
};

$("login").onsubmit = (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  start($("nickname").value.trim());
};

if (params.get("nickname")) {
  $("nickname").value = params.get("nickname");
  start(params.get("nickname"));
}

// The simulagent demo page: microphone -> WebSocket -> live transcripts, translations and spoken answers.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { ws: null, ctx: null, stream: null, node: null, sentSamples: 0, lastSendMs: 0,
                playing: [], playheadS: 0, loudMs: 0, pendingAudio: null };
const BARGE_IN_RMS = 0.04;      // microphone level that counts as speech over the agent
const BARGE_IN_MIN_MS = 300;    // shorter sounds (fillers, coughs) do not interrupt

function setStatus(text) { $("status").textContent = text; }

function logEvent(message) {
  const item = document.createElement("li");
  item.textContent = JSON.stringify(message);
  $("log").prepend(item);
  while ($("log").children.length > 200) $("log").lastChild.remove();
}

function show(target, committed, unstable) {
  const el = $(target);
  if (committed !== null) el.querySelector(".committed").textContent = committed;
  el.querySelector(".unstable").textContent = unstable ? " " + unstable : "";
}

function onEvent(message) {
  const kind = message.event || "";
  if (kind.startsWith("transcript")) {
    const final = kind.endsWith("final") || kind.endsWith("committed");
    show("transcript", final ? (message.full_text || message.text) : null, final ? "" : message.text);
  } else if (kind.startsWith("translation") || kind.startsWith("answer")) {
    const committed = message.full_text !== undefined ? message.full_text
      : ($("output").querySelector(".committed").textContent + " " + (message.text || "")).trim();
    show("output", committed, message.unstable || "");
    if (state.lastSendMs) $("latency").textContent = Math.round(performance.now() - state.lastSendMs) + " ms";
  }
}

function playPcm(header, buffer) {
  const pcm = new Int16Array(buffer);
  const audio = state.ctx.createBuffer(1, pcm.length, header.sample_rate_hz);
  const data = audio.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const source = state.ctx.createBufferSource();
  source.buffer = audio;
  source.connect(state.ctx.destination);
  const start = Math.max(state.ctx.currentTime, state.playheadS);
  source.start(start);
  state.playheadS = start + audio.duration;
  state.playing.push(source);
  $("speaking").textContent = "yes";
  source.onended = () => {
    state.playing = state.playing.filter((s) => s !== source);
    if (state.playing.length === 0) $("speaking").textContent = "no";
  };
}

function stopPlayback() {
  for (const source of state.playing) { try { source.stop(); } catch (e) { /* already stopped */ } }
  state.playing = [];
  state.playheadS = 0;
  $("speaking").textContent = "no";
}

function onLevel(rms) {
  // Barge-in: sustained speech while the agent talks stops playback at once and tells the server.
  if (state.playing.length === 0) { state.loudMs = 0; return; }
  state.loudMs = rms > BARGE_IN_RMS ? state.loudMs + 128 * 1000 / state.ctx.sampleRate : 0;
  if (state.loudMs >= BARGE_IN_MIN_MS) {
    stopPlayback();
    state.loudMs = 0;
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: "interrupt" }));
  }
}

async function start() {
  $("start").disabled = true;
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" +
              (token ? "?token=" + encodeURIComponent(token) : "");
  state.ctx = new AudioContext();
  await state.ctx.audioWorklet.addModule("/static/pcm-worklet.js");
  state.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  const source = state.ctx.createMediaStreamSource(state.stream);
  state.node = new AudioWorkletNode(state.ctx, "pcm-capture");
  source.connect(state.node);
  state.ws = new WebSocket(url);
  state.ws.binaryType = "arraybuffer";
  state.ws.onopen = () => {
    state.ws.send(JSON.stringify({ type: "hello", protocol: 1, mode: $("mode").value, sample_rate_hz: 16000,
                                   source_lang: $("source-lang").value, target_lang: $("target-lang").value }));
  };
  state.ws.onmessage = (msg) => {
    if (typeof msg.data !== "string") {
      if (state.pendingAudio) playPcm(state.pendingAudio, msg.data);
      state.pendingAudio = null;
      return;
    }
    const message = JSON.parse(msg.data);
    if (message.type === "audio") { state.pendingAudio = message; return; }
    logEvent(message);
    if (message.type === "ready") setStatus("listening (session " + message.session_id.slice(0, 8) + ")");
    else if (message.type === "error") setStatus("error: " + message.message);
    else if (message.type === "event") onEvent(message);
  };
  state.ws.onclose = (e) => { setStatus("closed" + (e.reason ? ": " + e.reason : "")); stop(); };
  state.node.port.onmessage = (e) => {
    if (e.data.type === "level") { onLevel(e.data.rms); return; }
    if (state.ws.readyState !== WebSocket.OPEN) return;
    state.ws.send(e.data.pcm);
    state.sentSamples += e.data.pcm.byteLength / 2;
    state.lastSendMs = performance.now();
    $("sent").textContent = (state.sentSamples / 16000).toFixed(1);
  };
  $("stop").disabled = false;
}

function stop() {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ type: "end_of_audio" }));
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  if (state.node) state.node.disconnect();
  state.stream = null;
  state.node = null;
  $("start").disabled = false;
  $("stop").disabled = true;
}

$("start").addEventListener("click", () => start().catch((e) => { setStatus("error: " + e.message); $("start").disabled = false; }));
$("stop").addEventListener("click", stop);
window.simulagent = state;  // for the end-to-end test

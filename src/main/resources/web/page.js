"use strict";
// The built-in page of the HTTP API. Lists the models (GET /models) and draws, per model, live line
// charts of the prequential loss, the accuracy (RMSE for regression) and the weights version, fed
// by the server-sent events of GET /models/{m}/updates; examples/s, lag and state are polled from
// GET /models/{m} (which also feeds the charts of models past the fourth: see MAX_STREAMS); divergence
// events of the same stream count up the divergences cell. Data reaches the page only through
// textContent and SVG attributes, never markup.

const SVG = "http://www.w3.org/2000/svg";
const MAX_POINTS = 600; // per chart; older points scroll out
const W = 300, H = 110;                // SVG user units; the plot area leaves room for the labels
const L = 44, R = 4, T = 4, B = 94;    // plot area: x from L to W - R, y from T to B
const POLL_MS = 2000;
// A browser opens at most 6 HTTP/1.1 connections per server: models past the fourth poll instead
// (?streams=N in the page's address changes the number; ?streams=0 polls for every model).
const MAX_STREAMS = (n => Number.isInteger(n) && n >= 0 ? n : 4)(Number(new URLSearchParams(location.search).get("streams") ?? 4));

const fmt = v => v == null || !Number.isFinite(v) ? "–"
  : Number.isInteger(v) ? v.toLocaleString("en") : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(3);

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** One line chart: y against time (seconds), rescaled to the points it holds. */
class Chart {
  constructor(parent, title, kind) {
    this.points = [];
    const fig = document.createElement("figure");
    fig.className = "chart " + kind;
    const caption = document.createElement("figcaption");
    this.title = document.createElement("span");
    this.title.textContent = title;
    this.value = document.createElement("b");
    this.value.textContent = "–";
    caption.append(this.title, this.value);
    this.svg = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, "data-points": "0" });
    this.line = svg("polyline", { class: "line", points: "" });
    this.hi = svg("text", { class: "tick", x: L - 4, y: T + 8, "text-anchor": "end" });
    this.lo = svg("text", { class: "tick", x: L - 4, y: B, "text-anchor": "end" });
    this.span = svg("text", { class: "tick", x: W - R, y: H - 4, "text-anchor": "end" });
    this.svg.append(svg("rect", { class: "frame", x: L, y: T, width: W - R - L, height: B - T }),
      this.line, this.hi, this.lo, this.span);
    fig.append(caption, this.svg);
    parent.append(fig);
  }

  add(t, y) {
    if (y == null || !Number.isFinite(y) || !Number.isFinite(t)) return;
    this.points.push([t, y]);
    if (this.points.length > MAX_POINTS) this.points.splice(0, this.points.length - MAX_POINTS);
  }

  draw() {
    const p = this.points;
    this.svg.setAttribute("data-points", String(p.length));
    if (p.length === 0) return;
    const t0 = p[0][0], t1 = p[p.length - 1][0];
    let lo = Infinity, hi = -Infinity;
    for (const [, y] of p) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
    if (hi - lo < 1e-12) { hi += 0.5; lo -= 0.5; }
    const x = t => L + 2 + (W - R - L - 4) * (t1 > t0 ? (t - t0) / (t1 - t0) : 1);
    const y = v => B - 3 - (B - T - 6) * (v - lo) / (hi - lo);
    this.line.setAttribute("points", p.map(([t, v]) => x(t).toFixed(1) + "," + y(v).toFixed(1)).join(" "));
    this.hi.textContent = fmt(hi);
    this.lo.textContent = fmt(lo);
    this.span.textContent = "last " + Math.round(t1 - t0) + " s, " + p.length + " versions";
    this.value.textContent = fmt(p[p.length - 1][1]);
  }
}

/** One model's card: its stats, its three charts, its event stream and its status poll. */
class ModelView {
  constructor(summary, parent, stream) {
    this.name = String(summary.name);
    this.path = "/models/" + encodeURIComponent(this.name);
    this.card = document.getElementById("card").content.firstElementChild.cloneNode(true);
    this.card.dataset.model = this.name;
    const link = this.card.querySelector(".name");
    link.textContent = this.name;
    link.href = this.path;
    this.card.querySelector(".spec").textContent = summary.spec ?? "";
    const charts = this.card.querySelector(".charts");
    this.loss = new Chart(charts, "prequential loss (EWMA)", "loss");
    this.quality = new Chart(charts, "accuracy (EWMA)", "quality");
    this.version = new Chart(charts, "weights version", "version");
    this.qualityKey = null; // accuracyEwma for classification, rmseWindow for regression
    this.last = -1;         // latest version shown
    this.divergences = -1;  // latest divergence count shown
    parent.append(this.card);
    if (stream) {
      this.events = new EventSource(this.path + "/updates");
      this.events.addEventListener("version", e => this.update(JSON.parse(e.data)));
      this.events.addEventListener("divergence", e => this.diverged(JSON.parse(e.data)));
      this.events.addEventListener("drift", e => this.drifted(JSON.parse(e.data)));
      this.events.addEventListener("error", () => this.set("state", "reconnecting…"));
    }
    this.poll();
  }

  set(field, text) {
    this.card.querySelector("." + field).textContent = text;
  }

  /** A divergence event: the count, and what happened in the cell's tooltip. */
  diverged(d) {
    this.divergences = Math.max(this.divergences, d.count ?? 0);
    const cell = this.card.querySelector(".divergences");
    cell.textContent = fmt(this.divergences);
    cell.title = "last at version " + d.step + " (" + d.cause + "): rolled back to version " + d.rolledBackTo
      + ", learning rate " + fmt(d.lrBefore) + " → " + fmt(d.lrAfter);
    this.card.dataset.divergences = String(this.divergences);
  }

  /** A drift event: the count, and when and what was done in the cell's tooltip. */
  drifted(d) {
    const cell = this.card.querySelector(".drifts");
    cell.textContent = fmt(d.count);
    cell.title = "last at version " + d.step + " (" + d.detector + "), action: " + d.action;
    this.card.dataset.drifts = String(d.count);
  }

  update(u) {
    if (u.version == null || u.version <= this.last) return;
    this.last = u.version;
    const m = u.metrics ?? {}, t = Date.parse(u.created) / 1000;
    if (this.qualityKey == null && (m.accuracyEwma != null || m.rmseWindow != null)) {
      this.qualityKey = m.accuracyEwma != null ? "accuracyEwma" : "rmseWindow";
      this.quality.title.textContent = m.accuracyEwma != null ? "accuracy (EWMA)" : "RMSE (window)";
    }
    this.loss.add(t, m.lossEwma);
    if (this.qualityKey) this.quality.add(t, m[this.qualityKey]);
    this.version.add(t, u.version);
    this.card.dataset.version = String(u.version);
    this.set("version", fmt(u.version));
    this.set("examples", fmt(u.examples));
    const all = m.all ?? {};
    if (all.accuracy != null) this.set("whole", all.accuracy.toFixed(3) + " acc");
    else if (all.rmse != null) this.set("whole", all.rmse.toPrecision(3) + " RMSE");
    if (u.divergences != null && u.divergences > this.divergences) {
      this.divergences = u.divergences;
      this.set("divergences", fmt(u.divergences));
    }
    redrawSoon();
  }

  async poll() {
    try {
      const r = await fetch(this.path, { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const d = await r.json(), s = d.status;
      if (!this.events) this.update(d); // same fields as an event
      const desc = d.describe ?? {};
      if (desc.drifts_detected != null) this.set("drifts", fmt(desc.drifts_detected));
      else if (desc.drift_detector === "none") this.set("drifts", "off");
      this.set("rate", s.examplesPerSecond == null ? "–" : s.examplesPerSecond.toFixed(0));
      this.set("lag", s.lag < 0 ? "–" : fmt(s.lag));
      this.set("state", s.problem ?? (s.trainingPaused ? "paused (control)" : s.paused ? "paused (backpressure)"
        : s.ready ? "training" : "not ready"));
    } catch (e) {
      this.set("state", "unreachable (" + e.message + ")");
    }
    setTimeout(() => this.poll(), POLL_MS);
  }

  draw() {
    this.loss.draw();
    this.quality.draw();
    this.version.draw();
  }
}

const views = [];
let redrawPending = false;

function redrawSoon() {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    for (const v of views) v.draw();
  });
}

async function main() {
  const status = document.getElementById("status");
  try {
    const r = await fetch("/models", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const models = await r.json();
    const parent = document.getElementById("models");
    models.forEach((m, i) => views.push(new ModelView(m, parent, i < MAX_STREAMS)));
    status.textContent = models.length === 1 ? "1 model, live" : models.length + " models, live";
  } catch (e) {
    status.textContent = "could not list the models (" + e.message + "), retrying…";
    setTimeout(main, 3000);
  }
}

main();

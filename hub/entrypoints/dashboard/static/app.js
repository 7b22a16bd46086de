// Fulfil dashboard: no build step, no dependencies. Data arrives as server-sent events
// ("floor" and "report") from /dashboard/stream; charts are plain SVG.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const state = { key: sessionStorage.getItem("fulfil-ops-key") || "" };

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmt(seconds) {
  if (seconds >= 3600) return (seconds / 3600).toFixed(1) + " h";
  if (seconds >= 60) return (seconds / 60).toFixed(1) + " min";
  return seconds.toFixed(1) + " s";
}

// Horizontal bars: rows = [{label, values: [n, ...], note}], one colour per value.
function barChart(svg, rows, colours, emptyText) {
  svg.replaceChildren();
  const width = svg.clientWidth || 480;
  const labelW = Math.min(190, width * 0.4);
  const rowH = 12 * colours.length + 8;
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(rowH * rows.length, 24)}`);
  svg.style.height = Math.max(rowH * rows.length, 24) + "px";
  if (!rows.length) {
    svg.appendChild(svgEl("text", { x: 4, y: 16, class: "empty" }, emptyText));
    return;
  }
  const max = Math.max(...rows.flatMap((r) => r.values), 1e-9);
  const barW = width - labelW - 80;
  rows.forEach((row, i) => {
    const y = i * rowH + 4;
    const maxChars = Math.floor(labelW / 6.2);
    const label = row.label.length > maxChars ? row.label.slice(0, maxChars - 1) + "…"
                                              : row.label;
    svg.appendChild(svgEl("text", { x: 0, y: y + 11 }, label));
    row.values.forEach((value, j) => {
      const w = Math.max(1, (barW * value) / max);
      const bar = svgEl("rect", { x: labelW, y: y + j * 12, width: w, height: 10,
                                  fill: colours[j], "data-value": value });
      bar.appendChild(svgEl("title", {}, `${row.label}: ${value}`));
      svg.appendChild(bar);
    });
    svg.appendChild(svgEl("text", { x: labelW + barW + 6, y: y + 11 }, row.note));
  });
}

function progressBar(done, short, total) {
  const svg = svgEl("svg", { viewBox: "0 0 100 10", preserveAspectRatio: "none" });
  const pct = (n) => (total ? (100 * n) / total : 0);
  svg.appendChild(svgEl("rect", { x: 0, y: 0, width: 100, height: 10, fill: "#d0d7de" }));
  svg.appendChild(svgEl("rect", { x: 0, y: 0, width: pct(done), height: 10, fill: "#1a7f37" }));
  svg.appendChild(svgEl("rect", { x: pct(done), y: 0, width: pct(short), height: 10,
                                  fill: "#cf222e" }));
  return svg;
}

function renderFloor(floor) {
  document.getElementById("outbox-depth").textContent = floor.outbox_depth;
  document.getElementById("inbox-backlog").textContent = floor.inbox_backlog;
  const states = Object.entries(floor.orders).map(([k, v]) => `${k} ${v}`).join(" · ");
  document.getElementById("orders-by-state").textContent = states || "no orders";

  const devices = document.getElementById("devices");
  devices.replaceChildren();
  for (const d of floor.devices) {
    const card = el("div", { class: "card", "data-device": d.device_id, "data-state": d.state });
    card.appendChild(el("div", { class: "name" }, d.device_id));
    card.appendChild(el("div", { class: "muted small" },
                        [d.role, d.zone ? "zone " + d.zone : ""].filter(Boolean).join(", ")));
    card.appendChild(el("div", { class: "state" }, d.state));
    if (d.state !== "online") card.appendChild(el("div", { class: "muted small" }, "last known:"));
    for (const [name, s] of Object.entries(d.peripherals || {})) {
      card.appendChild(el("span", { class: "periph", "data-state": s }, `${name}: ${s}`));
    }
    if (d.outbox_depth) card.appendChild(el("div", { class: "small" }, `outbox ${d.outbox_depth}`));
    devices.appendChild(card);
  }
  if (!floor.devices.length) devices.appendChild(el("p", { class: "muted" }, "no devices yet"));

  const zones = document.getElementById("zones");
  zones.replaceChildren();
  for (const z of floor.zones) {
    const row = el("div", { class: "progress", "data-zone": z.zone });
    row.appendChild(el("span", {}, `zone ${z.zone}`));
    row.appendChild(progressBar(z.picked, z.short, z.units));
    row.appendChild(el("span", { class: "small" },
                       `${z.picked}/${z.units} units, ${z.open_tasks} open task(s)`));
    zones.appendChild(row);
  }
  if (!floor.zones.length) zones.appendChild(el("p", { class: "muted" }, "nothing to pick"));

  renderWaves(floor.waves || []);

  const benches = document.getElementById("benches");
  benches.replaceChildren();
  for (const [bench, count] of Object.entries(floor.benches)) {
    benches.appendChild(el("div", { "data-bench": bench }, `${bench}: ${count} order(s) waiting`));
  }
  if (!Object.keys(floor.benches).length) {
    benches.appendChild(el("p", { class: "muted" }, "no orders waiting to be packed"));
  }
}

function renderWaves(waves) {
  const box = document.getElementById("waves");
  box.replaceChildren();
  for (const w of waves) {
    const wave = el("div", { class: "wave", "data-wave": w.id, "data-state": w.state });
    wave.appendChild(el("div", { class: "name" },
      `${w.id} · ${w.state} · ${w.orders} order(s), ${w.trips} trip(s), ` +
      `${Math.round(100 * w.progress)} % picked`));
    for (const z of w.zones) {
      const row = el("div", { class: "progress", "data-zone": z.zone });
      row.appendChild(el("span", {}, `zone ${z.zone}`));
      row.appendChild(progressBar(z.picked, z.short, z.units));
      row.appendChild(el("span", { class: "small picks" },
        `${z.picks_confirmed}/${z.picks} picks, ${z.trips_done}/${z.trips} trip(s) done`));
      wave.appendChild(row);
    }
    box.appendChild(wave);
  }
  if (!waves.length) box.appendChild(el("p", { class: "muted" }, "no wave open"));
}

function renderReport(report) {
  const pop = report.pop;
  document.getElementById("pop-value").textContent = pop.orders ? pop.pop.toFixed(1) + " %" : "–";
  document.getElementById("pop-detail").textContent =
    `${pop.perfect} of ${pop.orders} orders perfect`;
  barChart(document.getElementById("chart-pop-causes"),
           Object.entries(pop.causes).map(([cause, n]) => ({ label: cause, values: [n],
                                                             note: `${n} order(s)` })),
           ["#cf222e"], pop.orders ? "every order perfect" : "no orders labelled yet");
  const imperfect = document.getElementById("imperfect");
  imperfect.replaceChildren();
  for (const v of report.imperfect.slice(0, 8)) {
    imperfect.appendChild(el("li", {}, `${v.order_id}: ${v.reasons.join("; ")}`));
  }

  const slowest = [...report.steps].sort((a, b) => b.p90_s - a.p90_s).slice(0, 8);
  barChart(document.getElementById("chart-steps"),
           slowest.map((s) => ({ label: `${s.step}. ${s.title}`, values: [s.p50_s, s.p90_s],
                                 note: `p90 ${fmt(s.p90_s)}` })),
           ["#0969da", "#8c959f"], "no steps timed yet");
  barChart(document.getElementById("chart-errors"),
           report.errors.slice(0, 8).map((e) => ({ label: `${e.step}. ${e.kind}`,
                                                   values: [e.count],
                                                   note: `${e.count}×, ${fmt(e.cost_s)} lost` })),
           ["#9a6700"], "no mistakes recorded");

  const skipped = document.querySelector("#skipped tbody");
  skipped.replaceChildren();
  for (const s of report.skipped) {
    const tr = el("tr", { "data-code": s.code });
    tr.appendChild(el("td", {}, s.description));
    tr.appendChild(el("td", { class: "num" }, String(s.orders)));
    tr.appendChild(el("td", { class: "small" }, s.example_orders.join(", ")));
    skipped.appendChild(tr);
  }
  const steps = document.querySelector("#steps tbody");
  steps.replaceChildren();
  for (const s of report.steps) {
    const tr = el("tr", { "data-step": s.step });
    for (const v of [s.step, s.title, s.orders, s.p50_s.toFixed(2), s.p90_s.toFixed(2),
                     s.p99_s.toFixed(2), s.queue_p50_s.toFixed(2), s.work_p50_s.toFixed(2)]) {
      tr.appendChild(el("td", typeof v === "string" && isNaN(v) ? {} : { class: "num" },
                        String(v)));
    }
    steps.appendChild(tr);
  }
}

function setConnection(text, s) {
  const badge = document.getElementById("connection");
  badge.textContent = text;
  badge.dataset.state = s;
}

function connect() {
  const url = "/dashboard/stream" + (state.key ? "?key=" + encodeURIComponent(state.key) : "");
  const source = new EventSource(url);
  source.onopen = () => setConnection("live", "live");
  source.onerror = () => setConnection("reconnecting…", "error");
  const stamp = () => {
    document.getElementById("updated").textContent =
      "updated " + new Date().toLocaleTimeString();
  };
  source.addEventListener("floor", (e) => { renderFloor(JSON.parse(e.data)); stamp(); });
  source.addEventListener("report", (e) => { renderReport(JSON.parse(e.data)); stamp(); });
}

async function start() {
  const access = await (await fetch("/dashboard/api/access")).json();
  const form = document.getElementById("key-form");
  if (access.key_needed && !state.key) {
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const key = document.getElementById("key-input").value.trim();
      const check = await fetch("/dashboard/api/floor", { headers: { "X-API-Key": key } });
      if (!check.ok) {
        document.getElementById("key-error").textContent = (await check.json()).detail;
        return;
      }
      state.key = key;
      sessionStorage.setItem("fulfil-ops-key", key);
      form.hidden = true;
      document.getElementById("views").hidden = false;
      connect();
    });
    return;
  }
  document.getElementById("views").hidden = false;
  connect();
}

start();

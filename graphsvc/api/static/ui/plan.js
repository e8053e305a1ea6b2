// The live picture of a plan (issue 23): its steps as nodes coloured by status, DEPENDS_ON
// as arrows, child plans nested under the step that spawned them (click + to expand),
// steps added by a change drawn dashed; a step's details on click; progress and pending
// decisions. It redraws from the plan's event stream within a second of a change.
// The API key comes from the URL fragment (#key=..., never sent to the server) or a prompt,
// and is kept in this tab's sessionStorage; each drawn step is an SVG element with
// data-step-id and data-status.
"use strict";

const COLOURS = {
  PENDING: "#e8e8e8", READY: "#cfe3ff", ASSIGNED: "#ffe9a8", EXECUTING: "#ffd166",
  WAITING: "#d7c4f0", COMPLETED: "#9be3a8", FAILED: "#f4a3a3", SKIPPED: "#d9d9d9",
  CANCELLED: "#bdbdbd",
};
const planId = decodeURIComponent(location.pathname.split("/").pop());
const expanded = new Set();
let key = null;

function apiKey() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) {
    sessionStorage.setItem("graphsvc-key", fromHash);
    history.replaceState(null, "", location.pathname); // the key leaves the address bar
  }
  return sessionStorage.getItem("graphsvc-key") || prompt("graphsvc API key") || "";
}

async function api(path) {
  const answer = await fetch(path, { headers: { Authorization: "Bearer " + key } });
  if (!answer.ok) {
    let message = answer.status + "";
    try { message += ": " + (await answer.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(path + " answered " + message);
  }
  return answer.json();
}

function el(name, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function loadPlan(id) {
  // A plan and every page of its steps (the API answers them a page at a time).
  const path = "/v1/plans/" + encodeURIComponent(id);
  const plan = await api(path + "?limit=1000");
  while (plan.next_steps_after !== null && plan.next_steps_after !== undefined) {
    const page = await api(path + "?limit=1000&steps_after=" + plan.next_steps_after);
    plan.steps.push(...page.steps);
    plan.next_steps_after = page.next_steps_after;
  }
  return plan;
}

async function loadPlans() {
  // The root plan, then every expanded child plan (and theirs).
  const plans = new Map();
  const queue = [planId];
  while (queue.length) {
    const id = queue.shift();
    const plan = await loadPlan(id);
    plans.set(id, plan);
    for (const step of plan.steps) {
      for (const child of step.child_plan_ids || []) if (expanded.has(child)) queue.push(child);
    }
  }
  return plans;
}

function draw(plans) {
  const g = new dagre.graphlib.Graph({ compound: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const steps = new Map();
  for (const [id, plan] of plans) {
    if (id !== planId) g.setNode("plan:" + id, { label: plan.name + " (" + plan.status + ")", cluster: true });
    const byKey = new Map(plan.steps.map((s) => [s.key, s]));
    for (const step of plan.steps) {
      steps.set(step.id, { step, plan });
      g.setNode("step:" + step.id, { width: 150, height: 40 });
      if (id !== planId) g.setParent("step:" + step.id, "plan:" + id);
      for (const dep of step.depends_on) {
        const from = byKey.get(dep);
        if (from) g.setEdge("step:" + from.id, "step:" + step.id, { spawn: false });
      }
    }
  }
  for (const { step } of steps.values()) {
    for (const child of step.child_plan_ids || []) {
      const plan = plans.get(child);
      if (!plan) continue;
      const roots = plan.steps.filter((s) => s.depends_on.length === 0);
      for (const root of roots) g.setEdge("step:" + step.id, "step:" + root.id, { spawn: true });
    }
  }
  dagre.layout(g);
  const svg = document.getElementById("graph");
  svg.replaceChildren();
  const defs = el("defs");
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#888" }));
  defs.append(marker);
  svg.append(defs);
  for (const id of g.nodes()) {
    const node = g.node(id);
    if (!node.cluster) continue;
    const group = el("g", { class: "cluster", "data-plan-id": id.slice(5) });
    group.append(el("rect", { x: node.x - node.width / 2, y: node.y - node.height / 2 - 14,
      width: node.width, height: node.height + 14, rx: 6 }));
    group.append(el("text", { x: node.x - node.width / 2 + 6, y: node.y - node.height / 2 - 2 }, node.label));
    svg.append(group);
  }
  for (const edge of g.edges()) {
    const data = g.edge(edge);
    const d = data.points.map((p, i) => (i ? "L" : "M") + p.x + " " + p.y).join(" ");
    svg.append(el("path", { d, class: "edge" + (data.spawn ? " spawn" : ""), "marker-end": "url(#arrow)" }));
  }
  for (const [id, { step, plan }] of steps) {
    const node = g.node("step:" + id);
    const group = el("g", {
      class: "step" + (step.added_by_change ? " added" : ""),
      "data-step-id": id, "data-status": step.status, "data-key": step.key, "data-plan-id": plan.id,
      transform: "translate(" + (node.x - 75) + "," + (node.y - 20) + ")",
    });
    group.append(el("rect", { width: 150, height: 40, rx: 5, fill: COLOURS[step.status] || "#fff" }));
    group.append(el("text", { x: 8, y: 16 }, step.key + (step.name && step.name !== step.key ? ": " + step.name : "").slice(0, 22)));
    group.append(el("text", { x: 8, y: 32 }, (step.status + " · " + step.kind).slice(0, 24)));
    group.addEventListener("click", () => showStep(id));
    const children = step.child_plan_ids || [];
    if (children.length) {
      const open = children.every((c) => expanded.has(c));
      const toggle = el("text", { x: 134, y: 16, class: "toggle", "data-expand": id }, open ? "−" : "+");
      toggle.addEventListener("click", (event) => {
        event.stopPropagation();
        for (const c of children) open ? expanded.delete(c) : expanded.add(c);
        refresh();
      });
      group.append(toggle);
    }
    svg.append(group);
  }
  const size = g.graph();
  svg.setAttribute("width", size.width + 24);
  svg.setAttribute("height", size.height + 24);
}

async function showStep(stepId) {
  const step = await api("/v1/steps/" + encodeURIComponent(stepId));
  const box = document.getElementById("details");
  box.replaceChildren();
  const pre = document.createElement("pre");
  pre.textContent = JSON.stringify(step, null, 2);
  box.append(pre);
}

async function showDecisions(plans) {
  const pending = await api("/v1/decisions?status=PENDING&limit=1000");
  const list = document.getElementById("decisions");
  list.replaceChildren();
  for (const d of pending.filter((d) => plans.has(d.plan_id))) {
    const item = document.createElement("li");
    item.dataset.decisionId = d.id;
    item.textContent = d.type + ": " + (d.action || "") + " (" + d.id + ")";
    list.append(item);
  }
}

let pending = null;
let running = false;
let again = false;
async function refresh() {
  // One refresh at a time; a change during one runs another after it, so the last drawn
  // is never older than the last event.
  if (running) { again = true; return; }
  running = true;
  try {
    const plans = await loadPlans();
    const root = plans.get(planId);
    document.getElementById("title").textContent = root.name + " · " + root.status;
    const p = root.progress || { terminal: 0, total: 0, percent: 0 };
    document.getElementById("progress").textContent = p.terminal + " / " + p.total + " steps (" + p.percent + " %)";
    draw(plans);
    await showDecisions(plans);
    document.getElementById("error").textContent = "";
  } catch (error) {
    document.getElementById("error").textContent = error.message;
  } finally {
    running = false;
    if (again) { again = false; soon(); }
  }
}
function soon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 150);
}

async function follow() {
  // The event stream (fetch, not EventSource: it sends the key in a header, not the URL),
  // from now on (tail): the picture is the API's state, drawn again on each (re)connection,
  // so no history is replayed and no cursor grows with the family.
  let failures = 0;
  const live = document.getElementById("live");
  for (;;) {
    try {
      const headers = { Authorization: "Bearer " + key };
      const answer = await fetch("/v1/plans/" + encodeURIComponent(planId) + "/events/stream?family=true&tail=true", { headers });
      if (answer.status === 401) sessionStorage.removeItem("graphsvc-key"); // asked again on reload
      if (answer.status >= 400 && answer.status < 500) {
        // A wrong key or plan does not get right by asking again: say so and stop.
        live.textContent = "stopped: the event stream answered " + answer.status;
        live.className = "live";
        return;
      }
      if (!answer.ok) throw new Error("the event stream answered " + answer.status);
      live.textContent = "live"; live.className = "live on";
      soon(); // what changed while it was not connected
      const reader = answer.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0 || (cut = buffer.indexOf("\r\n\r\n")) >= 0) {
          const message = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2).replace(/^\r?\n/, "");
          const fields = Object.fromEntries(message.split(/\r?\n/).filter((l) => l && !l.startsWith(":"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
          if (fields.event === "end") { live.textContent = "ended"; live.className = "live"; soon(); return; }
          if (fields.data) soon();
        }
      }
      failures = 0;
    } catch (error) {
      live.textContent = "reconnecting"; live.className = "live";
    }
    failures += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(30000, 1000 * 2 ** (failures - 1))));
  }
}

function legend() {
  const box = document.getElementById("legend");
  for (const [status, colour] of Object.entries(COLOURS)) {
    const tag = document.createElement("span");
    tag.style.background = colour;
    tag.textContent = status;
    box.append(tag);
  }
}

key = apiKey();
legend();
refresh().then(follow);

// viz.explore's page script: pan/zoom, node details, forward/backward stepping, chain-rule paths.
// Reads DATA (written by viz/explore.py) and the SVG Graphviz drew (node titles are t<i> / op<i>,
// edge ids e<op>_<position> and o<op>). No library, no network.
(function () {
  "use strict";
  var svg = document.querySelector("#canvas svg");
  var canvas = document.getElementById("canvas");
  var state = { phase: "idle", k: 0, selected: null, param: "" };

  // ------------------------------------------------------------ elements of the picture
  var nodeEls = {};  // walk index -> [g elements] (the tensor box and its op ellipse)
  svg.querySelectorAll("g.node").forEach(function (g) {
    var title = g.querySelector("title").textContent;
    var m = /^(t|op)(\d+)$/.exec(title);
    if (!m) return;
    (nodeEls[m[2]] = nodeEls[m[2]] || []).push(g);
    g.setAttribute("data-tensor", m[2]);
    g.setAttribute("data-part", m[1] === "t" ? "tensor" : "op");
    g.style.cursor = "pointer";
  });
  svg.querySelectorAll("title").forEach(function (t) { t.remove(); });  // no browser tooltips over the panel
  function edgeEl(id) { return document.getElementById(id); }

  // ------------------------------------------------------------ pan and zoom (the viewBox)
  var box = svg.viewBox.baseVal, home = { x: box.x, y: box.y, w: box.width, h: box.height };
  svg.removeAttribute("width"); svg.removeAttribute("height");
  function setBox(x, y, w, h) { svg.setAttribute("viewBox", [x, y, w, h].join(" ")); }
  function zoom(factor, cx, cy) {
    var b = svg.viewBox.baseVal, r = svg.getBoundingClientRect();
    var px = b.x + (cx === undefined ? .5 : (cx - r.left) / r.width) * b.width;
    var py = b.y + (cy === undefined ? .5 : (cy - r.top) / r.height) * b.height;
    setBox(px - (px - b.x) * factor, py - (py - b.y) * factor, b.width * factor, b.height * factor);
  }
  canvas.addEventListener("wheel", function (e) {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
  }, { passive: false });
  var drag = null;
  canvas.addEventListener("mousedown", function (e) {
    drag = { x: e.clientX, y: e.clientY, moved: false };
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true; canvas.classList.add("dragging");
    var b = svg.viewBox.baseVal, r = svg.getBoundingClientRect();
    var scale = Math.max(b.width / r.width, b.height / r.height);
    setBox(b.x - dx * scale, b.y - dy * scale, b.width, b.height);
    drag.x = e.clientX; drag.y = e.clientY;
  });
  window.addEventListener("mouseup", function (e) {
    var wasDrag = drag && drag.moved;
    drag = null; canvas.classList.remove("dragging");
    if (wasDrag) return;
    var g = e.target.closest && e.target.closest("g.node");
    if (!g) return;
    for (var i in nodeEls) if (nodeEls[i].indexOf(g) >= 0) select(i);
  });
  document.getElementById("zoom-in").onclick = function () { zoom(1 / 1.3); };
  document.getElementById("zoom-out").onclick = function () { zoom(1.3); };
  document.getElementById("fit").onclick = function () { setBox(home.x, home.y, home.w, home.h); };

  // ------------------------------------------------------------ numbers
  function num(x) {
    if (typeof x !== "number" || !isFinite(x)) return String(x);
    if (x === 0) return "0";
    var a = Math.abs(x);
    return (a >= 1e-4 && a < 1e6) ? String(Number(x.toPrecision(6))) : x.toExponential(4);
  }
  function shapeText(shape) { return shape.length ? "(" + shape.join(", ") + ")" : "scalar"; }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  // ------------------------------------------------------------ node details
  function heatmap(rows) {
    var c = document.createElement("canvas"), h = rows.length, w = rows[0].length;
    c.width = w; c.height = h; c.className = "heatmap";
    c.style.width = Math.min(370, w * 28) + "px";  // small matrices: big cells, never the whole panel
    var ctx = c.getContext("2d"), img = ctx.createImageData(w, h), top = 0;
    rows.forEach(function (r) { r.forEach(function (v) { if (isFinite(v)) top = Math.max(top, Math.abs(v)); }); });
    rows.forEach(function (r, y) {
      r.forEach(function (v, x) {  // blue (negative), white (0), red (positive)
        var t = top ? Math.max(-1, Math.min(1, v / top)) : 0, o = 4 * (y * w + x);
        img.data[o] = t < 0 ? 255 * (1 + t) : 255; img.data[o + 1] = 255 * (1 - Math.abs(t));
        img.data[o + 2] = t > 0 ? 255 * (1 - t) : 255; img.data[o + 3] = isFinite(v) ? 255 : 60;
      });
    });
    ctx.putImageData(img, 0, 0);
    return c;
  }
  function summaryBlock(cls, heading, s) {
    var div = document.createElement("div");
    div.className = cls;
    div.innerHTML = "<h3>" + heading + "</h3><dl>" +
      ["mean", "std", "min", "max", "norm"].filter(function (k) { return k in s; }).map(function (k) { return "<dt>" + k + "</dt><dd>" + num(s[k]) + "</dd>"; }).join("") +
      "</dl>" + (s.values ? '<div class="values">' + (s.values.length === 1 ? num(s.values[0]) :
        "[" + s.values.map(num).join(", ") + "]") + "</div>" : "");
    if (s.heatmap) div.appendChild(heatmap(s.heatmap));
    return div;
  }
  function gradReady(i) {
    var n = DATA.nodes[i];
    return n.grad !== null && n.gradStep !== null && state.phase === "backward" && state.k >= n.gradStep;
  }
  function showDetails() {
    var panel = document.getElementById("details"), i = state.selected;
    if (i === null) return;
    var n = DATA.nodes[i];
    panel.innerHTML = "<h2>" + esc(n.name) + "</h2><dl><dt>op</dt><dd>" + esc(n.op || "(leaf: " + n.kind + ")") +
      "</dd><dt>shape</dt><dd>" + shapeText(n.shape) + " " + esc(n.dtype) + "</dd></dl>";
    panel.appendChild(summaryBlock("value", "value", n.value));
    if (n.grad === null) {
      panel.insertAdjacentHTML("beforeend", '<div class="grad"><h3>gradient</h3><p class="empty">none: no path from ' +
        "the loss needs it (no requires_grad)</p></div>");
    } else if (gradReady(i)) {
      panel.appendChild(summaryBlock("grad", "gradient ∂" + esc(DATA.nodes[DATA.root].name) + "/∂" + esc(n.name), n.grad));
    } else {
      panel.insertAdjacentHTML("beforeend", '<div class="grad"><h3>gradient</h3><p class="empty">not yet: step the ' +
        "backward pass (▶ or ▶▶) until it arrives</p></div>");
    }
  }
  function select(i) {
    if (state.selected !== null) (nodeEls[state.selected] || []).forEach(function (g) { g.classList.remove("selected"); });
    state.selected = String(i);
    (nodeEls[i] || []).forEach(function (g) { g.classList.add("selected"); });
    showDetails();
  }

  // ------------------------------------------------------------ stepping the passes
  function nameOf(i) { return DATA.nodes[i] ? DATA.nodes[i].name : "a tensor not drawn"; }
  function clearMarks() {
    svg.querySelectorAll(".pending, .current, .flow").forEach(function (el) {
      el.classList.remove("pending", "current", "flow");
    });
  }
  function render() {
    clearMarks();
    var status = document.getElementById("status");
    if (state.phase === "forward") {
      DATA.forward.slice(state.k).forEach(function (i) {
        (nodeEls[i] || []).forEach(function (g) { g.classList.add("pending"); });
        var o = edgeEl("o" + i); if (o) o.classList.add("pending");
      });
      var done = DATA.forward[state.k - 1];
      if (done !== undefined) (nodeEls[done] || []).forEach(function (g) { g.classList.add("current"); });
      status.textContent = "forward: " + state.k + " of " + DATA.forward.length + " ops computed" +
        (done !== undefined ? " (last: " + nameOf(done) + ")" : "");
    } else if (state.phase === "backward") {
      var step = DATA.backward[state.k - 1];
      if (step) {
        (nodeEls[step.node] || []).forEach(function (g) { g.classList.add("current"); });
        step.edges.forEach(function (id) { var e = edgeEl(id); if (e) e.classList.add("flow"); });
      }
      status.textContent = "backward: " + state.k + " of " + DATA.backward.length + " ops done" +
        (step ? " (" + nameOf(step.node) + " sent its gradient to " + step.to.map(nameOf).join(", ") + ")" : "");
    } else {
      status.textContent = "";
    }
    showDetails();
  }
  function go(phase, k) {
    var last = phase === "forward" ? DATA.forward.length : DATA.backward.length;
    state.phase = phase; state.k = Math.max(0, Math.min(last, k));
    render();
  }
  document.getElementById("forward-next").onclick = function () {
    go("forward", state.phase === "forward" ? state.k + 1 : 1);
  };
  document.getElementById("forward-prev").onclick = function () {
    go("forward", state.phase === "forward" ? state.k - 1 : 0);
  };
  document.getElementById("forward-all").onclick = function () { go("forward", DATA.forward.length); };
  document.getElementById("backward-next").onclick = function () {
    go("backward", state.phase === "backward" ? state.k + 1 : 1);
  };
  document.getElementById("backward-prev").onclick = function () {
    go("backward", state.phase === "backward" ? state.k - 1 : 0);
  };
  document.getElementById("backward-all").onclick = function () { go("backward", DATA.backward.length); };

  // ------------------------------------------------------------ chain-rule paths
  var select_ = document.getElementById("param");
  Object.keys(DATA.paths).forEach(function (i) {
    var o = document.createElement("option");
    o.value = i; o.textContent = DATA.paths[i].name;
    select_.appendChild(o);
  });
  function showPaths(i) {
    svg.querySelectorAll(".on-path").forEach(function (el) { el.classList.remove("on-path"); });
    svg.querySelectorAll("text.derivative").forEach(function (el) { el.remove(); });
    var out = document.getElementById("paths");
    out.innerHTML = "";
    if (!i) return;
    var p = DATA.paths[i], root = DATA.nodes[DATA.root].name;
    out.insertAdjacentHTML("beforeend", "<h2>∂" + esc(root) + "/∂" + esc(p.name) + " by the chain rule</h2><p>" +
      p.count + " path" + (p.count === 1 ? "" : "s") + "; multiply the local derivatives along each, then add them up. " +
      "Sum: " + (p.total.values && p.total.values.length === 1 ? num(p.total.values[0]) : "norm " + num(p.total.norm)) + "</p>");
    p.paths.forEach(function (path, k) {
      path.edges.forEach(function (edge) {
        var e = edgeEl(edge.id);
        if (!e) return;
        e.classList.add("on-path");
        var line = e.querySelector("path"), len = line.getTotalLength(), at = line.getPointAtLength(len / 2);
        var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
        t.setAttribute("x", at.x + 4); t.setAttribute("y", at.y - 4); t.setAttribute("class", "derivative");
        t.setAttribute("font-size", "12"); t.textContent = edge.label;
        e.appendChild(t);
      });
      var c = path.contribution;
      out.insertAdjacentHTML("beforeend", '<div class="path"><b>path ' + (k + 1) + ":</b> " +
        path.names.map(esc).join(" ← ") + '<div class="factors">' + path.factors.map(esc).join("<br>") +
        "</div>contribution: " + (c.values && c.values.length <= 6 ? c.values.map(num).join(", ") : "norm " + num(c.norm)) + "</div>");
    });
  }
  select_.onchange = function () { state.param = select_.value; showPaths(select_.value); };

  // ------------------------------------------------------------ a state in the address: #node=w&param=w&backward=end
  function byName(name) {
    return Object.keys(DATA.nodes).find(function (i) { return DATA.nodes[i].name === name; });
  }
  var wanted = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var kv = pair.split("=");
    if (kv[0]) wanted[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1] || "");
  });
  if (wanted.backward) go("backward", wanted.backward === "end" ? DATA.backward.length : parseInt(wanted.backward, 10));
  else if (wanted.forward) go("forward", wanted.forward === "end" ? DATA.forward.length : parseInt(wanted.forward, 10));
  if (wanted.param && byName(wanted.param) in DATA.paths) {
    select_.value = byName(wanted.param); select_.onchange();
  }
  if (wanted.node && byName(wanted.node) !== undefined) select(byName(wanted.node));
  if (wanted.zoom && state.selected !== null) focus(state.selected, parseFloat(wanted.zoom));

  function focus(i, factor) {  // centre the view on a node, zoomed in by factor
    var g = (nodeEls[i] || [])[0];
    if (!g) return;
    var b = g.getBBox(), w = home.w / factor, h = home.h / factor;
    var m = g.getCTM && svg.getCTM() ? svg.getCTM().inverse().multiply(g.getCTM()) : null;
    var cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    if (m) { var x = m.a * cx + m.c * cy + m.e, y = m.b * cx + m.d * cy + m.f; cx = x; cy = y; }
    setBox(cx - w / 2, cy - h / 2, w, h);
  }
})();
